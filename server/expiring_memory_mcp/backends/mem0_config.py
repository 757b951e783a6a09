"""The user's Mem0 config file, for the `mem0` backend: read (JSON or YAML), checked against our settings, completed
(the bundled embedder's dimensions, a placeholder LLM that is never called, Mem0's history in the data dir), and how
its store and models are named when they fail."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import mem0_compat
from .outages import StoreLabel

if TYPE_CHECKING:
    from ..settings import Settings


def read_config(path: Path) -> dict[str, Any]:
    """A Mem0 config file, JSON or YAML (JSON is YAML too), as the dict Memory.from_config takes."""
    import yaml

    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read the Mem0 config file {path}: {exc}") from None
    if not isinstance(config, dict):
        raise ValueError(  # noqa: TRY004 -- a bad config file is reported like every other bad setting
            f"the Mem0 config file {path} must hold a mapping such as {{'vector_store': {{...}}}}"
        )
    return config


def complete(config: dict[str, Any], settings: Settings, data_dir: Path) -> bool:
    """Checks the config against the settings and completes it in place: without an `embedder`, a placeholder for
    the bundled one (whose 384 dimensions the store gets); without an `llm`, a placeholder that is never called;
    history in the data dir. True where the bundled embedder is to be set on the Memory built from it."""
    from ..mem0_setup import HISTORY_FILE

    bundled = "embedder" not in config
    if settings.embedder != "minilm":
        raise ValueError(
            "EXPIRING_MEMORY_EMBEDDER applies to the embedded backend; on the mem0 backend, name the embedder in the "
            "Mem0 config file (a store's vectors from two models must never mix)"
        )
    if settings.infer and "llm" not in config:
        raise ValueError("EXPIRING_MEMORY_INFER needs an `llm` in the Mem0 config file")
    if bundled:
        from ..embedder import DIMS

        config["embedder"] = {"provider": mem0_compat.PLACEHOLDER}
        store = config.setdefault("vector_store", {}).setdefault("config", {})
        store.setdefault("embedding_model_dims", DIMS)
    config.setdefault("llm", {"provider": mem0_compat.PLACEHOLDER})
    config.setdefault("history_db_path", str(data_dir / HISTORY_FILE))
    return bundled


def provider_of(config: dict[str, Any]) -> str:
    """The config's vector store provider, Mem0's default when it names none."""
    return str((config.get("vector_store") or {}).get("provider", "qdrant"))


def store_label(config: dict[str, Any], path: Path) -> StoreLabel:
    """How the config's store, and the models a call may also reach over the network, are named when they fail."""
    models = {  # the bundled embedder and the placeholder LLM never reach the network
        role: config[key]
        for role, key in (("embedder", "embedder"), ("LLM", "llm"))
        if isinstance(config.get(key), dict) and config[key].get("provider") != mem0_compat.PLACEHOLDER
    }
    return StoreLabel(
        provider_of(config),
        (config.get("vector_store") or {}).get("config") or {},
        f"Check that it is running and reachable with the settings in {path}.",
        embedder_advice=(
            f"A store cannot be embedded again here: name the embedder it was built with in {path} "
            "(EXPIRING_MEMORY_EMBEDDER applies to the embedded backend only), or give collection_name a new "
            "collection."
        ),
        models=models,
        models_advice=f"Check that each is running and reachable with the settings in {path}.",
    )
