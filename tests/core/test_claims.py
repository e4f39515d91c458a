import json
import math

import numpy as np
import pytest
import torch

from nonlinlab.core import ClaimFailed, Claims


def make():
    return Claims("demo", profile="ci", seed=0, run_card={"device": "cpu", "commit": "abc"})


def test_passing_claims_write_a_record(claims_dir):
    c = make()
    c.less("error small", 0.01, 0.02, paper=0.0, kind="headline")
    c.greater("speed-up", np.float64(3.0), 2.0)
    c.close("ratio", torch.tensor(1.04), 1.0, rtol=0.05, paper="≈ 1")
    c.between("slope", 0.9, 0.8, 1.2)
    c.holds("ordering", True, ours="4 > 2 > 1")
    assert c.check() is None
    path = c.path
    record = json.loads(path.read_text())
    assert path == claims_dir / "demo.json"
    assert record["slug"] == "demo" and record["profile"] == "ci" and record["all_passed"]
    assert record["device"] == "cpu" and record["commit"] == "abc"
    assert record["wall_time_s"] >= 0
    assert [x["name"] for x in record["claims"]][0] == "error small"
    first = record["claims"][0]
    assert first["paper"] == 0.0 and first["ours"] == 0.01 and first["threshold"] == 0.02
    assert record["summary"]["headline"] == {"total": 1, "pass": 1, "fail": 0, "reported": 0,
                                             "not_run": 0}
    assert record["summary"]["paper"]["pass"] == 4
    assert "★ **headline:** error small" in c._repr_markdown_() and "pass" in repr(c)


@pytest.mark.parametrize(
    "record",
    [
        lambda c: c.less("x", 0.03, 0.02),
        lambda c: c.greater("x", 1.0, 2.0),
        lambda c: c.close("x", 1.2, 1.0, rtol=0.05),
        lambda c: c.close("x", 0.2, 0.0, atol=0.1),
        lambda c: c.between("x", 2.0, 0.0, 1.0),
        lambda c: c.holds("x", False, ours="wrong order"),
        lambda c: c.less("x", math.nan, 1.0),
        lambda c: c.greater("x", math.nan, 1.0),
        lambda c: c.close("x", math.inf, 1.0, rtol=1.0),
    ],
)
def test_violated_claim_raises_and_is_recorded(claims_dir, record):
    c = make()
    c.less("fine", 0.0, 1.0, kind="headline")
    record(c)
    with pytest.raises(ClaimFailed, match="1 of 2 checks failed"):
        c.check()
    saved = json.loads((claims_dir / "demo.json").read_text())
    assert saved["all_passed"] is False
    assert [x["passed"] for x in saved["claims"]] == [True, False]
    assert "FAILED" in c._repr_markdown_()


def test_no_claim_is_a_failure(claims_dir):
    with pytest.raises(ClaimFailed, match="no claim"):
        make().check()


def test_bad_claim_definitions():
    c = make()
    with pytest.raises(ValueError):
        c.compare("x", 1.0, "==", 1.0)
    with pytest.raises(ValueError):
        c.close("x", 1.0, 1.0)
    with pytest.raises(TypeError):
        c.less("x", np.ones(3), 1.0)
    with pytest.raises(TypeError):
        c.holds("x", 1, ours="1")
    c.less("x", 0.0, 1.0)
    with pytest.raises(ValueError, match="twice"):
        c.less("x", 0.0, 1.0)


def test_checks_not_asserted_at_this_profile_are_reported_never_passed(claims_dir):
    c = make()
    c.less("exact", 1e-15, 1e-12, kind="sanity")
    c.greater("trained beats baseline", 0.3, 0.5, kind="headline", asserted_at="full")
    c.greater("gpu speed-up", None, 10.0, kind="headline", asserted_at="full")
    c.holds("ordering", True, ours="a > b", asserted_at=("full",))
    c.less("small", 0.1, 1.0, kind="headline", asserted_at="ci")
    c.check()  # nothing asserted at ci failed
    rec = json.loads(c.path.read_text())
    status = {x["name"]: x["status"] for x in rec["claims"]}
    assert status == {"exact": "pass", "trained beats baseline": "reported",
                      "gpu speed-up": "not run", "ordering": "reported", "small": "pass"}
    assert [x["passed"] for x in rec["claims"]] == [True, False, False, False, True]
    h = rec["summary"]["headline"]
    assert (h["total"], h["pass"], h["reported"], h["not_run"]) == (3, 1, 1, 1)
    assert rec["claims"][1]["met"] is False and rec["claims"][3]["met"] is True
    md = c._repr_markdown_()
    assert "reported — asserted only at full, not verified" in md
    assert "not run at this profile" in md
    assert md.index("Sanity checks") > md.index("trained beats baseline")
    assert "verified at this profile: 1 of 3" in md


def test_a_value_missing_where_asserted_fails(claims_dir):
    c = make()
    c.greater("needed here", None, 1.0, kind="headline")
    with pytest.raises(ClaimFailed, match="needed here"):
        c.check()


def test_a_chapter_needs_a_headline_claim(claims_dir):
    c = make()
    c.less("x", 0.0, 1.0)
    with pytest.raises(ClaimFailed, match="no headline"):
        c.check()


def test_bad_kind_and_profiles():
    c = make()
    with pytest.raises(ValueError, match="kind"):
        c.less("x", 0.0, 1.0, kind="main")
    with pytest.raises(ValueError, match="asserted_at"):
        c.less("y", 0.0, 1.0, asserted_at="gpu")


def test_numbers_are_not_rounded_onto_their_threshold():
    from nonlinlab.core.claims import fmt_number

    assert fmt_number(1.00003, 1.0) == "1.00003"
    assert fmt_number(0.5, 0.5) == "0.5"
    c = make()
    c.greater("ratio", 1.00003, 1.0, kind="headline")
    (claim,) = c.items
    assert claim.ours_text() == "1.00003" and claim.check_text() == "> 1"
    c.less("tight", 0.999, 1 + 1e-9)
    assert c.items[1].check_text() == "< 1.000000001"
    c.less("third", 0.1, 0.02)
    assert c.items[2].check_text() == "< 0.02"
