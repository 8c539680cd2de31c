"""Models: how a model is named (``spec``: tiny, packaged, local or Hub, with a layer cut),
configured (``ModelConfig``, ``AdapterSettings``), loaded (``build.load_adapter``, the one way
to an adapter: precision, LoRA, quantization) and prompted (``prompting``: plain or chat
frames); packaged offline models and tiny test models."""
