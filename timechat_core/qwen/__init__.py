"""Qwen2.5-VL and Qwen3-VL model folders (and their plain-transformers fine-tunes) behind the answer loop.

- `folder`: which family a folder is (its `config.json` `model_type`), loading it with transformers' classes;
- `sampling`: the frames and sizes `qwen-vl-utils` 0.0.14 chooses, without torchvision;
- `processor`: the transformers processor of the family with a torchvision-free video processor;
- `engine`: `QwenEngine`, the `answering.AnswerLoop` steps;
- `tiny`: small random folders of both families (tests, benchmarks);
- `sizes`: the released sizes' architectures, built with random weights and timed stage by stage.

See `docs/qwen-vl.md`.
"""
