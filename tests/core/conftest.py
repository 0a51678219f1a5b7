"""Model-test fixtures: the reference conformance fixture (produced by the reference code)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ref_tiny(datadir):
    return datadir / "reference_tiny"


@pytest.fixture(scope="session")
def ref_files(ref_tiny):
    from timechat_core.model.convert_lavis import ReferenceFiles

    c = ref_tiny / "checkpoints"
    return ReferenceFiles(vit=c / "eva_vit_g.pth", qformer=c / "instruct_blip_vicuna7b_trimmed.pth",
                          llm=ref_tiny / "llama-2-7b-chat-hf", checkpoint=c / "timechat_7b.pth",
                          bert=ref_tiny / "bert-base-uncased")


@pytest.fixture(scope="session")
def tiny_cfg(ref_tiny):
    from timechat_core.model.config import config_from_fixture

    return config_from_fixture(ref_tiny)


@pytest.fixture(scope="session")
def ref_model(ref_files, tiny_cfg):
    """The fixture's weights through the real load chain, fp32, eval mode."""
    import torch

    from timechat_core.model.convert_lavis import load_reference

    model, processor, report = load_reference(ref_files, tiny_cfg, dtype=torch.float32)
    return model.eval(), processor, report
