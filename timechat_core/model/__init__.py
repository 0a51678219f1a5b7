"""The TimeChat model on transformers and peft: config, modules, the official load chain, model folders."""
