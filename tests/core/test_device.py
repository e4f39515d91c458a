import pytest
import torch

from nonlinlab.core import DeviceError, amp_dtype, autocast, resolve_device, to_device


def test_auto_picks_an_available_device():
    dev = resolve_device("auto")
    expected = "cuda" if torch.cuda.is_available() else None
    assert dev.type in ("cuda", "mps", "cpu")
    if expected:
        assert dev.type == expected


@pytest.mark.parametrize("name", ["cpu", "CPU", " cpu "])
def test_explicit_cpu(name):
    assert resolve_device(name) == torch.device("cpu")


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", "auto:0", ""])
def test_unknown_device_is_a_clear_error(name):
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device(name)


def test_non_string_is_a_clear_error():
    with pytest.raises(DeviceError, match="must be a string"):
        resolve_device(3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="machine has CUDA")
def test_unavailable_cuda_is_a_clear_error():
    with pytest.raises(DeviceError, match="CUDA is not available"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="CUDA is not available"):
        resolve_device("cuda:1")


def test_device_error_is_a_value_error():
    assert issubclass(DeviceError, ValueError)


def test_autocast_on_cpu_uses_bf16():
    dev = torch.device("cpu")
    assert amp_dtype(dev) == torch.bfloat16
    a = torch.randn(4, 4)
    with autocast(dev):
        assert (a @ a).dtype == torch.bfloat16
    with autocast(dev, enabled=False):
        assert (a @ a).dtype == torch.float32


def test_to_device_handles_nested_batches():
    batch = {"x": torch.ones(2), "pair": (torch.zeros(1), 3), "list": [torch.ones(1)]}
    moved = to_device(batch, torch.device("cpu"))
    assert moved["pair"][1] == 3 and isinstance(moved["pair"], tuple)
    assert moved["x"].device.type == "cpu"
