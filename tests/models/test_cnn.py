import pytest
import torch

from nonlinlab.models.cnn import SmallCNN


def test_small_cnn_shapes_and_head():
    torch.manual_seed(0)
    m = SmallCNN(3, width=4).eval()
    x = torch.randn(2, 1, 28, 28)
    f = m.features(x)
    assert f.shape == (2, 16)
    assert torch.allclose(m(x), m.head(f))
    assert m(torch.randn(2, 1, 8, 8)).shape == (2, 3)


def test_small_cnn_bad_input():
    with pytest.raises(ValueError, match="B, 1, H, W"):
        SmallCNN(3, width=4).features(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="positive"):
        SmallCNN(0)
