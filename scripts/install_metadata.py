"""Writes the two install descriptions from the code, so they cannot drift from it: `mcpb/manifest.json`, the MCP
Bundle's manifest (Claude Desktop's settings form and how it starts the server), and `server.json`, the entry for the
official MCP Registry. Both take their settings from `Settings` and the memory types from `memory_types`.

    python scripts/install_metadata.py     # rewrite both files; tests/test_install_metadata.py checks they are current
"""

from __future__ import annotations

import asyncio
import json
import sys
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from expiring_memory_mcp.memory_types import DEFAULT_TEMPORARY_DAYS, TIERS
from expiring_memory_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "mcpb" / "manifest.json"
SERVER_JSON = ROOT / "server.json"

# The GitHub owner assumed for the repository, the registry name (io.github.<owner>/...) and the links.
OWNER = "expiring-memory"
REPOSITORY = f"https://github.com/{OWNER}/expiring-memory-mcp"
REGISTRY_NAME = f"io.github.{OWNER}/expiring-memory-mcp"
SERVER_SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

# Where a bundle keeps its memory unless the user picks another folder: the folder the README's Claude Code lines
# use too, so that Claude Desktop and Claude Code share one memory.
BUNDLE_DATA_DIR = "${HOME}/.expiring-memory-mcp"
BUNDLE_USER_ID = "me"

# For `serve --http` only: a registry package runs over stdio, where they do nothing.
HTTP_ONLY = ("http_tokens", "allowed_hosts", "allowed_origins")


def project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def env_name(setting: str) -> str:
    return f"EXPIRING_MEMORY_{setting.upper()}"


def field(setting: str) -> FieldInfo:
    return Settings.model_fields[setting]


def upper_bound(setting: str) -> float | None:
    return next((m.le for m in field(setting).metadata if getattr(m, "le", None) is not None), None)


def days_option(title: str, description: str, default: float, setting: str) -> dict[str, Any]:
    whole = float(default).is_integer()
    option: dict[str, Any] = {"type": "number", "title": title, "description": description}
    option["default"] = int(default) if whole else default
    bound = upper_bound(setting)
    if bound is not None:
        option["max"] = bound
    return option


def user_config() -> dict[str, dict[str, Any]]:
    """The settings a person running the server for themselves would change, keyed by their Settings field."""
    options: dict[str, dict[str, Any]] = {
        "data_dir": {
            "type": "directory",
            "title": "Memory folder",
            "description": "Where the memories are kept (one SQLite database). Claude Code can share it: give it the "
            "same folder.",
            "default": BUNDLE_DATA_DIR,
        },
        "user_id": {
            "type": "string",
            "title": "User id",
            "description": "Whose memories these are. Servers with the same folder and user id share one memory.",
            "default": BUNDLE_USER_ID,
        },
        "timezone": {
            "type": "string",
            "title": "Timezone",
            "description": "IANA timezone, such as Europe/Berlin, for expiry times and dates given without one. "
            f"Blank: {field('timezone').default}.",
        },
    }
    for tier in TIERS:
        assert tier.setting is not None and tier.default_days is not None
        options[tier.setting] = days_option(
            f"Days a {tier.name} memory lasts",
            f"How long a {tier.name} memory ({tier.what}) is kept before it is deleted, in days.",
            tier.default_days,
            tier.setting,
        )
    options["ttl_default_days"] = days_option(
        "Days any other temporary memory lasts",
        "How long a temporary memory of a type not listed above is kept, in days.",
        DEFAULT_TEMPORARY_DAYS,
        "ttl_default_days",
    )
    options["log_level"] = {
        "type": "string",
        "title": "Log level",
        "description": f"How much the server logs: {', '.join(choices('log_level')[:-1])} or "
        f"{choices('log_level')[-1]}. Its log is the one Claude "
        "Desktop shows for it.",
        "default": field("log_level").default,
    }
    options["secrets"] = {
        "type": "string",
        "title": "Secrets in memories",
        "description": "What happens to a password, API key, card number or IBAN in something to remember: redact "
        "(keep the memory with the secret replaced by a placeholder), refuse (keep nothing) or allow (keep it as "
        "given).",
        "default": field("secrets").default,
    }
    options["extend_on_recall"] = {
        "type": "string",
        "title": "Keep recalled memories longer",
        "description": "Optional. Days a temporary memory lasts at least after it is recalled, by type, as JSON, such "
        'as {"session": 3, "chat": 14}. Blank: recall changes no expiry.',
    }
    options["count_recalls"] = {
        "type": "boolean",
        "title": "Count recalls",
        "description": "Count how often each memory is recalled (kept beside the memories, never in them), for the "
        "tier advice and the memory view.",
        "default": field("count_recalls").default,
    }
    options["forgotten_ledger_days"] = days_option(
        "Days the list of forgotten memories keeps each entry",
        "How long the ledger of what was deleted (ids, types and dates, never text) keeps each entry, in days.",
        float(field("forgotten_ledger_days").default),
        "forgotten_ledger_days",
    )
    return options


