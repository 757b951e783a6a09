"""expiring-memory-mcp: an MCP server giving AI assistants a long-term memory that cleans itself up."""


def __getattr__(name: str) -> str:
    """`__version__`: the installed package's, as pyproject.toml sets it; looked up only when asked for, so that
    importing the package stays instant (importlib.metadata takes a while to import)."""
    if name == "__version__":
        from importlib.metadata import version

        return version("expiring-memory-mcp")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
