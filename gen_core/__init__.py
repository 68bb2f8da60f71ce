"""gen_core: generative image models, one-file checkpoints, data, training and metrics.

Nothing in this package imports Streamlit: every capability is a plain function usable from a
script, a test or the command line. ``gen_core.pack(decoder, ...)`` writes your own decoder
module as one file the app opens (``gen_core.files.pack``).
"""


def __getattr__(name: str):
    # ``gen_core.pack`` is the function; importing it lazily keeps ``import gen_core`` free of torch.
    # (``python -m gen_core.pack`` runs the module of that name as ``__main__``, which leaves this be.)
    if name == "pack":
        from gen_core.files.pack import pack

        return pack
    raise AttributeError(f"module 'gen_core' has no attribute {name!r}")
