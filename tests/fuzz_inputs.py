"""What the fuzz tests send: the fixed hypothesis settings, hostile strings, and strategies for every tool argument,
each in a wild form (anything at all) and a valid one (odd as it looks, it must be stored exactly)."""

from __future__ import annotations

import re
import string
from typing import Any

import hypothesis
from hypothesis import HealthCheck
from hypothesis import strategies as st

from expiring_memory_mcp.rules import RESERVED_KEYS

TIERS = {"session": 7, "chat": 30, "reminder": 1, "cache": 1}
DEFAULT_TTL, MAX_TTL, MAX_CHARS = 7, 3650, 5000
TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def fuzz(cases: int) -> hypothesis.settings:
    """Fixed for CI: the same cases every run, no example database, no per-example deadline."""
    return hypothesis.settings(
        max_examples=cases,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )


def plain_text(value: str) -> bool:
    """No NUL, and valid Unicode (no lone surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


# -- building blocks -----------------------------------------------------------------------------------------

NASTY = [
    "'; DROP TABLE vectors; --",
    "' OR '1'='1",
    '"',
    '""',
    '" OR 1=1 --',
    "\\",
    "%",
    "_",
    "*",
    "a*",
    "-a",
    "a -b",
    "NEAR(a b, 2)",
    "NEAR",
    "a AND b",
    "AND",
    "OR",
    "NOT",
    "a NOT b",
    "(a",
    "a)",
    "{a b}",
    "col:val",
    "^a",
    "a + b",
    "vectors_fts",
    "rank",
    "bm25(vectors_fts)",
    "$.x",
    "json_extract(payload, '$.data')",
    "?",
    "?1",
    ":name",
    "@x",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff",
    "a\udc80b",
    "\ud83d",
    "😀",
    "👍🏽",
    "👨‍👩‍👧",
    "🏳️‍🌈",
    "\u202eevil\u202c",
    "שלום עולם",
    "مرحبا بالعالم",
    "\u200fRTL\u200e",
    "日本語のテキスト",
    "Ünïcödé",
    "e\u0301",
    "\u200b",
    "\ufeff",
    "\uffff",
    "\U0010ffff",
    "\u2028",
    "\x1f",
    "\t\n\r",
    "　",
    "İstanbul",
    "ß",
    "ﬁ",
    "NaN",
    "Infinity",
    "null",
    "true",
    "[]",
    "{}",
]
text = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(NASTY),
    st.lists(
        st.one_of(st.sampled_from(NASTY), st.text(string.ascii_letters, min_size=1, max_size=8)), min_size=1, max_size=6
    ).map(" ".join),
    st.integers(MAX_CHARS - 3, MAX_CHARS + 3).map(lambda n: "y" * n),
    st.sampled_from([" " * 6000, "z" * 1_000_000, "é" * 5000, "😀" * 5001]),
)
numbers = st.one_of(
    st.floats(),
    st.integers(-(2**70), 2**70),
    st.sampled_from(
        [
            0,
            -0.0,
            1,
            5e-324,
            1e-12,
            0.5,
            3650,
            3650.000001,
            36500,
            36500.1,
            2**63 - 1,
            2**63,
            -(2**63),
            float("nan"),
            float("inf"),
            float("-inf"),
            1e308,
        ]
    ),
)
wrong_type = st.sampled_from([None, [], {}, ["x"], {"a": 1}, True, 3, 2.5])
GOOD_TYPES = [
    "session",
    "chat",
    "reminder",
    "cache",
    "preference",
    "account",
    "fact",
    "milestone",
    " Chat ",
    "SESSION",
    "my_type-2",
    "a" * 40,
]
memory_type = st.one_of(
    st.sampled_from(
        [
            *GOOD_TYPES,
            "a" * 41,
            "1abc",
            "",
            " ",
            "a b",
            "é",
            "İ",
            "x\x00",
            "\ud800",
            "session\n",
            "fact'; --",
        ]
    ),
    text,
)
metadata_key = st.one_of(
    st.sampled_from(
        [
            "source",
            "weight",
            "",
            " ",
            "k" * 64,
            "k" * 65,
            "\x00k",
            "\ud800",
            "🔑",
            "ключ",
            "a.b",
            "$where",
            "__proto__",
            "memory_type",
            "categories",
            "text",
            "expires_in",
            "a'b",
            'a"b',
            "x; DROP TABLE vectors; --",
            *sorted(RESERVED_KEYS),
        ]
    ),
    st.text(max_size=10),
)
metadata_value = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    text,
    st.text(min_size=1999, max_size=2001, alphabet="m"),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)
metadata = st.one_of(
    st.none(),
    st.dictionaries(metadata_key, metadata_value, max_size=4),
    st.dictionaries(
        st.text(string.ascii_lowercase, min_size=1, max_size=6), st.integers(0, 9), min_size=30, max_size=34
    ),
    wrong_type,
)
memory_types = st.one_of(st.none(), st.lists(memory_type, max_size=3), wrong_type)

# What a well-behaved caller may send, odd as it looks: valid, so it must be stored exactly.
good_char = st.characters(codec="utf-8", exclude_characters="\x00")
NASTY_VALID = [t for t in NASTY if t.strip() and plain_text(t)]
good_text = st.one_of(
    st.text(good_char, min_size=1, max_size=60).filter(str.strip),
    st.sampled_from(NASTY_VALID),
    st.lists(st.sampled_from(NASTY_VALID + ["apples", "pears"]), min_size=1, max_size=6).map(" ".join),
    st.integers(MAX_CHARS - 3, MAX_CHARS).map(lambda n: "y" * n),
)
good_type = st.sampled_from(GOOD_TYPES)
good_key = st.one_of(
    st.sampled_from(
        [
            "source",
            "weight",
            " ",
            "k" * 64,
            "🔑",
            "ключ",
            "a.b",
            "$where",
            "__proto__",
            "a'b",
            'a"b',
            "x; DROP TABLE vectors; --",
            "memory_type",
            "categories",
            "text",
        ]
    ),
    st.text(good_char, min_size=1, max_size=12),
).filter(lambda k: k not in RESERVED_KEYS)
good_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63) + 1, 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(good_char, max_size=30),
    st.sampled_from([*NASTY_VALID, "m" * 2000, ""]),
)
good_metadata = st.one_of(st.none(), st.dictionaries(good_key, good_value, max_size=5))
good_days = st.one_of(st.floats(1e-6, MAX_TTL), st.integers(1, MAX_TTL), st.sampled_from([0.5, MAX_TTL]))


class Draw:
    """Draws each argument from its valid strategy or its wild one: none wild, one wild, or all wild."""

    def __init__(self, data: st.DataObject, fields: list[str]) -> None:
        self.data = data
        mode = data.draw(st.sampled_from(["valid", "valid", "one wild", "wild"]), label="mode")
        one = [data.draw(st.sampled_from(fields), label="wild field")] if mode == "one wild" else []
        self.wild = set(fields) if mode == "wild" else set(one)

    def __call__(self, name: str, valid: st.SearchStrategy[Any], wild: st.SearchStrategy[Any]) -> Any:
        return self.data.draw(wild if name in self.wild else valid, label=name)


ABSENT = object()  # an argument left out of the call


def optional(arguments: dict[str, Any], **choices: Any) -> dict[str, Any]:
    """Arguments without the keys whose drawn value is ABSENT."""
    return {k: v for k, v in {**arguments, **choices}.items() if v is not ABSENT}


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(ABSENT), strategy)
