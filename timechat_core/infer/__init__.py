"""`timechat infer`: prompts, manifests, the batched inference engine and output renderers."""
