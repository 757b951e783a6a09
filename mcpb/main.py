"""The bundle's entry point, for a host that runs `uv run main.py` in the unpacked bundle instead of its mcp_config:
the same server as the `expiring-memory-mcp` console script, which uv has installed from pyproject.toml."""

from expiring_memory_mcp.__main__ import main

if __name__ == "__main__":
    main()
