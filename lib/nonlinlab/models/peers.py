"""Peer implementations used as oracles: the field's reference code for an operation we also
implement (tests and chapters compare ours with theirs on the same inputs).

``timm``'s layers import ``torchvision`` at package import time (``timm.layers.create_norm``),
and torchvision has no CPU wheel matching our pinned CPU torch offline (a CUDA torchvision
next to a CPU torch fails at import with a RuntimeError). The layer files we
compare with (``timm/layers/evo_norm.py`` and what it imports) need only torch, so
:func:`timm_layer_module` imports ``timm.layers.<name>`` normally when it can and otherwise
loads that file (and its relative imports) from timm's folder without running
``timm/__init__.py``. On Colab, where torchvision is preinstalled, the normal import is used.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path

from ..core.optional import install_lines

_ISOLATED = "_nonlinlab_timm_layers"


def timm_layer_module(name: str) -> types.ModuleType:
    """``timm.layers.<name>`` (e.g. ``"evo_norm"``); ImportError with the ``%pip`` line when
    timm is not installed."""
    if not name.isidentifier():
        raise ValueError(f"not a module name: {name!r}")
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the optional dependency 'timm' is not installed (needed for the "
                          "reference EvoNorm layers); in a notebook cell run:\n"
                          + install_lines(["timm"])[0])
    try:
        return importlib.import_module(f"timm.layers.{name}")
    except (ImportError, RuntimeError) as err:
        # no torchvision, or one built for another torch ("operator torchvision::nms does
        # not exist"): load the layer file on its own
        if "torchvision" not in str(err):
            raise
    folder = Path(list(spec.submodule_search_locations)[0]) / "layers"
    if not (folder / f"{name}.py").is_file():
        raise ImportError(f"timm has no layers/{name}.py (installed timm: {folder.parent})")
    if _ISOLATED not in sys.modules:
        package = types.ModuleType(_ISOLATED)
        package.__path__ = [str(folder)]
        sys.modules[_ISOLATED] = package
    return importlib.import_module(f"{_ISOLATED}.{name}")
