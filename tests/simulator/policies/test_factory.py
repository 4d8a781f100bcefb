"""make_policy: every kind is reachable, unknown kinds and missing modules fail with one clear line."""

from __future__ import annotations

import sys

import pytest

from wikigym.errors import ConfigError, WikigymError
from wikigym.simulator.policies import POLICY_KINDS, make_policy, policy_class
from wikigym.trajectories.schema import PolicySpec


def test_unknown_kind() -> None:
    with pytest.raises(ConfigError, match="unknown policy kind 'gpt'"):
        make_policy(PolicySpec(kind="gpt"))


def test_all_kinds_are_listed() -> None:
    assert set(POLICY_KINDS) == {"scripted", "anthropic", "openai", "llamacpp", "harmony"}


def test_missing_dependency_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "anthropic", None)  # as if the SDK were not installed
    with pytest.raises(WikigymError, match=r"pip install 'wikigym\[anthropic\]'"):
        make_policy(PolicySpec(kind="anthropic"), api_key="sk-ant-test-key-000000")


def test_unused_keywords_are_dropped() -> None:
    cls = policy_class("openai")
    policy = make_policy(PolicySpec(kind="openai", model="m"), base_url="http://127.0.0.1:9/v1", snapshot=object(),
                         model_path="x")
    assert isinstance(policy, cls)
