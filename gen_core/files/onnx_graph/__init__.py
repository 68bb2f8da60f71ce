"""A decoder trained anywhere, as a model: an ONNX graph of ``z -> image`` rebuilt in torch.

``torch.onnx.export`` (either exporter) of someone else's decoder or generator becomes a
``GenerativeModel`` every page explores like a checkpoint. The graph is not run by ONNX Runtime:
each node is rebuilt as a torch layer and the graph runs as one ``nn.Module``, so decoding is
differentiable (GAN inversion finds latents for an image) and the app needs no second runtime.

Modules: ``wire`` counts graph entries before parsing; ``reader`` parses and checks the envelope,
tensors (inline or external) and attributes; ``fold`` evaluates constant shape subgraphs;
``ops_*`` build one operator each, checked against its real weights; ``planner`` walks the graph
and checks the caps in ``limits`` before any layer is built; ``module`` runs the rebuilt graph;
``inputs`` reads the latent and label inputs; ``decoder`` is the model; ``encoder`` adds an
encoder graph beside it (a foreign VAE); ``loader`` opens files and finds their companions.
``docs/file-formats.md`` lists what is accepted.
"""

from gen_core.files.onnx_graph.decoder import OnnxDecoder, OnnxDecoderConfig
from gen_core.files.onnx_graph.encoder import OnnxVAE
from gen_core.files.onnx_graph.loader import ENCODER_SUFFIX, load_onnx_bytes, load_onnx_file, named_encoder

__all__ = [
    "ENCODER_SUFFIX",
    "OnnxDecoder",
    "OnnxDecoderConfig",
    "OnnxVAE",
    "load_onnx_bytes",
    "load_onnx_file",
    "named_encoder",
]
