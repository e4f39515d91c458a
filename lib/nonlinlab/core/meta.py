"""Where the book lives: the ONE place that names the repository, branch and site.

Everything else (``_config.yml``, the Colab setup cell of every notebook, ``CITATION.cff``,
the README, chapter citations) must agree with these constants; ``tests/test_book_structure.py``
checks that they do.
"""

from __future__ import annotations

REPO_URL = "https://github.com/nonlinlab/nonlinlab"
REPO_BRANCH = "main"
BOOK_URL = "https://nonlinlab.github.io/nonlinlab"
BOOK_TITLE = "nonlinlab: Linear and Nonlinear Transformations in Deep Learning, Reproduced"
BOOK_AUTHOR = "The nonlinlab authors"
BOOK_YEAR = 2026


def pip_spec(ref: str = REPO_BRANCH) -> str:
    """The pip requirement that installs this library from the repository at ``ref``."""
    return f"nonlinlab @ git+{REPO_URL}@{ref}#subdirectory=lib"


def colab_setup_source(ref: str = REPO_BRANCH) -> str:
    """Source of the setup cell every chapter starts with (installs nonlinlab on Colab only)."""
    return (
        "# Setup. On Colab, %pip install nonlinlab from the same git ref as this page;\n"
        "# locally, `make book` (or `pip install -e lib`) has installed it already.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    from IPython import get_ipython\n"
        "\n"
        f"    get_ipython().run_line_magic(\"pip\", 'install -q \"{pip_spec(ref)}\"')"
    )
