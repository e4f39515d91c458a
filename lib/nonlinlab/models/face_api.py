"""Pretrained face nets of face-api.js, ported to torch: a 128-D face descriptor, age/gender and
7 facial expressions.

The weights come from the npm package ``@vladmandic/face-api`` 1.7.15 (MIT licence; the
descriptor net descends from dlib's ResNet face-recognition model), read straight from the
package tarball (``package/model/<net>-weights_manifest.json`` and its ``.bin`` shard) without
extracting it: the manifest lists each tensor's name, shape and dtype; uint8-quantised tensors
are dequantised as ``q · scale + min`` (TF.js's rule), the others are little-endian float32.
No pickle is involved.

The tarball is looked up at ``$NONLINLAB_FACE_API`` (a ``.tgz`` path), else at
``<sys.prefix>/share/nonlinlab/vladmandic-face-api-1.7.15.tgz``, where
``python -m nonlinlab.models.face_api fetch`` puts it (it downloads the registry tarball and
checks npm's sha512 integrity). Nothing here downloads implicitly.

The three nets follow face-api's TypeScript sources (``src/faceRecognitionNet``,
``src/xception``, ``src/ageGenderNet``, ``src/faceFeatureExtractor``, ``src/faceExpressionNet``)
operation by operation, including TensorFlow's ``'same'`` padding (asymmetric at stride 2) and
its legacy bilinear resize (``resizeBilinear(alignCorners=false, halfPixelCenters=false)``)
that ``NetInput.toBatchTensor`` applies. Inputs are RGB images in ``[0, 255]``, shape
``(B, 3, H, W)`` with ``H == W`` (use :func:`to_uint8_range` for generator outputs in
``[-1, 1]``). ``tests/models/test_face_api.py`` compares the port with outputs of the original
TF.js models stored in ``tests/models/face_api_reference.json``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VERSION = "1.7.15"
TARBALL = f"vladmandic-face-api-{VERSION}.tgz"
URL = f"https://registry.npmjs.org/@vladmandic/face-api/-/face-api-{VERSION}.tgz"
INTEGRITY = ("sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDX"
             "FnvrdHTXDw==")
ENV = "NONLINLAB_FACE_API"
FETCH_COMMAND = "python -m nonlinlab.models.face_api fetch"
MEAN_RGB = (122.782, 117.001, 104.298)
EXPRESSIONS = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
LICENCE = ("@vladmandic/face-api 1.7.15, MIT licence (the face descriptor descends from dlib's "
           "face-recognition ResNet)")


# ------------------------------------------------------------------------------------------
# Locating, fetching and reading the tarball
# ------------------------------------------------------------------------------------------


def default_path() -> Path:
    return Path(sys.prefix) / "share" / "nonlinlab" / TARBALL


def tarball_path() -> Path:
    """``$NONLINLAB_FACE_API`` if set, else :func:`default_path` (existing or not)."""
    env = os.environ.get(ENV)
    return Path(env) if env else default_path()


def available() -> bool:
    return tarball_path().is_file()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch(dest: str | os.PathLike | None = None, *, url: str = URL, timeout: float = 60.0) -> Path:
    """Download the npm tarball to ``dest`` (default :func:`tarball_path`), check npm's sha512
    integrity and return the path. Raises ``RuntimeError`` when offline or on a mismatch."""
    dest = Path(dest) if dest is not None else tarball_path()
    if dest.is_file() and _integrity(dest.read_bytes()) == INTEGRITY:
        return dest
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            data = resp.read()
    except OSError as err:
        raise RuntimeError(f"could not download {url} ({err}); the face-api weights need one "
                           f"download from the npm registry: run `{FETCH_COMMAND}` online, or "
                           f"set ${ENV} to a copy of {TARBALL}") from err
    got = _integrity(data)
    if got != INTEGRITY:
        raise RuntimeError(f"integrity mismatch for {url}: expected {INTEGRITY}, got {got}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False) as tmp:
        tmp.write(data)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, dest)
    return dest


def _require_tarball() -> Path:
    path = tarball_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"the face-api weights ({TARBALL}) are not at {path}. Fetch them once with\n"
            f"    {FETCH_COMMAND}\n(or set ${ENV} to the path of a copy of the npm tarball "
            f"{URL})")
    return path


def _read_model_files() -> dict[str, bytes]:
    """Every file under ``package/model/`` of the tarball, in one sequential pass (a gzip
    stream cannot seek, so reading member by member would decompress it again each time)."""
    path = _require_tarball()
    files = {}
    with tarfile.open(path, "r|gz") as tar:
        for member in tar:
            if member.isfile() and member.name.startswith("package/model/"):
                files[member.name.rsplit("/", 1)[1]] = tar.extractfile(member).read()
    return files


def _decode(model: str, files: dict[str, bytes]) -> dict[str, torch.Tensor]:
    manifest = json.loads(files[f"{model}-weights_manifest.json"])
    out: dict[str, torch.Tensor] = {}
    for group in manifest:
        buf = b"".join(files[p] for p in group["paths"])
        pos = 0
        for spec in group["weights"]:
            n = math.prod(spec["shape"])
            q = spec.get("quantization")
            if spec["dtype"] != "float32":
                raise ValueError(f"{model}: unexpected dtype {spec['dtype']}")
            if q is None:
                arr = np.frombuffer(buf, "<f4", n, pos)
                pos += 4 * n
            elif q["dtype"] == "uint8":  # TF.js: q · scale + min
                arr = np.frombuffer(buf, np.uint8, n, pos).astype(np.float32) \
                    * np.float32(q["scale"]) + np.float32(q["min"])
                pos += n
            else:
                raise ValueError(f"{model}: unsupported quantisation {q['dtype']}")
            out[spec["name"]] = torch.from_numpy(arr.astype(np.float32).reshape(spec["shape"]))
        if pos != len(buf):
            raise ValueError(f"{model}: {len(buf) - pos} bytes left after the manifest")
    return out


def load_weights(*models: str) -> dict[str, dict[str, torch.Tensor]] | dict[str, torch.Tensor]:
    """The dequantised float32 tensors of ``model`` (e.g. ``"face_recognition_model"``), keyed
    by their TF.js names, with TF.js shapes (convolution filters ``H × W × in × out``). With
    several models, a dict of such dicts (the tarball is read once)."""
    files = _read_model_files()
    out = {m: _decode(m, files) for m in models}
    return out[models[0]] if len(models) == 1 else out


def load_nets(*names: str, device="cpu") -> tuple[nn.Module, ...]:
    """The nets ``"recognition"``, ``"age_gender"``, ``"expression"`` (any of them, in the
    order asked), in eval mode, reading the tarball once."""
    classes = {"recognition": (FaceRecognitionNet, "face_recognition_model"),
               "age_gender": (AgeGenderNet, "age_gender_model"),
               "expression": (FaceExpressionNet, "face_expression_model")}
    bad = [n for n in names if n not in classes]
    if bad or not names:
        raise ValueError(f"unknown face-api nets {bad}; choose among {list(classes)}")
    files = _read_model_files()
    return tuple(classes[n][0](_decode(classes[n][1], files)).to(device).eval() for n in names)


# ------------------------------------------------------------------------------------------
# TensorFlow semantics in torch
# ------------------------------------------------------------------------------------------


def _same_pad(x: torch.Tensor, k: int, s: int, value: float = 0.0) -> torch.Tensor:
    """TensorFlow's ``'same'`` padding: total ``max((ceil(n/s)-1)s + k - n, 0)``, the extra
    pixel at the bottom/right."""
    pads = []
    for n in (x.shape[3], x.shape[2]):
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads, value=value)


def conv_filter(w: torch.Tensor) -> torch.Tensor:
    """TF.js ``H × W × in × out`` → torch ``out × in × H × W``."""
    return w.permute(3, 2, 0, 1).contiguous()


def depthwise_filter(w: torch.Tensor) -> torch.Tensor:
    """TF.js ``H × W × C × 1`` → torch ``C × 1 × H × W`` (groups = C)."""
    return w.permute(2, 3, 0, 1).contiguous()


def tf_conv(x, w, b, stride: int = 1, padding: str = "same"):
    k = w.shape[-1]
    if padding == "same":
        x = _same_pad(x, k, stride)
    return F.conv2d(x, w, b, stride)


def tf_separable(x, dw, pw, b, stride: int = 1):
    """``tf.separableConv2d(x, dw, pw, stride, 'same') + b``."""
    x = _same_pad(x, dw.shape[-1], stride)
    x = F.conv2d(x, dw, None, stride, groups=dw.shape[0])
    return F.conv2d(x, pw, b)


def tf_maxpool_same(x, k: int = 3, s: int = 2):
    """``tf.maxPool(x, k, s, 'same')`` (padding never wins the max), as the maximum of the
    ``k²`` strided shifts (faster on CPU than ``max_pool2d`` here, and equal to it)."""
    x = _same_pad(x, k, s, value=-math.inf)
    h, w = (x.shape[2] - k) // s + 1, (x.shape[3] - k) // s + 1
    out = None
    for i in range(k):
        for j in range(k):
            v = x[:, :, i: i + s * (h - 1) + 1: s, j: j + s * (w - 1) + 1: s]
            out = v if out is None else torch.maximum(out, v)
    return out


def tf_resize_bilinear(x: torch.Tensor, size: int) -> torch.Tensor:
    """``tf.image.resizeBilinear(x, [size, size], alignCorners=false, halfPixelCenters=false)``:
    source coordinate ``i · in/out`` (not the half-pixel rule of ``F.interpolate``)."""
    def axis(n_in):
        src = torch.arange(size, dtype=torch.float64) * (n_in / size)
        i0 = src.floor().long().clamp(max=n_in - 1)
        i1 = (i0 + 1).clamp(max=n_in - 1)
        return i0, i1, (src - i0).to(x.dtype)
    y0, y1, fy = axis(x.shape[2])
    x0, x1, fx = axis(x.shape[3])
    top = x[:, :, y0] * (1 - fy)[:, None] + x[:, :, y1] * fy[:, None]
    return top[..., x0] * (1 - fx) + top[..., x1] * fx


def to_uint8_range(img: torch.Tensor) -> torch.Tensor:
    """Generator output in ``[-1, 1]`` → ``[0, 255]`` (float, not rounded: differentiable)."""
    return (img.clamp(-1, 1) + 1) * 127.5


def _prepare(x: torch.Tensor, size: int) -> torch.Tensor:
    """``NetInput.toBatchTensor(size)`` then ``normalize(·, meanRgb) / 255``; ``x`` RGB in
    [0, 255], ``(B, 3, H, H)``."""
    if x.dim() != 4 or x.shape[1] != 3 or x.shape[2] != x.shape[3]:
        raise ValueError(f"expected square RGB images (B, 3, H, H), got {tuple(x.shape)}")
    if x.shape[2] != size:
        x = tf_resize_bilinear(x, size)
    mean = torch.tensor(MEAN_RGB, dtype=x.dtype, device=x.device)[:, None, None]
    return (x - mean) / 255.0


class _Frozen(nn.Module):
    """Holds TF.js tensors as buffers (converted to torch layouts) and never trains."""

    def _buf(self, name: str, t: torch.Tensor) -> None:
        self.register_buffer(name.replace("/", "__"), t)

    def w(self, name: str) -> torch.Tensor:
        return getattr(self, name.replace("/", "__"))

    def _sep(self, prefix, x, stride=1):
        return tf_separable(x, self.w(f"{prefix}/depthwise_filter"),
                            self.w(f"{prefix}/pointwise_filter"), self.w(f"{prefix}/bias"), stride)


def _convert(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in weights.items():
        if k.endswith("depthwise_filter"):
            v = depthwise_filter(v)
        elif v.dim() == 4:
            v = conv_filter(v)
        out[k] = v
    return out


# ------------------------------------------------------------------------------------------
# faceRecognitionNet: 128-D descriptor (dlib's ResNet-29 layout, 150 × 150 input)
# ------------------------------------------------------------------------------------------


class FaceRecognitionNet(_Frozen):
    """``forward(x)`` → ``(B, 128)`` descriptors; face-api calls two faces the same person when
    the Euclidean distance is below 0.6."""

    INPUT = 150
    BLOCKS = ("conv32_1", "conv32_2", "conv32_3", "conv64_down", "conv64_1", "conv64_2",
              "conv64_3", "conv128_down", "conv128_1", "conv128_2", "conv256_down",
              "conv256_1", "conv256_2", "conv256_down_out")

    def __init__(self, weights: dict[str, torch.Tensor] | None = None):
        super().__init__()
        for k, v in _convert(weights or load_weights("face_recognition_model")).items():
            self._buf(k, v)

    def _conv(self, prefix, x, stride, relu):
        out = tf_conv(x, self.w(f"{prefix}/conv/filters"), self.w(f"{prefix}/conv/bias"), stride,
                      "valid" if stride == 2 else "same")
        out = out * self.w(f"{prefix}/scale/weights")[:, None, None] \
            + self.w(f"{prefix}/scale/biases")[:, None, None]
        return F.relu(out) if relu else out

    def _residual(self, prefix, x):
        down = prefix.endswith("down") or prefix.endswith("down_out")
        out = self._conv(f"{prefix}/conv1", x, 2 if down else 1, True)
        out = self._conv(f"{prefix}/conv2", out, 1, False)
        if not down:
            return F.relu(out + x)
        pooled = F.avg_pool2d(x, 2, 2)
        if pooled.shape[-2:] != out.shape[-2:]:  # face-api appends a zero row and column
            out = F.pad(out, [0, 1, 0, 1])
        if pooled.shape[1] != out.shape[1]:  # and zero channels to the shortcut
            pooled = torch.cat([pooled, torch.zeros_like(pooled)], 1)
        return F.relu(pooled + out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _prepare(x, self.INPUT)
        out = self._conv("conv32_down", x, 2, True)
        out = F.max_pool2d(out, 3, 2)
        for name in self.BLOCKS:
            out = self._residual(name, out)
        return out.mean((2, 3)) @ self.w("fc")


# ------------------------------------------------------------------------------------------
# ageGenderNet: TinyXception(2) + age regression and gender softmax (112 × 112 input)
# ------------------------------------------------------------------------------------------


class AgeGenderNet(_Frozen):
    """``forward(x)`` → ``(age (B,), gender_logits (B, 2))``; ``softmax(gender_logits)[:, 0]`` is
    face-api's probability of *male*."""

    INPUT = 112

    def __init__(self, weights: dict[str, torch.Tensor] | None = None, n_main: int = 2):
        super().__init__()
        self.n_main = n_main
        for k, v in _convert(weights or load_weights("age_gender_model")).items():
            self._buf(k, v)

    def _reduction(self, p, x, activate=True):
        out = F.relu(x) if activate else x
        out = self._sep(f"{p}/separable_conv0", out)
        out = self._sep(f"{p}/separable_conv1", F.relu(out))
        out = tf_maxpool_same(out, 3, 2)
        return out + tf_conv(x, self.w(f"{p}/expansion_conv/filters"),
                             self.w(f"{p}/expansion_conv/bias"), 2)

    def _main(self, p, x):
        out = self._sep(f"{p}/separable_conv0", F.relu(x))
        out = self._sep(f"{p}/separable_conv1", F.relu(out))
        out = self._sep(f"{p}/separable_conv2", F.relu(out))
        return out + x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = _prepare(x, self.INPUT)
        out = F.relu(tf_conv(x, self.w("entry_flow/conv_in/filters"),
                             self.w("entry_flow/conv_in/bias"), 2))
        out = self._reduction("entry_flow/reduction_block_0", out, activate=False)
        out = self._reduction("entry_flow/reduction_block_1", out)
        for i in range(self.n_main):
            out = self._main(f"middle_flow/main_block_{i}", out)
        out = self._reduction("exit_flow/reduction_block", out)
        return F.relu(self._sep("exit_flow/separable_conv", out))

    def forward(self, x: torch.Tensor):
        pooled = F.avg_pool2d(self.features(x), 7, 2).flatten(1)
        age = (pooled @ self.w("fc/age/weights") + self.w("fc/age/bias"))[:, 0]
        gender = pooled @ self.w("fc/gender/weights") + self.w("fc/gender/bias")
        return age, gender


