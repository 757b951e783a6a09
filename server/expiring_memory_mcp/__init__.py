"""expiring-memory-mcp: an MCP server giving AI assistants a long-term memory that cleans itself up."""

__version__ = "0.1.0"
