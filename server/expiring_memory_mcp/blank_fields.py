"""Settings left blank in an MCP Bundle's configuration arrive as placeholder text and are treated as unset.

A bundle's manifest maps each setting to a variable, such as EXPIRING_MEMORY_TIMEZONE="${user_config.timezone}".
The host (Claude Desktop) replaces `${user_config.timezone}` with what the user entered; for an optional field the
user left blank, it passes the placeholder text itself. Any variable holding only such a placeholder is dropped
before the settings read it, so the setting keeps its default, and the names dropped are logged."""

from __future__ import annotations

import logging
import re

from pydantic_settings import EnvSettingsSource, PydanticBaseSettingsSource

logger = logging.getLogger(__name__)
BLANK_FIELD = re.compile(r"^\$\{user_config\.[^}]*\}$")


def without_blank_fields(source: PydanticBaseSettingsSource) -> PydanticBaseSettingsSource:
    """The environment source, less the variables that hold only a bundle placeholder; other sources as they are."""
    if not isinstance(source, EnvSettingsSource):
        return source
    blank = sorted(name for name, value in source.env_vars.items() if value is not None and BLANK_FIELD.match(value))
    if blank:
        # Logging is set up only once the settings are read, so this goes to stderr through logging's last resort
        # (WARNING and above), which is where a bundle host shows it.
        logger.warning(
            "expiring-memory-mcp: left blank in the bundle's settings, so their defaults apply: %s",
            ", ".join(name.upper() for name in blank),
        )
        source.env_vars = {name: value for name, value in source.env_vars.items() if name not in blank}
    return source
