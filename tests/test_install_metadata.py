"""The bundle's manifest (mcpb/manifest.json) and the MCP Registry entry (server.json) say what the server reads:
each variable they set is a setting, the settings a person would change are all in the bundle's form, the tiers are
memory_types' tiers, and server.json is valid under the registry's schema (vendored in tests/schemas/)."""

from __future__ import annotations

import json
import re
import struct
import tomllib
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from scripts import install_metadata

from expiring_memory_mcp.memory_types import DEFAULT_TEMPORARY_DAYS, TIERS
from expiring_memory_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MANIFEST: dict[str, Any] = json.loads((ROOT / "mcpb" / "manifest.json").read_text())
SERVER_JSON: dict[str, Any] = json.loads((ROOT / "server.json").read_text())
SCHEMA: dict[str, Any] = json.loads((ROOT / "tests" / "schemas" / "server.schema.2025-12-11.json").read_text())
PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
ENV = MANIFEST["server"]["mcp_config"]["env"]
OPTIONS = MANIFEST["user_config"]

# The settings the bundle's form leaves out, each for a reason: the backend and Mem0 settings (another store, the
# Mem0 Platform), the HTTP ones (serve --http), the embedder (an extra install) and the ranking, the limits, the
# sweep interval and the view's port are for developers and servers, documented in the README and docs/. Every other setting is one a
# person running the server for themselves would change, so a new setting fails this test until it is in the form or
# here, with its reason.
NOT_IN_FORM = {
    "backend", "mem0_config", "mem0_api_key", "mem0_host", "infer",  # other stores
    "http_tokens", "allowed_hosts", "allowed_origins",  # serve --http only
    "embedder", "recall_ranking", "recall_keyword_weight",  # an extra install; tuning for developers
    "max_ttl_days", "max_content_chars", "sweep_interval_seconds",  # limits and timing
    "view_port",  # the memory view picks a free port; a fixed one is for developers and tests
}  # fmt: skip
USER_FACING = set(Settings.model_fields) - NOT_IN_FORM


def env_name(setting: str) -> str:
    return f"EXPIRING_MEMORY_{setting.upper()}"


def setting_of(variable: str) -> str:
    assert variable.startswith("EXPIRING_MEMORY_"), variable
    return variable.removeprefix("EXPIRING_MEMORY_").lower()


def test_the_committed_manifest_and_server_json_are_what_the_script_writes_from_the_code() -> None:
    regenerate = "run `python scripts/install_metadata.py` and commit mcpb/manifest.json and server.json"
    assert MANIFEST == install_metadata.manifest(), regenerate
    assert SERVER_JSON == install_metadata.server_json(), regenerate


def test_every_variable_the_manifest_sets_is_a_setting_the_server_reads_from_its_own_field() -> None:
    for variable, value in ENV.items():
        assert setting_of(variable) in Settings.model_fields, variable
        assert value == f"${{user_config.{setting_of(variable)}}}", variable
    assert set(OPTIONS) == {setting_of(v) for v in ENV}  # every field of the form reaches the server


def test_every_user_facing_setting_is_in_the_bundle_form() -> None:
    assert NOT_IN_FORM <= set(Settings.model_fields)  # no stale reason
    assert {t.setting for t in TIERS} <= USER_FACING
    assert set(OPTIONS) == USER_FACING
    assert USER_FACING <= set(Settings.model_fields)


def test_the_bundle_offers_each_tier_of_memory_types_with_its_default_lifetime() -> None:
    for tier in TIERS:
        assert tier.setting is not None
        option = OPTIONS[tier.setting]
        assert option["type"] == "number"
        assert option["default"] == tier.default_days == Settings.model_fields[tier.setting].default
        assert tier.name in option["title"]
    assert (
        OPTIONS["ttl_default_days"]["default"]
        == DEFAULT_TEMPORARY_DAYS
        == Settings.model_fields["ttl_default_days"].default
    )
    tiers_offered = [key for key in OPTIONS if key.startswith("ttl_") and key != "ttl_default_days"]
    assert tiers_offered == [t.setting for t in TIERS]


def test_the_bundle_defaults_are_settings_the_server_accepts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, option in OPTIONS.items():
        if "default" in option:
            monkeypatch.setenv(env_name(key), str(option["default"]).replace("${HOME}", str(tmp_path)))
    settings = Settings()
    assert settings.data_dir == tmp_path / ".expiring-memory-mcp"
    assert settings.user_id == OPTIONS["user_id"]["default"]
    assert settings.log_level == OPTIONS["log_level"]["default"]
    assert "timezone" not in {k for k, o in OPTIONS.items() if "default" in o}  # blank unless the user sets one


