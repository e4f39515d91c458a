"""Shared machinery of the book: device, seeding, profiles, run card, training, style, claims."""

from .chapter import Chapter
from .chapters import ChapterMeta, all_chapters, chapter_bibtex, get_chapter
from .claims import Claim, ClaimFailed, Claims, claims_dir
from .device import (
    DeviceError,
    amp_dtype,
    autocast,
    device_name,
    grad_scaler,
    resolve_device,
    to_device,
)
from .optional import GROUPS, check_chapter_requirements, require_module
from .plotting import COLORS, color, use_style
from .profiles import BUDGET_S, ProfileConfig, ProfileError, Profiles, require, resolve_profile
from .progress import progress
from .runcard import format_run_card, git_commit, run_card
from .seeding import replicate_seeds, seed_everything
from .train import History, best_of, fit, warmup_cosine

__all__ = [
    "BUDGET_S", "COLORS", "GROUPS", "Chapter", "ChapterMeta", "Claim", "ClaimFailed", "Claims",
    "DeviceError", "History", "ProfileConfig", "ProfileError", "Profiles", "all_chapters",
    "amp_dtype", "autocast", "best_of", "chapter_bibtex", "check_chapter_requirements",
    "claims_dir", "color", "device_name", "fit",
    "format_run_card", "get_chapter", "git_commit", "grad_scaler", "progress", "require",
    "replicate_seeds", "require_module", "resolve_device", "resolve_profile", "run_card",
    "seed_everything",
    "to_device", "use_style", "warmup_cosine",
]
