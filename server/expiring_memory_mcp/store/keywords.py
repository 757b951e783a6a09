"""The keyword side of recall: how memory text is indexed in FTS5 and how any user text becomes a safe query.

FTS5's `unicode61` tokenizer splits on spaces and punctuation, which finds nothing in Japanese or Chinese, where
words are not separated. So runs of CJK characters are indexed (and queried) as overlapping character pairs, as
search engines do for these scripts; every other script goes to FTS5 as it is.
"""

from __future__ import annotations

import re

# Porter stemming for English words, with diacritics folded so "Malaga" finds "Málaga". Measured against
# other tokenizers in bench/QUALITY-KEYWORDS.md. Changing it (and KEYWORD_INDEX_VERSION) rebuilds the keyword index when a database is opened.
TOKENIZER = "porter unicode61 remove_diacritics 2"

_WORD = re.compile(r"\w+", re.UNICODE)
# Hiragana, katakana (and half-width), CJK ideographs (and extension A, compatibility): scripts without spaces.
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]+")
# Words left out of keyword queries: English function words (Mem0 drops them with spaCy, which is not installed
# here), and "user", which nearly every memory an assistant writes contains.
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "else",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "about",
        "over",
        "under",
        "as",
        "is",
        "am",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "having",
        "i",
        "me",
        "my",
        "mine",
        "we",
        "us",
        "our",
        "you",
        "your",
        "yours",
        "he",
        "him",
        "his",
        "she",
        "her",
        "hers",
        "it",
        "its",
        "they",
        "them",
        "their",
        "theirs",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "all",
        "any",
        "some",
        "no",
        "not",
        "nor",
        "so",
        "than",
        "too",
        "very",
        "can",
        "could",
        "should",
        "would",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "just",
        "also",
        "only",
        "own",
        "same",
        "such",
        "s",
        "t",
        "don",
        "doesn",
        "didn",
        "isn",
        "aren",
        "wasn",
        "weren",
        "won",
        "wouldn",
        "ll",
        "ve",
        "re",
        "d",
        "m",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "once",
        "each",
        "few",
        "more",
        "most",
        "other",
        "both",
        "between",
        "through",
        "during",
        "before",
        "after",
        "above",
        "below",
        "user",
        "users",
    ]
)


def _pairs(run: str) -> str:
    """A run of CJK characters as its overlapping pairs ("東京都" -> "東京 京都"); a single character stays."""
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def index_text(text: str) -> str:
    """The text FTS5 indexes for a memory."""
    return _CJK_RUN.sub(lambda m: f" {_pairs(m.group())} ", text)


def words(text: str) -> list[str]:
    """The words of any text as a person counts them (a run of CJK characters is one)."""
    return _WORD.findall(text)


def terms(text: str) -> list[str]:
    """The distinct query terms of any user text, in order: its words but stop words, CJK runs as pairs."""
    found = _WORD.findall(index_text(text).lower())
    return list(dict.fromkeys(w for w in found if w not in STOP_WORDS))


def quoted(term: str) -> str:
    """One term as a safe FTS5 query (terms are runs of word characters: nothing in them needs escaping)."""
    return f'"{term}"'


def match_query(text: str) -> str | None:
    """Any user text as a safe FTS5 query: each term quoted, joined with OR. None when no term is left."""
    return " OR ".join(quoted(term) for term in terms(text)) or None