def tools() -> list[dict[str, str]]:
    """The tools as the server lists them, names and descriptions."""
    from mcp import Client

    from expiring_memory_mcp.app import build_server

    async def listed() -> list[dict[str, str]]:
        server = build_server(None, Settings.model_construct())  # type: ignore[arg-type]  # the defaults, not the env
        async with Client(server) as client:
            return [{"name": t.name, "description": t.description or ""} for t in (await client.list_tools()).tools]

    return asyncio.run(listed())


def manifest() -> dict[str, Any]:
    meta = project()
    options = user_config()
    return {
        "manifest_version": "0.4",
        "name": meta["name"],
        "display_name": "Expiring Memory",
        "version": meta["version"],
        "description": meta["description"],
        "long_description": "Remembers preferences and facts for good, and session context, recent chat, reminders "
        "and cached data for a while: each kind is deleted when it expires. Everything stays on this computer, in "
        "one SQLite file, with an embedder that ships with the server: no API key, no network once installed.",
        "author": {"name": "expiring-memory-mcp maintainers", "url": REPOSITORY},
        "repository": {"type": "git", "url": f"{REPOSITORY}.git"},
        "homepage": REPOSITORY,
        "documentation": f"{REPOSITORY}#readme",
        "support": f"{REPOSITORY}/issues",
        "icon": "icon.png",
        "server": {
            # uv: the host installs the dependencies (compiled wheels such as onnxruntime, numpy and pydantic) for
            # the user's own platform from pyproject.toml; see docs/install.md.
            "type": "uv",
            "entry_point": "main.py",
            "mcp_config": {
                "command": "uv",
                "args": ["run", "--directory", "${__dirname}", "expiring-memory-mcp"],
                "env": {env_name(key): f"${{user_config.{key}}}" for key in options},
            },
        },
        "tools": tools(),
        "keywords": ["memory", "mem0", "expiry", "offline", "sqlite"],
        "license": meta["license"],
        "compatibility": {
            "platforms": ["darwin", "linux"],
            "runtimes": {"python": meta["requires-python"]},
        },
        "user_config": options,
    }


def members(setting: str) -> tuple[Any, ...]:
    """The types a setting's value may have: `Literal[...] | None` is (Literal[...], NoneType)."""
    annotation = field(setting).annotation
    is_union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    return typing.get_args(annotation) if is_union else (annotation,)


def choices(setting: str) -> list[str]:
    """The values a Literal setting accepts; empty for any other."""
    return [str(v) for m in members(setting) if typing.get_origin(m) is typing.Literal for v in typing.get_args(m)]


def input_format(setting: str) -> str:
    kinds = set(members(setting)) - {type(None)}
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int, float}:
        return "number"
    if kinds <= {Path}:
        return "filepath"
    return "string"


def as_text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def environment_variable(setting: str) -> dict[str, Any]:
    info = field(setting)
    variable: dict[str, Any] = {"name": env_name(setting), "description": info.description, "isRequired": False}
    variable["format"] = input_format(setting)
    if info.default_factory is None and info.default is not None:
        variable["default"] = as_text(info.default)
    if choices(setting):
        variable["choices"] = choices(setting)
    if SecretStr in members(setting):
        variable["isSecret"] = True
    return variable


def server_json() -> dict[str, Any]:
    meta = project()
    return {
        "$schema": SERVER_SCHEMA,
        "name": REGISTRY_NAME,
        "title": "Expiring Memory",
        "description": meta["description"],
        "repository": {"url": REPOSITORY, "source": "github"},
        "version": meta["version"],
        "packages": [
            {
                "registryType": "pypi",
                "registryBaseUrl": "https://pypi.org",
                "identifier": meta["name"],
                "version": meta["version"],
                "runtimeHint": "uvx",
                "transport": {"type": "stdio"},
                "environmentVariables": [
                    environment_variable(name) for name in Settings.model_fields if name not in HTTP_ONLY
                ],
            }
        ],
    }


def as_file(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    for path, document in ((MANIFEST, manifest()), (SERVER_JSON, server_json())):
        path.write_text(as_file(document))
        sys.stderr.write(f"wrote {path.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
