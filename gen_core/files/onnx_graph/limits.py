"""The caps an ONNX decoder must fit, checked before any tensor is allocated.

Each cap is far above what an image decoder of this app's scale needs (a 512x512 RGB generator of
the DCGAN family has ~12M parameters and ~1.5e9 multiply-adds per picture) and far below what
would let one upload hold a server's memory or CPU for long.
"""

from __future__ import annotations

MAX_FILE_BYTES = 200 * 2**20  # the graph file and, separately, all its external data together
MAX_GRAPH_FIELDS = 16384  # nodes + initializers + inputs + outputs + value infos, counted on the wire
MAX_NODES = 2000
MAX_INITIALIZERS = 4096
MAX_WEIGHT_BYTES = 200 * 2**20  # all initializers and Constant tensors, as declared
MAX_LATENT_DIM = 4096
MAX_IMAGE_SIDE = 512
MAX_OUTPUT_CHANNELS = 4
MAX_CHANNELS = 4096  # axis 1 of any activation of rank 3 or more
MAX_ACTIVATION = 2**22  # elements per picture of any one activation
MAX_LIVE_ACTIVATION_BYTES = 4 * 2**24  # float32 bytes per picture alive at once (64 MiB)
MAX_MACS = 2_000_000_000  # multiply-adds per picture
MAX_FOLDED = 2**20  # elements of a constant computed while folding shape subgraphs
MAX_CLASSES = 4096  # classes of a conditional generator's label
SAMPLED_RANGE_MACS = 20_000_000_000  # work spent sampling outputs to guess their range
