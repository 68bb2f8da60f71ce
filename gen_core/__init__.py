"""gen_core: generative image models, one-file checkpoints, data, training and metrics.

Nothing in this package imports Streamlit: every capability is a plain function usable from a
script, a test or the command line.
"""
