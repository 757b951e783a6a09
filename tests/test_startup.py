"""The console script quits quietly when its client goes away while Mem0 is still loading: `claude mcp list` checks a
server's health exactly so, initialize and tools/list, then stdin closes, on every run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from raw_stdio import RawServer
from support import server_env

# The race, made certain: the store starts opening only once the main thread has finished and the interpreter is
# shutting down (where a new worker thread can no longer be started).
QUIT_WHILE_OPENING = """
import logging, sys, threading
sys.path.insert(0, sys.argv[2])
from expiring_memory_mcp.backends import open_backend
from expiring_memory_mcp.retention import SystemClock
from expiring_memory_mcp.settings import Settings
from support import make_service

logging.basicConfig(stream=sys.stderr, level=logging.INFO)
settings = Settings(data_dir=sys.argv[1])
main = threading.main_thread()

def build():
    main.join()
    return open_backend(settings)

make_service(settings, SystemClock(), build=build).start_loading()
"""

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_a_client_that_leaves_right_after_tools_list_gets_a_quiet_exit_with_no_error_logged(
    tmp_path: Path,
) -> None:
    data_dir, stderr = tmp_path / "data", tmp_path / "stderr.log"
    async with RawServer.running(server_env(tmp_path, data_dir), stderr) as server:
        listed = await server.request("tools/list", {})
        assert listed is not None and len(listed["result"]["tools"]) == 7
    # `running` closed stdin and waited for the process: it ended while the store was still opening
    assert server.process.returncode == 0
    log = stderr.read_text()
    assert " ERROR " not in log and "Traceback" not in log, log
    assert "could not open the memory store" not in log


async def test_after_a_quiet_exit_during_loading_the_next_server_opens_the_same_store(tmp_path: Path) -> None:
    data_dir, stderr = tmp_path / "data", tmp_path / "stderr.log"
    env = server_env(tmp_path, data_dir)
    async with RawServer.running(env, stderr):
        pass  # leave at once, mid-load
    async with RawServer.running(env, stderr) as server:
        with anyio.fail_after(120):
            stored = await server.call("remember_permanent", content="Prefers window seats")
            recalled = await server.call("recall", query="window seat")
    assert stored is not None and "result" in stored and not stored["result"].get("isError"), stored
    assert recalled is not None
    assert [m["content"] for m in recalled["result"]["structuredContent"]["memories"]] == ["Prefers window seats"]


def test_a_process_that_quits_before_the_store_has_opened_logs_no_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", QUIT_WHILE_OPENING, str(tmp_path / "data"), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert "ERROR" not in done.stderr and "Traceback" not in done.stderr, done.stderr
