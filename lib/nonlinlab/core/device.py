"""Device selection and mixed precision. The only module that may name a concrete device."""

from __future__ import annotations

import contextlib
import re

import torch

_PATTERN = re.compile(r"^(auto|cpu|mps|cuda)(?::(\d+))?$")
CHOICES = ("auto", "cpu", "cuda", "cuda:<index>", "mps")


class DeviceError(ValueError):
    """An unknown device name, or a device this machine does not have."""


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """Turn ``"auto"`` (cuda, then mps, then cpu) or an explicit name into a ``torch.device``.

    Raises :class:`DeviceError` with the valid choices for an unknown name, and a clear message
    when the requested device is not available here (instead of failing deep inside torch).
    """
    if isinstance(device, torch.device):
        device = str(device)
    if not isinstance(device, str):
        raise DeviceError(f"device must be a string such as 'auto' or 'cpu', got {device!r}")
    name = device.strip().lower()
    match = _PATTERN.match(name)
    if match is None:
        raise DeviceError(f"unknown device {device!r}; choose one of {', '.join(CHOICES)}")
    kind, index = match.group(1), match.group(2)
    if kind == "auto":
        if index is not None:
            raise DeviceError(f"unknown device {device!r}; 'auto' takes no index")
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if kind == "cpu":
        return torch.device("cpu")
    if kind == "mps":
        if not _mps_available():
            raise DeviceError("device 'mps' was requested but Apple MPS is not available here")
        return torch.device("mps")
    if not torch.cuda.is_available():
        raise DeviceError(
            f"device {device!r} was requested but CUDA is not available on this machine "
            "(use device='auto' or 'cpu'; on Colab choose Runtime > Change runtime type > GPU)"
        )
    if index is not None and int(index) >= torch.cuda.device_count():
        raise DeviceError(
            f"device {device!r} was requested but only {torch.cuda.device_count()} "
            "CUDA device(s) exist"
        )
    return torch.device(name)


def device_name(device: torch.device) -> str:
    """A human-readable name: the GPU model on CUDA, else the device type."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "mps":
        return "Apple MPS"
    return "CPU"


def amp_dtype(device: torch.device) -> torch.dtype:
    """The reduced-precision dtype for autocast on ``device``: bf16 where supported, else fp16."""
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "mps":
        return torch.float16
    return torch.bfloat16


def autocast(device: torch.device, enabled: bool = True, dtype: torch.dtype | None = None):
    """A mixed-precision context for ``device`` (a no-op context when ``enabled`` is false)."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype or amp_dtype(device))


def grad_scaler(device: torch.device, enabled: bool = True, dtype: torch.dtype | None = None):
    """A gradient scaler, active only where it is needed (CUDA with fp16 autocast)."""
    needed = enabled and device.type == "cuda" and (dtype or amp_dtype(device)) == torch.float16
    return torch.amp.GradScaler("cuda", enabled=needed)


def to_device(obj, device: torch.device):
    """Move a tensor, or tensors nested in tuples/lists/dicts, to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(v, device) for v in obj)
    return obj
