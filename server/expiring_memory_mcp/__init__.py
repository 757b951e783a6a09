"""expiring-memory-mcp: an MCP server giving AI assistants a long-term memory that cleans itself up."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("expiring-memory-mcp")  # the installed package's, as pyproject.toml sets it
except PackageNotFoundError:  # pragma: no cover - imported from a source tree that was never installed
    __version__ = "0+unknown"
