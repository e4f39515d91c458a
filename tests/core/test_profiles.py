from dataclasses import dataclass

import pytest
import torch

from nonlinlab.core import ProfileConfig, ProfileError, Profiles, require, resolve_profile


def test_explicit_profiles():
    assert resolve_profile("ci") == "ci"
    assert resolve_profile(" FULL ") == "full"


def test_auto_uses_environment(monkeypatch):
    monkeypatch.setenv("NONLINLAB_PROFILE", "full")
    assert resolve_profile("auto") == "full"
    monkeypatch.setenv("NONLINLAB_PROFILE", "ci")
    assert resolve_profile("auto", device=torch.device("cuda")) == "ci"


def test_auto_without_environment_follows_device(monkeypatch):
    monkeypatch.delenv("NONLINLAB_PROFILE", raising=False)
    assert resolve_profile("auto", device=torch.device("cpu")) == "ci"
    assert resolve_profile("auto", device=torch.device("cuda")) == "full"


def test_unknown_profile_lists_choices():
    with pytest.raises(ProfileError, match="choose one of 'auto', 'ci', 'full'"):
        resolve_profile("medium")


def test_bogus_environment_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("NONLINLAB_PROFILE", "bogus")
    with pytest.raises(ProfileError, match="NONLINLAB_PROFILE='bogus'"):
        resolve_profile("auto")


@dataclass(frozen=True)
class Sizes(ProfileConfig):
    steps: int

    def check(self):
        require(self.steps > 0, "steps must be positive")


def test_configs_are_checked_and_selected():
    profiles = Profiles(ci=Sizes(steps=10), full=Sizes(steps=1000))
    assert profiles.select("ci").steps == 10
    assert profiles.select("full").steps == 1000
    assert [name for name, _ in profiles.items()] == ["ci", "full"]
    with pytest.raises(ValueError, match="steps must be positive"):
        Sizes(steps=0)
    with pytest.raises(ValueError, match="steps must be positive"):
        profiles.ci.replace(steps=-1)
    with pytest.raises(ProfileError):
        profiles.select("huge")


def test_profiles_need_matching_config_types():
    @dataclass(frozen=True)
    class Other(ProfileConfig):
        steps: int

    with pytest.raises(TypeError):
        Profiles(ci=Sizes(steps=1), full=Other(steps=1))
