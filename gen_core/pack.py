"""``python -m gen_core.pack``: the command line of ``gen_core.files.pack`` (see its docstring).

In Python, ``gen_core.pack(decoder, latent_spec=..., image_shape=..., name=...)`` is the function.
"""

from gen_core.files.pack import main

if __name__ == "__main__":
    main()
