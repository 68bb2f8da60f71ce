"""The caps an ONNX decoder must fit, checked before any tensor is allocated.

Each cap is far above what an image decoder of this app's scale needs (a 512x512 RGB generator of
the DCGAN family has ~12M parameters and ~1.5e9 multiply-adds per picture) and far below what
would let one upload hold a server's memory or CPU for long.
"""

from __future__ import annotations

# The caps every model file shares, whatever its format.
from gen_core.files.decode_cost import MAX_ACTIVATION_ELEMENTS as MAX_ACTIVATION  # noqa: F401 (re-exported)
from gen_core.files.decode_cost import MAX_IMAGE_CHANNELS as MAX_OUTPUT_CHANNELS  # noqa: F401 (re-exported)
from gen_core.files.decode_cost import MAX_IMAGE_SIDE, MAX_LATENT_DIM  # noqa: F401 (re-exported)
from gen_core.files.decode_cost import MAX_MULTIPLY_ADDS as MAX_MACS  # noqa: F401 (re-exported)

MAX_FILE_BYTES = 200 * 2**20  # the graph file and, separately, all its external data together
MAX_GRAPH_FIELDS = 16384  # nodes + initializers + inputs + outputs + value infos, counted on the wire
MAX_NODES = 2000
MAX_INITIALIZERS = 4096
MAX_WEIGHT_BYTES = 200 * 2**20  # all initializers and Constant tensors, as declared
MAX_CHANNELS = 4096  # axis 1 of any activation of rank 3 or more
MAX_LIVE_ACTIVATION_BYTES = 4 * 2**24  # float32 bytes per picture alive at once (64 MiB)
MAX_FOLDED = 2**20  # elements of a constant computed while folding shape subgraphs
MAX_CLASSES = 4096  # classes of a conditional generator's label
SAMPLED_RANGE_MACS = 20_000_000_000  # work spent sampling outputs to guess their range
