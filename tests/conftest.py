import os

import pytest

# Tests never depend on the caller's environment.
os.environ.pop("NONLINLAB_PROFILE", None)
os.environ.setdefault("NONLINLAB_PROGRESS", "off")


@pytest.fixture
def claims_dir(tmp_path, monkeypatch):
    folder = tmp_path / "claims"
    monkeypatch.setenv("NONLINLAB_CLAIMS_DIR", str(folder))
    return folder
