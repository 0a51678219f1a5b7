"""`timechat train`: instruction tuning (config, data, optimizer, loop, checkpoints)."""
