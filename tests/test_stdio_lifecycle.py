"""The console script serving stdio, from start to exit, as a person at a terminal and a script piping into it meet
it: what it says on a terminal, Ctrl-C, every piped request answered before it exits, and a line that is not JSON."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from support import SCRIPT, server_env

pytestmark = pytest.mark.slow  # every test starts the console script

HANDSHAKE = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "pipe", "version": "0"}}
NOTICE = "expiring-memory-mcp speaks MCP over stdin and stdout, and is waiting for a client"


def line(message: dict[str, Any]) -> str:
    return json.dumps({"jsonrpc": "2.0", **message}) + "\n"


def opening() -> str:
    return line({"id": 1, "method": "initialize", "params": HANDSHAKE}) + line({"method": "notifications/initialized"})


def piped(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """The console script given `text` on stdin, which then closes; it must exit 0. (The bound only stops a hang.)"""
    done = subprocess.run(
        [SCRIPT],
        input=text,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=server_env(tmp_path, tmp_path / "data"),
    )
    assert done.returncode == 0, done.stderr
    return done


def read_stderr_until(process: subprocess.Popen[bytes], text: str, within: float = 120) -> str:
    """stderr up to the line holding `text`, or what came before the process ended or `within` seconds passed (a
    bound only so that a server which never says it cannot hang the test)."""
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + within
    while text not in seen and select.select([process.stderr], [], [], max(0, deadline - time.monotonic()))[0]:
        chunk = process.stderr.readline().decode()
        if not chunk:
            break
        seen += chunk
    return seen


def test_on_a_terminal_it_says_once_what_it_is_and_ctrl_c_stops_it_quietly_with_130(tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    env = server_env(tmp_path, tmp_path / "data")
    try:
        with subprocess.Popen(
            [SCRIPT], stdin=terminal, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        ) as process:
            try:
                shown = read_stderr_until(process, NOTICE)
                assert NOTICE in shown and "expiring-memory-mcp --help" in shown
                process.send_signal(signal.SIGINT)
                code = process.wait(timeout=60)  # before: it waited for a line on stdin, then printed a traceback
            finally:
                process.kill()  # only if it is still running: a failed test must not hang
            assert process.stderr is not None
            said = shown + process.stderr.read().decode()
    finally:
        os.close(controller)
        os.close(terminal)
    assert code == 130, said
    assert said.count(NOTICE) == 1
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said


def test_ctrl_c_stops_a_serving_client_session_quietly_with_130_and_says_nothing_to_a_pipe(tmp_path: Path) -> None:
    env = server_env(tmp_path, tmp_path / "data")
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    with subprocess.Popen([SCRIPT], env=env, **pipes) as process:
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        process.stdin.write(opening().encode())
        process.stdin.flush()
        assert json.loads(process.stdout.readline())["id"] == 1  # serving, stdin left open
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=60)
        finally:
            process.kill()  # only if it is still running: a failed test must not hang
        said = process.stderr.read().decode()
    assert code == 130, said
    assert NOTICE not in said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said


def test_ctrl_c_before_the_store_opens_stops_it_quietly_with_130(tmp_path: Path) -> None:
    """The Ctrl-C is sent as soon as the process exists. It starts with SIGINT blocked, so the signal waits, pending,
    until the server unblocks it, which it does once its handler is in place: the Ctrl-C lands at the earliest moment
    that handler exists, before the settings, the store and the SDK, whatever this machine's speed."""
    with subprocess.Popen(
        [SCRIPT],
        stdin=subprocess.DEVNULL,  # were Ctrl-C not handled, end-of-file would end the server with 0
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=server_env(tmp_path, tmp_path / "data"),
        preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}),  # noqa: PLW1509 -- one call
    ) as process:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=120)
        finally:
            process.kill()  # only if it is still running: a failed test must not hang
        assert process.stderr is not None
        said = process.stderr.read().decode()
    assert code == 130, said  # before: the handler came after the store and the SDK, and SIGINT stayed blocked
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said


def test_six_calls_piped_with_stdin_closed_at_once_all_get_their_answers(tmp_path: Path) -> None:
    calls = "".join(
        line(
            {
                "id": n,
                "method": "tools/call",
                "params": {"name": "remember_temporary", "arguments": {"content": f"Thing {n}"}},
            }
        )
        for n in range(2, 8)
    )
    done = piped(tmp_path, opening() + calls)
    messages = list(map(json.loads, done.stdout.splitlines()))
    answers = {message["id"]: message for message in messages if "id" in message}  # besides, notifications
    assert {m["method"] for m in messages if "id" not in m} <= {"notifications/resources/list_changed"}
    # before: the calls still waiting for the store got none
    assert sorted(answers) == [1, 2, 3, 4, 5, 6, 7], done.stdout
    stored = sorted(answers[n]["result"]["structuredContent"]["content"] for n in range(2, 8))
    assert stored == [f"Thing {n}" for n in range(2, 8)]


def test_a_bad_line_is_refused_with_its_id_when_it_has_one_and_the_server_goes_on(tmp_path: Path) -> None:
    ping = line({"id": 2, "method": "ping"})
    bad_params = line({"id": 7, "method": "tools/call", "params": "x"})  # JSON-RPC with a readable id, but invalid
    done = piped(tmp_path, opening() + "this is not json\n\n" + '["json", "but not JSON-RPC"]\n' + bad_params + ping)
    messages = [json.loads(text) for text in done.stdout.splitlines()]
    errors = [m["error"]["code"] for m in messages if m.get("id") is None]
    assert errors == [-32700, -32600]  # the blank line is skipped
    answers = {m["id"]: m for m in messages if m.get("id") is not None}
    assert sorted(answers) == [1, 2, 7]
    assert answers[7]["error"]["code"] == -32600  # before: its id was null, and the client waiting on 7 never heard
