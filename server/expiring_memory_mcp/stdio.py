"""Serving MCP over stdio so that every request read is answered, and a line that is not JSON gets a JSON-RPC error.

The SDK's stdio session ends at end-of-file on stdin and cancels the requests still in flight: a client that pipes
six calls and closes stdin at once (`printf ... | expiring-memory-mcp`) gets no answer to those still waiting for the
store to open. Here end-of-file reaches the SDK only once every request read before it has been answered. And the
SDK drops a line it cannot parse without a word (it logs it at DEBUG); here it gets JSON-RPC's parse error, -32700,
or -32600 for JSON that is not a JSON-RPC message: with the message's id when it can be read (a client waits on
it), else a null id, as JSON-RPC 2.0 asks.
"""

from __future__ import annotations

import contextvars
import logging
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import anyio
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import (
    INVALID_REQUEST,
    PARSE_ERROR,
    ErrorData,
    JSONRPCError,
    JSONRPCNotification,
    JSONRPCRequest,
    JSONRPCResponse,
)
from pydantic import ValidationError
from pydantic_core import ErrorDetails

if TYPE_CHECKING:
    from mcp.shared._stream_protocols import ReadStream, WriteStream

logger = logging.getLogger(__name__)
RequestId = int | str


class Answering:
    """The SDK's two stdio streams, wrapped: it reads requests from `reading` and writes answers to `writing`;
    end-of-file is held back until no request read is still unanswered."""

    def __init__(self, read: ReadStream[SessionMessage | Exception], write: WriteStream[SessionMessage]) -> None:
        self._read = read
        self._write = write
        self._unanswered: set[RequestId] = set()
        self._all_answered = anyio.Event()
        self._all_answered.set()
        self.reading = _Reading(self)
        self.writing = _Writing(self)

    async def receive(self) -> SessionMessage | Exception:
        while True:
            try:
                item = await self._read.receive()
            except anyio.EndOfStream:
                if self._unanswered:
                    logger.debug("stdin closed; answering %d request(s) before exiting", len(self._unanswered))
                await self._all_answered.wait()
                raise
            self.reading.last_context = getattr(self._read, "last_context", None)
            if isinstance(item, Exception):
                await self._refuse(item)
                continue
            message = item.message
            if isinstance(message, JSONRPCRequest):
                self._unanswered.add(message.id)
                self._all_answered = anyio.Event()
            elif isinstance(message, JSONRPCNotification) and message.method == "notifications/cancelled":
                self._answered((message.params or {}).get("requestId"))  # a cancelled request may go unanswered
            return item

    async def send(self, item: SessionMessage) -> None:
        await self._write.send(item)
        if isinstance(item.message, JSONRPCResponse | JSONRPCError):
            self._answered(item.message.id)

    def _answered(self, request_id: Any) -> None:
        self._unanswered.discard(request_id)
        if not self._unanswered:
            self._all_answered.set()

    async def _refuse(self, exc: Exception) -> None:
        """A line the SDK could not read as a JSON-RPC message: parse error if it is not JSON, else invalid request.
        A blank line is skipped, as the SDK does."""
        problems = exc.errors() if isinstance(exc, ValidationError) else []
        if problems and problems[0]["type"] == "json_invalid":
            if not str(problems[0].get("input", "x")).strip():
                return
            error = ErrorData(
                code=PARSE_ERROR,
                message="Parse error: the line is not valid JSON (one JSON-RPC message per line, UTF-8).",
            )
        else:
            error = ErrorData(
                code=INVALID_REQUEST, message="Invalid Request: the line is JSON but not a JSON-RPC 2.0 message."
            )
        logger.info("refused a line from stdin: %s", error.message)
        await self._write.send(SessionMessage(JSONRPCError(jsonrpc="2.0", id=_id_of(problems), error=error)))


def _id_of(problems: list[ErrorDetails]) -> RequestId | None:
    """The id of a JSON object that failed validation, when it is an integer or a string.

    The SDK hands over only the validation error, not the line, so the object is read back from it: a field missing
    from the object (a request has no `result`, a response no `method`) reports the whole object as its input. An
    object that has `method`, `result` and `error` at once misses none, and is answered with a null id."""
    for problem in problems:
        message = problem.get("input")
        if problem["type"] == "missing" and len(problem["loc"]) == 2 and isinstance(message, dict):
            found = message.get("id")
            if isinstance(found, str) or (isinstance(found, int) and not isinstance(found, bool)):
                return found
    return None


class _Closing:
    """An async context manager that closes the stream on exit, as the SDK's stream protocols expect."""

    async def aclose(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


class _Reading(_Closing):
    """The read side as the SDK's ReadStream protocol; `last_context` as the SDK's own context streams carry it."""

    def __init__(self, owner: Answering) -> None:
        self._owner = owner
        self.last_context: contextvars.Context | None = None

    async def receive(self) -> SessionMessage | Exception:
        return await self._owner.receive()

    async def aclose(self) -> None:
        await self._owner._read.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage | Exception:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None


class _Writing(_Closing):
    """The write side as the SDK's WriteStream protocol."""

    def __init__(self, owner: Answering) -> None:
        self._owner = owner

    async def send(self, item: SessionMessage, /) -> None:
        await self._owner.send(item)

    async def aclose(self) -> None:
        await self._owner._write.aclose()


__all__ = ["Answering", "stdio_server"]
