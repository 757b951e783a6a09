"""MemoryServer: the SDK's server as ours runs, its refusals of arguments worded for the model and its stdio
answering every request."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import ValidationError

from .arguments import explain, unknown
from .memories import MemoryService
from .notifications import NotifyingServer
from .stdio import Answering, stdio_server


class MemoryServer(NotifyingServer):
    """The SDK's server, with every argument its schema check refuses worded for the model (arguments.py), and an
    argument a tool does not take refused instead of dropped."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[MemoryService, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        schemas = {tool.name: tool.input_schema for tool in await self.list_tools()}
        if name in schemas and (extra := unknown(name, list(arguments), schemas)):
            raise ToolError(f"Error executing tool {name}: {extra}")  # worded as the SDK words every refusal
        try:
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as exc:  # the SDK raises it from a ValidationError when the arguments fail the schema
            if not isinstance(exc.__cause__, ValidationError) or name not in schemas:
                raise
            worded = explain(exc.__cause__, arguments, schemas[name])
            raise ToolError(f"Error executing tool {name}: {worded}") from exc.__cause__

    async def run_stdio_async(self) -> None:
        """As the SDK's, over streams that answer every request read before end-of-file on stdin, and answer a line
        that is not JSON with a parse error (stdio.py)."""
        async with stdio_server() as (read, write):
            answering = Answering(read, write)
            lowlevel = self._lowlevel_server  # the SDK's own run_stdio_async does the same, on the unwrapped streams
            await lowlevel.run(answering.reading, answering.writing, lowlevel.create_initialization_options())
