"""Minimal reader for GGUF files (llama.cpp's model format) with fast torch dequantization.

The PyPI ``gguf`` package's ``GGUFReader`` builds numpy views for every metadata string
(about 5 s for SmolLM2's 98 k vocabulary strings); this reader parses the same layout with
``struct`` in well under a second, and dequantizes the common block formats (F32, F16, BF16,
Q8_0, Q4_0, Q4_1) with vectorised torch code. Other quantization types fall back to
``gguf.quants.dequantize`` (needs the ``gguf`` package). Tests check both against ``gguf``.

Layout (GGUF v2/v3, little-endian): magic ``GGUF``, version u32, tensor count u64, metadata
count u64; metadata entries (key string, value type u32, value); tensor infos (name, n_dims u32,
dims u64 x n_dims -- innermost first --, type u32, offset u64); padding to ``general.alignment``
(default 32); tensor data. Strings are u64 length + UTF-8 bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q",
            11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9

# ggml type id -> (name, block size in elements, bytes per block)
GGML_TYPES = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    30: ("BF16", 1, 2),
}


@dataclass
class GGUFTensorInfo:
    name: str
    shape: tuple[int, ...]  # torch order (outermost first), i.e. reversed ggml dims
    type_id: int
    offset: int  # absolute byte offset in the file
    n_bytes: int

    @property
    def type_name(self) -> str:
        return GGML_TYPES.get(self.type_id, (f"type{self.type_id}", 0, 0))[0]

    @property
    def n_elements(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1


class GGUFFile:
    """Metadata and tensors of a GGUF file (read into memory once)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"GGUF file not found: {self.path}")
        self.buf = self.path.read_bytes()
        self.metadata: dict[str, object] = {}
        self.tensors: dict[str, GGUFTensorInfo] = {}
        self._parse()

    # ---------------------------------------------------------------- parsing
    def _parse(self) -> None:
        buf = self.buf
        if buf[:4] != b"GGUF":
            raise ValueError(f"{self.path} is not a GGUF file (bad magic {buf[:4]!r})")
        version, n_tensors, n_kv = struct.unpack_from("<IQQ", buf, 4)
        if version not in (2, 3):
            raise ValueError(f"unsupported GGUF version {version} (expected 2 or 3)")
        pos = 24

        def read_str(pos):
            (n,) = struct.unpack_from("<Q", buf, pos)
            pos += 8
            return buf[pos:pos + n].decode("utf-8", errors="replace"), pos + n

        def read_value(vtype, pos):
            if vtype in _SCALARS:
                fmt = _SCALARS[vtype]
                return struct.unpack_from(fmt, buf, pos)[0], pos + struct.calcsize(fmt)
            if vtype == _STRING:
                return read_str(pos)
            if vtype == _ARRAY:
                etype, count = struct.unpack_from("<IQ", buf, pos)
                pos += 12
                if etype in _SCALARS:
                    fmt = _SCALARS[etype]
                    size = struct.calcsize(fmt)
                    vals = list(struct.unpack_from(f"<{count}{fmt[1]}", buf, pos))
                    return vals, pos + size * count
                vals = []
                for _ in range(count):
                    v, pos = read_value(etype, pos)
                    vals.append(v)
                return vals, pos
            raise ValueError(f"unknown GGUF metadata value type {vtype}")

        for _ in range(n_kv):
            key, pos = read_str(pos)
            (vtype,) = struct.unpack_from("<I", buf, pos)
            value, pos = read_value(vtype, pos + 4)
            self.metadata[key] = value

        infos = []
        for _ in range(n_tensors):
            name, pos = read_str(pos)
            (n_dims,) = struct.unpack_from("<I", buf, pos)
            pos += 4
            dims = struct.unpack_from(f"<{n_dims}Q", buf, pos)
            pos += 8 * n_dims
            type_id, offset = struct.unpack_from("<IQ", buf, pos)
            pos += 12
            infos.append((name, tuple(int(d) for d in reversed(dims)), type_id, offset))
        align = int(self.metadata.get("general.alignment", 32))
        data_start = -(-pos // align) * align
        for name, shape, type_id, offset in infos:
            if type_id not in GGML_TYPES:
                raise ValueError(f"tensor {name!r} has unknown ggml type {type_id}")
            _, block, nbytes = GGML_TYPES[type_id]
            n = int(np.prod(shape)) if shape else 1
            if n % block:
                raise ValueError(f"tensor {name!r}: {n} elements is not a multiple of {block}")
            self.tensors[name] = GGUFTensorInfo(name, shape, type_id, data_start + offset,
                                                n // block * nbytes)

    # ---------------------------------------------------------------- data
    def raw(self, name: str) -> np.ndarray:
        """The tensor's raw bytes as a uint8 array (no copy)."""
        info = self._info(name)
        return np.frombuffer(self.buf, dtype=np.uint8, count=info.n_bytes, offset=info.offset)

    def _info(self, name: str) -> GGUFTensorInfo:
        if name not in self.tensors:
            raise KeyError(f"no tensor {name!r} in {self.path.name}")
        return self.tensors[name]

    def dequantize(self, name: str) -> torch.Tensor:
        """The tensor as float32, shaped in torch order (e.g. (out_features, in_features))."""
        info = self._info(name)
        return dequantize_blocks(self.raw(name), info.type_id).reshape(info.shape)


def _f16(col: torch.Tensor) -> torch.Tensor:
    """(n, 2) uint8 -> (n, 1) float32 from little-endian float16."""
    return col.contiguous().view(torch.float16).float()


def dequantize_blocks(raw: np.ndarray, type_id: int) -> torch.Tensor:
    """Flat float32 tensor from raw ggml bytes of type ``type_id``."""
    name, block, nbytes = GGML_TYPES.get(type_id, (None, 0, 0))
    data = torch.from_numpy(raw.copy())
    if name == "F32":
        return data.view(torch.float32).clone()
    if name == "F16":
        return data.view(torch.float16).float()
    if name == "BF16":
        return data.view(torch.bfloat16).float()
    if name in ("Q8_0", "Q4_0", "Q4_1"):
        blocks = data.view(-1, nbytes)
        d = _f16(blocks[:, 0:2])
        if name == "Q8_0":  # x = d * q, q int8
            return (d * blocks[:, 2:].view(torch.int8).float()).reshape(-1)
        if name == "Q4_0":  # x = d * (q - 8), low nibbles first then high nibbles
            qs = blocks[:, 2:]
            q = torch.cat([qs & 15, qs >> 4], dim=1).float() - 8.0
            return (d * q).reshape(-1)
        m = _f16(blocks[:, 2:4])  # Q4_1: x = d * q + m
        qs = blocks[:, 4:]
        q = torch.cat([qs & 15, qs >> 4], dim=1).float()
        return torch.addcmul(m, d, q).reshape(-1)
    from nonlinlab.core import require_module

    gguf = require_module("gguf", pip_name="gguf", purpose=f"dequantizing ggml type {name}")
    out = gguf.quants.dequantize(raw, gguf.GGMLQuantizationType(type_id))
    return torch.from_numpy(np.ascontiguousarray(out, dtype=np.float32)).reshape(-1)
