"""nonlinlab: the library behind the nonlinlab book."""

__version__ = "0.1.0"

from .core import Chapter, ClaimFailed, Claims

__all__ = ["Chapter", "ClaimFailed", "Claims", "__version__"]
