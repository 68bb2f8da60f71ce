"""Training loops per family and the ``python -m gen_core.train`` command."""