def test_the_bundle_runs_the_console_script_with_uv_in_its_own_folder() -> None:
    server = MANIFEST["server"]
    assert MANIFEST["manifest_version"] == "0.4" and server["type"] == "uv"
    config = server["mcp_config"]
    assert config["command"] == "uv"
    assert config["args"] == ["run", "--directory", "${__dirname}", *list(PROJECT["scripts"])]
    assert MANIFEST["version"] == PROJECT["version"] and MANIFEST["name"] == PROJECT["name"]


def test_the_icon_is_a_512_pixel_square_png() -> None:
    data = (ROOT / "mcpb" / MANIFEST["icon"]).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (512, 512)


# -- server.json ---------------------------------------------------------------------------------------------------

PACKAGE = SERVER_JSON["packages"][0]
VARIABLES = {v["name"]: v for v in PACKAGE["environmentVariables"]}
HTTP_ONLY = {"http_tokens", "allowed_hosts", "allowed_origins"}  # serve --http only; a registry package runs stdio


def literal_values(setting: str) -> list[str]:
    annotation = Settings.model_fields[setting].annotation
    members = typing.get_args(annotation) if typing.get_origin(annotation) is not typing.Literal else (annotation,)
    return [str(v) for m in members if typing.get_origin(m) is typing.Literal for v in typing.get_args(m)]


def test_server_json_is_valid_under_the_registry_schema_it_names() -> None:
    assert SERVER_JSON["$schema"] == SCHEMA["$id"]
    jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker()).validate(SERVER_JSON)


def test_the_schema_check_refuses_a_server_json_the_registry_would_refuse() -> None:
    bad = {**SERVER_JSON, "name": "no-slash", "description": "x" * 101}
    errors = list(jsonschema.Draft7Validator(SCHEMA).iter_errors(bad))
    assert {e.path[0] for e in errors} == {"name", "description"}


def test_server_json_is_the_pypi_package_run_with_uvx() -> None:
    assert PACKAGE["registryType"] == "pypi" and PACKAGE["runtimeHint"] == "uvx"
    assert PACKAGE["identifier"] == PROJECT["name"]
    assert PACKAGE["version"] == SERVER_JSON["version"] == PROJECT["version"]
    assert PACKAGE["transport"] == {"type": "stdio"}


def test_server_json_lists_every_stdio_setting_with_its_description_default_and_choices() -> None:
    expected = [env_name(name) for name in Settings.model_fields if name not in HTTP_ONLY]
    assert list(VARIABLES) == expected
    for name, variable in VARIABLES.items():
        field = Settings.model_fields[setting_of(name)]
        assert variable["description"] == field.description, name
        assert not variable["isRequired"]
        if field.default_factory is None and field.default is not None:
            as_text = str(field.default).lower() if isinstance(field.default, bool) else str(field.default)
            assert variable["default"] == as_text, name  # booleans as "true"/"false", as the schema asks
        else:
            assert "default" not in variable, name
        assert variable.get("choices", []) == literal_values(setting_of(name)), name
    assert VARIABLES["EXPIRING_MEMORY_LOG_LEVEL"]["choices"] == ["DEBUG", "INFO", "WARNING", "ERROR"]
    assert VARIABLES["EXPIRING_MEMORY_MEM0_API_KEY"]["isSecret"] is True


def test_the_readme_carries_the_registry_name_for_pypi_ownership() -> None:
    name = SERVER_JSON["name"]
    assert re.fullmatch(r"io\.github\.[A-Za-z0-9-]+/expiring-memory-mcp", name)
    assert f"mcp-name: {name}" in (ROOT / "README.md").read_text()


# -- the client configurations the README points at ------------------------------------------------------------------

CONFIGS = ["claude_config.example.json", "claude_config.uvx.example.json", "mcp.example.json"]


@pytest.mark.parametrize("config", CONFIGS)
def test_each_example_client_config_sets_only_settings_the_server_reads(config: str) -> None:
    server = json.loads((ROOT / config).read_text())["mcpServers"]["expiring-memory"]
    assert server["command"].endswith("expiring-memory-mcp") or server["args"] == [*list(PROJECT["scripts"])]
    for variable in server["env"]:
        assert setting_of(variable) in Settings.model_fields, (config, variable)


def test_the_readme_claude_code_lines_run_uvx_and_the_venv_with_settings_the_server_reads() -> None:
    readme = (ROOT / "README.md").read_text()
    lines = re.findall(r"claude mcp add expiring-memory .*?(?=\n```)", readme, flags=re.DOTALL)
    ends = [line.rsplit("-- ", 1)[1] for line in lines]
    assert ends == ["uvx expiring-memory-mcp", "/ABSOLUTE/PATH/TO/expiring-memory-mcp/.venv/bin/expiring-memory-mcp"]
    for variable in re.findall(r"-e (\w+)=", " ".join(lines)):
        assert setting_of(variable) in Settings.model_fields, variable
