"""Model files: the one error type, the safetensors checkpoint, the model card, ONNX decoders, conversion."""
