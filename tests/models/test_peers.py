"""The peer-implementation loader: timm's EvoNorm file loads (without torchvision if need be)."""

import pytest
import torch

from nonlinlab.models.peers import timm_layer_module


def test_timm_evo_norm_loads_and_runs():
    evo = timm_layer_module("evo_norm")
    x = torch.randn(2, 8, 5, 5)
    y = evo.EvoNorm2dS0(8, group_size=4)(x)
    assert y.shape == x.shape and torch.isfinite(y).all()


def test_bad_names_are_refused():
    with pytest.raises(ValueError):
        timm_layer_module("../evil")
    with pytest.raises(ImportError):
        timm_layer_module("no_such_layer_file")
