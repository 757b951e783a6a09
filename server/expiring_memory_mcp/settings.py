"""Configuration: one environment variable per field, prefix EXPIRING_MEMORY_. Built once, in main()."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from .blank_fields import without_blank_fields
from .memory_types import DEFAULT_TEMPORARY_DAYS, PERMANENT_TYPES, TIERS
from .retention import RetentionPolicy
from .rules import TYPE_PATTERN
from .store.fusion import Method, Ranking, default_ranking

Days = Annotated[float, Field(gt=0, le=36500)]
TIERS_BY_NAME = {tier.name: tier for tier in TIERS}
EmbedderName = Literal["minilm", "use-multilingual", "e5-multilingual"]  # the keys of embedder.EMBEDDERS


def _lifetime(tier: str) -> Any:
    """The field of a temporary tier's lifetime, with the default the one list gives it."""
    return Field(default=TIERS_BY_NAME[tier].default_days, description=f"How long a `{tier}` memory lives, in days.")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXPIRING_MEMORY_", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(
        default_factory=lambda: Path(user_data_dir("expiring-memory-mcp", appauthor=False)),
        description="Folder for the memory database, Mem0's history and Mem0's own files.",
    )
    user_id: str = Field(
        default="default",
        min_length=1,
        max_length=200,
        description="Whose memories these are: the Mem0 user_id every call is scoped to. Never a tool argument.",
    )
    timezone: str = Field(
        default="UTC",
        description="IANA timezone for expiry times given without an offset, and for dates given alone.",
    )
    # One field per temporary tier of memory_types.MEMORY_TYPES, its default and words from there (a test checks)
    ttl_session_days: Days = _lifetime("session")
    ttl_chat_days: Days = _lifetime("chat")
    ttl_reminder_days: Days = _lifetime("reminder")
    ttl_cache_days: Days = _lifetime("cache")
    ttl_default_days: Days = Field(
        default=DEFAULT_TEMPORARY_DAYS, description="How long a temporary memory of any other type lives, in days."
    )
    max_ttl_days: Days = Field(default=3650, description="The longest expiry a temporary memory may be given, in days.")
    max_content_chars: int = Field(
        default=5000, ge=1, le=100_000, description="The longest memory text accepted, in characters."
    )
    sweep_interval_seconds: float = Field(
        default=300,
        ge=0,
        description="Expired memories are deleted at startup and then at most this often, during tool calls.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log level; logs go to stderr only."
    )
    embedder: EmbedderName = Field(
        default="minilm",
        description="The embedded store's embedding model: minilm (English), use-multilingual (16 languages; "
        "`pip install 'expiring-memory-mcp[multilingual]'`) or e5-multilingual (about 100 languages, Linux x86_64; "
        "`[multilingual-e5]`). Changing it re-embeds every memory once, at startup.",
    )
    recall_ranking: Method = Field(
        default="hybrid",
        description="How the embedded store ranks recall: hybrid (meaning and keywords fused, with context and a "
        "floor), relative (keywords relative to the query's best match), rrf (reciprocal-rank fusion), dense "
        "(meaning only) or keyword (BM25 only). Other backends rank as Mem0 does.",
    )
    recall_keyword_weight: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="In hybrid ranking, the weight of keywords against meaning (0 to 1). Unset: 0.5 with minilm, 0.3 with "
        "use-multilingual, 0.1 with e5-multilingual.",
    )

    backend: Literal["embedded", "mem0", "platform"] | None = Field(
        default=None,
        description="Where memories are kept: embedded, mem0 or platform. Unset: platform if a Mem0 API key is set, "
        "mem0 if a Mem0 config file is set, otherwise embedded.",
    )
    mem0_config: Path | None = Field(
        default=None,
        description="A Mem0 OSS config file (JSON or YAML) for the mem0 backend, given to Mem0 as it is. Without an "
        "`embedder` the bundled one is used; an `llm` is only needed with EXPIRING_MEMORY_INFER.",
    )
    mem0_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("EXPIRING_MEMORY_MEM0_API_KEY", "MEM0_API_KEY", "mem0_api_key"),
        description="The Mem0 Platform API key for the platform backend (MEM0_API_KEY is read too).",
    )
    mem0_host: str = Field(default="https://api.mem0.ai", description="The Mem0 Platform's address.")
    infer: bool = Field(
        default=False,
        description="On the mem0 backend with an `llm` configured, let Mem0's LLM turn what is remembered into facts.",
    )
    http_tokens: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict,
        description="For `serve --http`: a JSON object mapping each bearer token to the user id it acts as, such as "
        '`{"long-random-token": "alice"}`.',
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="For `serve --http`: extra Host header values accepted (DNS-rebinding protection), as a JSON "
        'list such as `["memory.example.com", "10.0.0.5:8765"]`. The bound address and loopback names are always '
        "accepted.",
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="For `serve --http`: browser Origin values accepted, as a JSON list. Requests without an Origin "
        "are accepted.",
    )

    # -- secrets never become memories (issue 20) --
    secrets: Literal["redact", "refuse", "allow"] = Field(
        default="redact",
        description="What a write does with a password, API key, private key, card number or IBAN in what is "
        "remembered: redact (store it with each secret replaced by a placeholder such as `[redacted: github token]`), "
        "refuse (store nothing and say why) or allow (store it as given).",
    )

    # -- Retention that learns from use (issue 18): recall counters, recall-aware expiry, the ledger, tier advice --
    count_recalls: bool = Field(
        default=True,
        description="Count how often each memory is recalled, and when last (embedded backend), for `insights`. The "
        "counts are kept beside the memories, never in them; off: nothing is counted.",
    )
    extend_on_recall: Annotated[dict[str, Days], NoDecode] = Field(
        default_factory=dict,
        description="Recall-aware expiry, off by default: a JSON object mapping memory types to days, such as "
        '`{"session": 3, "chat": 14}`. A temporary memory of such a type that recall returns then lasts at least that '
        "long from then: never shorter than it already would, never past EXPIRING_MEMORY_MAX_TTL_DAYS from creation.",
    )
    forgotten_ledger_days: Days = Field(
        default=180,
        description="How long the ledger of swept and forgotten memories (ids, types, times and counts; never text) "
        "keeps each entry, in days; older entries are dropped by the sweep.",
    )

    # -- The memory view (issue 19) --
    view_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="The port on 127.0.0.1 where the open_memory_view tool serves the memory view; 0 picks a free one.",
    )

    @field_validator("extend_on_recall", mode="before")
    @classmethod
    def _json_map(cls, value: Any) -> Any:
        """JSON read here (NoDecode), so that text that is not JSON is an error naming the setting."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError('not JSON; give a JSON object such as {"session": 3, "chat": 14}') from None

    @field_validator("extend_on_recall")
    @classmethod
    def _known_type_names(cls, value: dict[str, float]) -> dict[str, float]:
        cleaned = {kind.strip().lower(): days for kind, days in value.items()}
        for kind in cleaned:
            if not TYPE_PATTERN.match(kind):
                raise ValueError(f"{kind[:50]!r} is not a memory type; use names such as 'session' or 'chat'")
            if kind in PERMANENT_TYPES:  # it would do nothing: a permanent memory has no expiry to extend
                raise ValueError(
                    f"{kind!r} memories are permanent and never expire; name temporary types such as 'chat'"
                )
        return cleaned

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r}; use an IANA name such as 'Europe/Berlin' or 'UTC'") from None
        return value

    @field_validator("data_dir")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()  # MCP clients pass "~" through unexpanded

    @field_validator("user_id")
    @classmethod
    def _trimmed_user(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("user_id must not be blank")
        return value

    @field_validator("mem0_config")
    @classmethod
    def _expand_config(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value else None

    @field_validator("http_tokens", "allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _from_json(cls, value: Any) -> Any:
        """JSON read here (NoDecode), not by pydantic-settings, so that text that is not JSON is a validation error
        naming its field, worded as every other bad setting (bad_settings.py), and not a SettingsError."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError("not JSON") from None

    @field_validator("http_tokens")
    @classmethod
    def _usable_tokens(cls, value: dict[str, str]) -> dict[str, str]:
        for token, user in value.items():
            if len(token) < 16:
                raise ValueError("each HTTP token must be at least 16 characters long; use a long random string")
            if not user.strip():
                raise ValueError("each HTTP token must map to a non-blank user id")
        return {token: user.strip() for token, user in value.items()}

    def chosen_backend(self) -> Literal["embedded", "mem0", "platform"]:
        if self.backend:
            return self.backend
        if self.mem0_api_key:
            return "platform"
        return "mem0" if self.mem0_config else "embedded"

    def ranking(self) -> Ranking:
        return default_ranking(self.embedder, self.recall_ranking, self.recall_keyword_weight)

    def tier_days(self) -> dict[str, float]:
        """Each temporary tier's lifetime in days, as configured: {"session": 7.0, ...}."""
        return {tier.name: float(getattr(self, str(tier.setting))) for tier in TIERS}

    def retention(self) -> RetentionPolicy:
        return RetentionPolicy(
            tiers={name: timedelta(days=days) for name, days in self.tier_days().items()},
            default_ttl=timedelta(days=self.ttl_default_days),
            max_ttl=timedelta(days=self.max_ttl_days),
            timezone=ZoneInfo(self.timezone),
        )

    # MCP Bundle: a field the user left blank arrives as its placeholder text and is unset, for every setting
    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, without_blank_fields(env_settings), dotenv_settings, file_secret_settings
