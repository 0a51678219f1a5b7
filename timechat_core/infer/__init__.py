"""`timechat infer`: manifests, the batched inference engine, model loading and output renderers."""
