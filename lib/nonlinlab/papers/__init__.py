"""One module per paper: ``nonlinlab.papers.<slug_with_underscores>``."""
