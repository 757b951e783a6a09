"""What a client speaking raw JSON to the console script over stdio can send, which the SDK's client cannot: NaN,
Infinity, huge numbers, NUL, lone surrogates and bytes that are not UTF-8. Each gets a clear answer, and nothing
harms the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from raw_stdio import RawServer, check_store_consistent
from support import server_env, sqlite


@pytest.mark.anyio
@pytest.mark.slow
async def test_what_a_raw_json_client_can_send_gets_a_clear_answer_or_is_dropped_without_harm(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "server.log"

    def tool_call(id_: int, name: str, arguments: str) -> str:
        return (
            f'{{"jsonrpc": "2.0", "id": {id_}, "method": "tools/call", "params": {{"name": "{name}", '
            f'"arguments": {arguments}}}}}'
        )

    # One generous bound for the whole session, only so that a hung server fails the test instead of hanging it: no
    # call has a bound of its own, so a slow machine (the first call opens the store cold) cannot decide the outcome.
    with anyio.fail_after(600):
        async with RawServer.running(server_env(tmp_path, data_dir), log) as server:
            ready = await server.call("recall", query="anything")  # waits for the store to open, however long
            assert ready is not None and not ready["result"].get("isError"), ready

            async def send(arguments: str, name: str = "remember_temporary") -> dict[str, Any] | None:
                id_ = server.new_id()
                return await server.send_and_wait(id_, tool_call(id_, name, arguments))

            # JSON has no NaN or Infinity, but Python's json module writes them: they reach the tools as floats.
            for arguments, message in [
                ('{"content": "a", "expires_in_days": NaN}', "positive number of days"),
                ('{"content": "a", "expires_in_days": Infinity}', "positive number of days"),
                ('{"content": "a", "expires_in_days": 1e400}', "positive number of days"),
                ('{"content": "a", "metadata": {"x": NaN}}', "finite number"),
                ('{"content": "a", "metadata": {"x": -Infinity}}', "finite number"),
                ('{"content": "a", "metadata": {"x": 123456789012345678901234567890}}', "too large an integer"),
                ('{"content": "nul \\u0000 inside"}', "NUL"),
            ]:
                response = await send(arguments)
                assert response is not None and response["result"]["isError"], arguments
                assert message in response["result"]["content"][0]["text"]
            response = await send('{"query": "x", "limit": NaN}', "recall")
            assert response is not None and response["result"]["isError"]
            assert (
                "limit must be a whole number, from 1 to 50; you sent NaN." in response["result"]["content"][0]["text"]
            )

            # A lone surrogate as a JSON escape is invalid JSON to the SDK's parser: the line gets JSON-RPC's parse
            # error (-32700) with a null id, since no id can be read from it, and the server keeps serving. That no
            # answer came under the ids is checked once the server has exited and all its output is read.
            dropped = [server.new_id(), server.new_id()]
            await server.send(tool_call(dropped[0], "remember_temporary", '{"content": "lone \\ud800 high"}'))
            await server.send(tool_call(dropped[1], "recall", '{"query": "lone \\udc00 low"}'))
            assert await server.request("ping", {}) is not None  # read after them: the server is still serving
            # Raw bytes that are not UTF-8 (here a surrogate encoded as CESU-8) are read as U+FFFD and stored so.
            id_ = server.new_id()
            line = tool_call(id_, "remember_permanent", '{"content": "raw bytes <>"}').encode()
            response = await server.send_and_wait(id_, line.replace(b"<>", b"\xed\xa0\x80"))
            assert response is not None and not response["result"].get("isError"), response
            assert response["result"]["structuredContent"]["content"].startswith("raw bytes \ufffd")
            pair = await send('{"content": "an emoji as a pair \\ud83d\\ude00"}')
            assert pair is not None and pair["result"]["structuredContent"]["content"] == "an emoji as a pair 😀"
            assert not (await send('{"query": "emoji"}', "recall"))["result"].get("isError")

            assert server.process.stdin is not None
            await server.process.stdin.aclose()  # the server exits at the end of its input
            await server.closed.wait()  # and every line it wrote has been read
            assert server.not_json_rpc == []
            assert not [line for line in server.lines if json.loads(line).get("id") in dropped]
            parse_errors = [json.loads(line) for line in server.lines if json.loads(line).get("id") is None]
            assert [m["error"]["code"] for m in parse_errors if "error" in m] == [-32700, -32700]

    with sqlite(data_dir / "memories.db") as db:
        contents = [c for (c,) in db.execute("SELECT json_extract(payload, '$.data') FROM vectors")]
    assert "an emoji as a pair 😀" in contents
    assert not [c for c in contents if "lone" in c or "\x00" in c]
    check_store_consistent(data_dir)
