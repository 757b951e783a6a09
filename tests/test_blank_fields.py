"""A field left blank in the bundle's settings reaches the server as its placeholder text, `${user_config.NAME}`:
every setting given such a value keeps its default, and the server logs which variables it ignored."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from expiring_memory_mcp.settings import Settings


def placeholder(name: str) -> str:
    return f"${{user_config.{name}}}"


def test_every_setting_left_blank_in_the_bundle_keeps_its_default(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    defaults = Settings().model_dump()
    names = [f"EXPIRING_MEMORY_{field.upper()}" for field in Settings.model_fields]
    for name in names:
        monkeypatch.setenv(name, placeholder(name.removeprefix("EXPIRING_MEMORY_").lower()))
    monkeypatch.setenv("MEM0_API_KEY", placeholder("api_key"))  # the alias too
    with caplog.at_level(logging.INFO):
        settings = Settings()
    assert settings.model_dump() == defaults
    assert settings.chosen_backend() == "embedded"
    logged = [r for r in caplog.records if r.name == "expiring_memory_mcp.blank_fields"]
    assert len(logged) == 1 and logged[0].levelno == logging.WARNING
    for name in [*names, "MEM0_API_KEY"]:
        assert name in logged[0].getMessage()


def test_a_setting_the_user_filled_in_is_used_beside_blank_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EXPIRING_MEMORY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("EXPIRING_MEMORY_TTL_CHAT_DAYS", "3")
    monkeypatch.setenv("EXPIRING_MEMORY_TIMEZONE", placeholder("timezone"))
    settings = Settings()
    assert (settings.data_dir, settings.ttl_chat_days, settings.timezone) == (tmp_path, 3, "UTC")


def test_only_a_whole_placeholder_counts_as_blank(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("EXPIRING_MEMORY_USER_ID", "${user_config.user_id} and more")
    with caplog.at_level(logging.INFO):
        settings = Settings()
    assert settings.user_id == "${user_config.user_id} and more"
    assert not [r for r in caplog.records if r.name == "expiring_memory_mcp.blank_fields"]


def test_nothing_is_logged_when_no_setting_was_left_blank(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("EXPIRING_MEMORY_TIMEZONE", "Europe/Berlin")
    with caplog.at_level(logging.INFO):
        assert Settings().timezone == "Europe/Berlin"
    assert caplog.records == []
