"""The command line's errors, through the console script: a bad expiry, bad usage, a bad setting and a damaged
database each end in one line on stderr and an exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_script import cli_env, one_line_error, script


@pytest.mark.slow  # starts the console script
def test_an_expiry_in_the_past_is_refused_in_one_line(tmp_path: Path) -> None:
    env = cli_env(tmp_path, tmp_path / "data")
    error = one_line_error(script(env, "remember", "Old", "--expires-at", "2020-01-01"))
    assert "is not in the future" in error


@pytest.mark.slow  # starts the console script
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["remember", "Tea", "--ttl", "3x"], "'3x' is not a duration; use for example 30m, 12h, 7d, 2w"),
        (["remember", "Tea", "--ttl", "0"], "'0' must be longer than zero"),
        (["renew", "some-id", "--ttl", "5d", "--permanent"], "--permanent: not allowed with argument --ttl"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_usage_is_a_one_line_error_with_exit_code_2_before_anything_is_opened(
    tmp_path: Path, args: list[str], message: str
) -> None:
    error = one_line_error(script(cli_env(tmp_path, tmp_path / "data"), *args), code=2)
    assert message in error
    assert not (tmp_path / "data").exists()


@pytest.mark.slow  # starts the console script
def test_a_bad_setting_is_a_one_line_usage_error(tmp_path: Path) -> None:
    done = script(cli_env(tmp_path, tmp_path / "data"), "list", EXPIRING_MEMORY_TIMEZONE="Mars/Olympus")
    error = one_line_error(done, code=2)
    assert (
        "EXPIRING_MEMORY_TIMEZONE='Mars/Olympus' is not accepted (unknown timezone 'Mars/Olympus'; use an IANA" in error
    )
    assert not (tmp_path / "data").exists()


@pytest.mark.slow  # starts the console script
def test_a_damaged_database_is_a_one_line_error_naming_the_file_and_what_to_do_not_a_server_log(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    garbage = bytes(range(256)) * 16
    (data_dir / "memories.db").write_bytes(garbage)
    env = cli_env(tmp_path, data_dir)

    error = one_line_error(script(env, "list"))
    assert f"{data_dir / 'memories.db'} is damaged or not an SQLite database" in error
    assert "server log" not in error.lower()  # the CLI has none: it says how to see the full error instead
    assert "EXPIRING_MEMORY_LOG_LEVEL=DEBUG" in error
    assert (data_dir / "memories.db").read_bytes() == garbage  # left as it was

    debug = script(env, "list", EXPIRING_MEMORY_LOG_LEVEL="DEBUG")  # and that advice holds
    assert debug.returncode == 1 and debug.stdout == ""
    assert "Traceback" in debug.stderr and "file is not a database" in debug.stderr
    assert debug.stderr.splitlines()[-1] == error
