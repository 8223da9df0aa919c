"""Every numeric setting is checked where it is read: finite and inside the range declared next to it."""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.config import PlanConfig, Range, config_from_dict
from planner.errors import ConfigError

SETTINGS = [(section.name, item.name, item.metadata["range"], "int" in str(item.type))
            for section in dataclasses.fields(PlanConfig) for item in dataclasses.fields(getattr(PlanConfig(), section.name))
            if "range" in item.metadata]
IDS = [f"{s}.{k}" for s, k, _, _ in SETTINGS]


def test_every_numeric_setting_declares_a_range_and_the_defaults_hold() -> None:
    config = PlanConfig()
    numeric = [(section.name, item.name) for section in dataclasses.fields(config)
               for item in dataclasses.fields(getattr(config, section.name)) if item.type in ("float", "int", "int | None")]
    assert sorted(numeric) == sorted((s, k) for s, k, _, _ in SETTINGS)
    assert config_from_dict({}) == config


@pytest.mark.parametrize(("section", "key", "bounds", "whole"), SETTINGS, ids=IDS)
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "below", "above"])
def test_a_value_outside_its_range_is_refused_by_name(section: str, key: str, bounds: Range, whole: bool, value: float | str) -> None:
    number = {"below": bounds.low - (0 if bounds.above else 1), "above": bounds.high + 1}.get(value, value)
    if whole and isinstance(value, str):
        number = int(number)
    expected = "has the wrong type" if whole and not isinstance(number, int) else "expected a finite number"
    with pytest.raises(ConfigError, match=rf"planning\.toml: \[{section}\] {key} = .*{expected}"):
        config_from_dict({section: {key: number}}, source="planning.toml")


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SETTINGS), st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**12, 10**12))
def test_any_number_either_builds_a_config_inside_its_ranges_or_is_refused(setting: tuple[str, str, Range, bool], number: float) -> None:
    section, key, bounds, _whole = setting
    try:
        config = config_from_dict({section: {key: number}})
    except ConfigError as exc:
        assert f"[{section}] {key}" in str(exc) or "below core_min_items" in str(exc)
        return
    assert bounds.holds(getattr(getattr(config, section), key))
