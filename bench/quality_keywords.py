"""Keyword-index variants for `python -m bench.quality --keyword-variants` (bench/QUALITY-KEYWORDS.md): the store's
keyword index and query built another way, patched in for one measurement, through the real `recall` tool."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench.quality import fresh, rank_all, store
from bench.retrieval import SETS, score


@contextmanager
def keyword_variant(name: str) -> Iterator[None]:
    """The store's keyword index and query built another way, for one measurement."""
    from expiring_memory_mcp.store import keyword_index as store_module  # where the index, text and query are made
    from expiring_memory_mcp.store import keywords

    saved = (store_module.KEYWORD_INDEX, store_module.index_text, store_module.term_queries, keywords.STOP_WORDS)
    index = "CREATE VIRTUAL TABLE vectors_fts USING fts5 (text, tokenize = '{}')"
    joined = re.compile(r"\w+(?:[-./:]\w+)+")

    def words_query(pattern: str) -> Callable[[str | None], list[str]]:  # the old term finder, on any word pattern
        def build(text: str | None) -> list[str]:
            found = dict.fromkeys(re.findall(pattern, str(text or "").lower()))
            return [f'"{w}"' for w in found if w not in keywords.STOP_WORDS]

        return build

    match name:
        case "unicode61 (no stemming)":
            store_module.KEYWORD_INDEX = index.format("unicode61 remove_diacritics 2")
        case "porter unicode61, no CJK pairs (before)":
            store_module.KEYWORD_INDEX = index.format("porter unicode61")
            store_module.index_text = lambda text: text
            store_module.term_queries = words_query(r"\w+")
        case "no stop list":
            keywords.STOP_WORDS = frozenset()
        case "prefix matching":
            store_module.term_queries = lambda text: [f'"{t}"*' for t in keywords.terms(str(text or ""))]
        case "names and numbers as phrases too":

            def phrases(text: str | None) -> list[str]:
                extra = ['"' + " ".join(re.findall(r"\w+", j.lower())) + '"' for j in joined.findall(str(text or ""))]
                return saved[2](text) + extra

            store_module.term_queries = phrases
        case "trigram":
            store_module.KEYWORD_INDEX = index.format("trigram")
            store_module.index_text = lambda text: text
            store_module.term_queries = words_query(r"\w{3,}")  # trigram needs three characters a term
    try:
        yield
    finally:
        store_module.KEYWORD_INDEX, store_module.index_text, store_module.term_queries, keywords.STOP_WORDS = saved


KEYWORD_VARIANTS = [
    "porter unicode61 remove_diacritics 2, CJK pairs (default)",
    "unicode61 (no stemming)",
    "porter unicode61, no CJK pairs (before)",
    "no stop list",
    "prefix matching",
    "names and numbers as phrases too",
    "trigram",
]


async def keyword_variants(sets: list[str], out: list[str]) -> None:
    out += [
        "## Keyword index variants",
        "",
        "Embedder `minilm`; R@10 of keyword-only recall and of the default hybrid.",
        "",
        "| variant | " + " | ".join(f"{n} keyword | {n} hybrid" for n in sets) + " |",
        "|---|" + "---|---|" * len(sets),
    ]
    for variant in KEYWORD_VARIANTS:
        cells = []
        with keyword_variant(variant):
            for name in sets:
                retrieval = SETS[name]()
                data_dir = fresh(f"variant-{name}")
                ids = await store(data_dir, retrieval, embedder="minilm")
                for settings in ({"recall_ranking": "keyword"}, {}):
                    ranked = await rank_all(data_dir, retrieval, ids, embedder="minilm", **settings)
                    cells.append(score(retrieval.queries, ranked, any_relevant=retrieval.any_relevant).recall[10])
        out.append(f"| {variant} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")
    out.append("")