# ------------------------------------------------------------------------------------------
# faceExpressionNet: dense-block feature extractor + 7-way softmax (112 × 112 input)
# ------------------------------------------------------------------------------------------


class FaceExpressionNet(_Frozen):
    """``forward(x)`` → ``(B, 7)`` logits in the order of :data:`EXPRESSIONS` (face-api applies a
    softmax)."""

    INPUT = 112

    def __init__(self, weights: dict[str, torch.Tensor] | None = None):
        super().__init__()
        for k, v in _convert(weights or load_weights("face_expression_model")).items():
            self._buf(k, v)

    def _dense4(self, p, x, first=False):
        if first:
            out1 = F.relu(tf_conv(x, self.w(f"{p}/conv0/filters"), self.w(f"{p}/conv0/bias"), 2))
        else:
            out1 = F.relu(self._sep(f"{p}/conv0", x, 2))
        out2 = self._sep(f"{p}/conv1", out1)
        out3 = self._sep(f"{p}/conv2", F.relu(out1 + out2))
        out4 = self._sep(f"{p}/conv3", F.relu(out1 + out2 + out3))
        return F.relu(out1 + out2 + out3 + out4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = _prepare(x, self.INPUT)
        out = self._dense4("dense0", out, first=True)
        for p in ("dense1", "dense2", "dense3"):
            out = self._dense4(p, out)
        out = F.avg_pool2d(out, 7, 2).flatten(1)
        return out @ self.w("fc/weights") + self.w("fc/bias")


# ------------------------------------------------------------------------------------------
# A check of the port against the original TF.js models
# ------------------------------------------------------------------------------------------

#: Outputs of the original face-api.js nets (TF.js 4.22, cpu backend) on
#: :func:`reference_image` ``(64)``, copied from ``tests/models/face_api_reference.json`` (which
#: holds all of them and how they were made): the first 8 descriptor values, the age, p(male,
#: female) and the 7 expression probabilities.
REFERENCE_64 = {
    "descriptor[:8]": [-0.043531574, 0.072046265, 0.076555498, -0.010334226, -0.076718651,
                       -0.07040555, -0.0083714258, -0.011816809],
    "age": 57.279381,
    "gender": [0.91928226, 0.080717705],
    "expressions": [0.38940078, 0.11202144, 0.36311752,
        0.097581819, 0.0057234084, 0.019541891, 0.012613114],
}


def reference_image(n: int = 64) -> torch.Tensor:
    """A deterministic integer image, ``(1, 3, n, n)``: pixel (i, j, c) =
    ``(3i + 5j + 50c + 7((i·j) mod 11)) mod 256``."""
    i, j, c = np.meshgrid(np.arange(n), np.arange(n), np.arange(3), indexing="ij")
    a = (3 * i + 5 * j + 50 * c + 7 * ((i * j) % 11)) % 256
    return torch.tensor(a, dtype=torch.float32).permute(2, 0, 1)[None]


@torch.no_grad()
def port_deviation(recognition, age_gender, expression) -> dict[str, float]:
    """Largest absolute deviation of each net from :data:`REFERENCE_64` (age: relative)."""
    x = reference_image(64)
    ref = REFERENCE_64
    age, gender = age_gender(x)
    return {
        "descriptor": float((recognition(x)[0, :8]
                             - torch.tensor(ref["descriptor[:8]"])).abs().max()),
        "age (relative)": abs(age.item() - ref["age"]) / ref["age"],
        "gender": float((torch.softmax(gender, 1)[0] - torch.tensor(ref["gender"])).abs().max()),
        "expressions": float((torch.softmax(expression(x), 1)[0]
                              - torch.tensor(ref["expressions"])).abs().max()),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["fetch"] or len(argv) > 2:
        print(f"usage: {FETCH_COMMAND} [DEST.tgz]   (default {tarball_path()})", file=sys.stderr)
        return 2
    path = fetch(argv[1] if len(argv) == 2 else None)
    print(f"face-api {VERSION} weights at {path} ({INTEGRITY[:20]}… verified)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
