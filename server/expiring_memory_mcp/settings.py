"""Configuration: one environment variable per field, prefix EXPIRING_MEMORY_. Built once, in main()."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .retention import RetentionPolicy

Days = Annotated[float, Field(gt=0, le=36500)]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXPIRING_MEMORY_", extra="ignore")

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
    ttl_session_days: Days = Field(default=7, description="How long a `session` memory lives, in days.")
    ttl_chat_days: Days = Field(default=30, description="How long a `chat` memory lives, in days.")
    ttl_reminder_days: Days = Field(default=1, description="How long a `reminder` memory lives, in days.")
    ttl_cache_days: Days = Field(default=1, description="How long a `cache` memory lives, in days.")
    ttl_default_days: Days = Field(default=7, description="How long a temporary memory of any other type lives, in days.")
    max_ttl_days: Days = Field(
        default=3650, description="The longest expiry a temporary memory may be given, in days."
    )
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

    def retention(self) -> RetentionPolicy:
        return RetentionPolicy(
            tiers={
                "session": timedelta(days=self.ttl_session_days),
                "chat": timedelta(days=self.ttl_chat_days),
                "reminder": timedelta(days=self.ttl_reminder_days),
                "cache": timedelta(days=self.ttl_cache_days),
            },
            default_ttl=timedelta(days=self.ttl_default_days),
            max_ttl=timedelta(days=self.max_ttl_days),
            timezone=ZoneInfo(self.timezone),
        )
