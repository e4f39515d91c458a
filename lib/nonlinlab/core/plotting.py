"""One matplotlib style for every figure in the book (colour-blind-safe, no network)."""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

#: Okabe & Ito (2008) colour-blind-safe palette.
COLORS = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
}
CYCLE = [COLORS[c] for c in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]

STYLE = {
    "axes.prop_cycle": cycler(color=CYCLE),
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's style to matplotlib (idempotent)."""
    mpl.rcParams.update(STYLE)


def color(i: int) -> str:
    """The i-th colour of the book's cycle (wraps around)."""
    return CYCLE[i % len(CYCLE)]
