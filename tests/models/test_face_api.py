"""The torch port of face-api.js's nets against stored outputs of the original TF.js models
(``face_api_reference.json``: the inputs and how the numbers were made are written in it), and a
semantic check of the descriptor on generated faces."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from nonlinlab.core.optional import FACEGAN
from nonlinlab.models import face_api as fa

pytestmark = pytest.mark.skipif(
    not fa.available(), reason=f"face-api tarball missing (run `{fa.FETCH_COMMAND}`)")

REF = json.loads((Path(__file__).parent / "face_api_reference.json").read_text())["outputs"]


def image(n: int) -> torch.Tensor:
    """The reference input: (3i + 5j + 50c + 7((i·j) mod 11)) mod 256, as (1, 3, n, n)."""
    i, j, c = np.meshgrid(np.arange(n), np.arange(n), np.arange(3), indexing="ij")
    a = (3 * i + 5 * j + 50 * c + 7 * ((i * j) % 11)) % 256
    return torch.tensor(a, dtype=torch.float32).permute(2, 0, 1)[None]


@pytest.fixture(scope="module")
def nets():
    return fa.load_nets("recognition", "age_gender", "expression")


@pytest.mark.parametrize("n", [64, 150])
@torch.no_grad()
def test_port_matches_tfjs(nets, n):
    rec, ag, ex = nets
    x = image(n)
    assert np.abs(rec(x)[0].numpy() - REF[f"descriptor_{n}"]).max() < 1e-4
    age, gender = ag(x)
    assert abs(age.item() - REF[f"age_{n}"][0]) < 1e-5 * abs(REF[f"age_{n}"][0]) + 1e-4
    assert np.abs(torch.softmax(gender, 1)[0].numpy() - REF[f"gender_prob_{n}"]).max() < 1e-4
    assert np.abs(torch.softmax(ex(x), 1)[0].numpy() - REF[f"expression_prob_{n}"]).max() < 1e-4


def test_tf_semantics():
    # TF's legacy bilinear resize: output pixel i samples input i·in/out (no half-pixel shift)
    x = torch.arange(4.0).reshape(1, 1, 1, 4).expand(1, 1, 4, 4)
    y = fa.tf_resize_bilinear(x, 8)
    assert torch.allclose(y[0, 0, 0], torch.tensor([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.0]))
    # 'same' padding at stride 2 on an even size pads only at the bottom/right
    assert fa._same_pad(torch.ones(1, 1, 4, 4), 3, 2).shape == (1, 1, 5, 5)
    assert fa._same_pad(torch.ones(1, 1, 4, 4), 3, 2)[0, 0, 0, 0] == 1


def test_missing_tarball_names_the_fetch_command(monkeypatch, tmp_path):
    monkeypatch.setenv(fa.ENV, str(tmp_path / "absent.tgz"))
    with pytest.raises(FileNotFoundError, match="nonlinlab.models.face_api fetch"):
        fa.load_nets("recognition")


@pytest.mark.skipif(FACEGAN.file() is None, reason="face generator wheel missing")
@torch.no_grad()
def test_descriptor_separates_generated_faces(nets):
    from nonlinlab.models.dcgan import load_face_generator

    g = load_face_generator()
    z = torch.randn(8, 100, generator=torch.Generator().manual_seed(0))
    z_near = z + 0.1 * torch.randn(8, 100, generator=torch.Generator().manual_seed(1))
    d = nets[0](fa.to_uint8_range(g(torch.cat([z, z_near]))))
    d0, d1 = d[:8], d[8:]
    self_dist = (d0 - d1).norm(dim=1)
    other = torch.cdist(d0, d0) + torch.eye(8) * 1e9
    # each face is closer to its slightly perturbed self than to any other face
    assert (self_dist < other.min(1).values).all()
