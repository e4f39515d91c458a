"""environment.yml (conda) lists exactly what requirements-dev.txt pins, on Python 3.11."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NODEPS_COMMAND = "pip install --no-deps -r requirements-nodeps.txt"

try:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # pragma: no cover - packaging comes with pytest
    Requirement = None


def requirement_lines(text: str) -> list[str]:
    """The requirement strings of a requirements file: comments and blank lines dropped."""
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if line:
            lines.append(line)
    return lines


def normalise(line: str) -> tuple:
    """(name, extras, specifiers, marker) of one requirement, independent of spelling: case,
    ``-``/``_``/``.`` in names, spaces, and the order of extras and specifiers."""
    if Requirement is not None:
        try:
            req = Requirement(line)
        except InvalidRequirement as exc:
            raise AssertionError(f"not a requirement: {line!r} ({exc})") from None
        extras = tuple(sorted(canonicalize_name(e) for e in req.extras))
        return (canonicalize_name(req.name), extras,
                tuple(sorted(str(s) for s in req.specifier)), str(req.marker or ""))
    m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?\s*([^;]*?)\s*(?:;(.*))?",
                     line)
    assert m, f"not a requirement: {line!r}"
    name, extras, spec, marker = m.groups()

    def canon(s):
        return re.sub(r"[-_.]+", "-", s.strip()).lower()

    return (canon(name), tuple(sorted(canon(e) for e in (extras or "").split(",") if e.strip())),
            tuple(sorted(s.replace(" ", "") for s in spec.split(",") if s.strip())),
            (marker or "").strip())


def by_name(lines: list[str], where: str) -> dict[str, tuple]:
    out = {}
    for line in lines:
        key = normalise(line)
        assert key[0] not in out, f"{where}: {key[0]} listed twice"
        out[key[0]] = key
    return out


@pytest.fixture(scope="module")
def env() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def pip_section(env: dict) -> list[str]:
    sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, "environment.yml needs exactly one `pip:` section"
    return [str(x).strip() for x in sections[0]]


def test_environment_is_python_311_with_pip(env):
    assert env["name"] == "nonlinlab"
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pythons = [d for d in conda if re.match(r"python\b", d)]
    assert len(pythons) == 1 and re.fullmatch(r"python\s*==?\s*3\.11(\.\*)?", pythons[0]), pythons
    assert "pip" in conda
    # Only python and pip come from conda: every Python package comes from pip, as in CI.
    assert set(conda) == {pythons[0], "pip"}, conda


def test_environment_pins_equal_requirements_dev(env):
    pip = pip_section(env)
    editable = [x for x in pip if x.startswith("-")]
    assert editable == ["-e ./lib"], f"options besides the editable lib: {editable}"
    ours = by_name([x for x in pip if not x.startswith("-")], "environment.yml")
    dev = by_name(requirement_lines((ROOT / "requirements-dev.txt").read_text()),
                  "requirements-dev.txt")
    missing = sorted(set(dev) - set(ours))
    extra = sorted(set(ours) - set(dev))
    differ = sorted(f"{n}: environment.yml {ours[n]} vs requirements-dev.txt {dev[n]}"
                    for n in set(ours) & set(dev) if ours[n] != dev[n])
    assert not missing and not extra and not differ, (
        f"environment.yml out of sync with requirements-dev.txt: missing {missing}, "
        f"extra {extra}, different {differ}")


def test_nodeps_wheels_are_a_second_documented_command(env):
    pip = {normalise(x)[0] for x in pip_section(env) if not x.startswith("-")}
    nodeps = by_name(requirement_lines((ROOT / "requirements-nodeps.txt").read_text()),
                     "requirements-nodeps.txt")
    assert not pip & set(nodeps), "no-deps packages would be installed with their dependencies"
    text = (ROOT / "environment.yml").read_text()
    assert NODEPS_COMMAND in text and "conda env create -f environment.yml" in text


def test_readme_documents_the_conda_environment():
    readme = (ROOT / "README.md").read_text()
    assert "environment.yml" in readme
    assert "conda env create -f environment.yml" in readme
    assert NODEPS_COMMAND in readme


@pytest.mark.parametrize(("a", "b", "same"), [
    ("numpy>=2,<3", "numpy <3, >=2", True),
    ("torch_geometric>=2.5,<3", "Torch-Geometric>=2.5,<3", True),
    ("gluonts[arrow]>=0.15,<1", "gluonts>=0.15,<1", False),
    ("torch==2.13.0", "torch==2.13.1", False),
    ("ray>=2.9,<3", "ray>=2.9", False),
])
def test_normalisation(a, b, same):
    assert (normalise(a) == normalise(b)) is same
