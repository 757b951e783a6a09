"""Fuzzing every tool with hypothesis, through a real in-memory MCP session (one per test, not per example).

Each generated call must either do exactly what it asked, or come back as a tool error whose message says what
was wrong (never the SDK's generic `Error executing tool <name>` that hides a crash) and leave the store as it was.
Arguments are passed as raw Python values, so the server's schema validation sees NaN, lone surrogates and the
like, which a JSON client cannot send; `test_what_a_raw_json_client_can_send...` covers what one can.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import hypothesis
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from mcp import Client

from expiring_memory_mcp.app import build_server
from expiring_memory_mcp.retention import iso, parse_iso
from expiring_memory_mcp.rules import RESERVED_KEYS, dedup_key
from expiring_memory_mcp.store import SQLiteVectorStore
from expiring_memory_mcp.store.keywords import match_query
from raw_stdio import RawServer, check_store_consistent
from support import server_env, sqlite

REMEMBER_CASES, READ_CASES, FORGET_RENEW_CASES, FTS_CASES = 600, 400, 300, 1000  # 1,300 tool calls
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
memory_type = st.one_of(
    st.sampled_from(
        [
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
good_type = st.sampled_from(
    [
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
)
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


def clean_text(value: Any, limit: int) -> str | None:
    """The text the server would keep, or None if it must refuse it."""
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    return stripped if stripped and len(stripped) <= limit and plain_text(stripped) else None


def valid_type(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and TYPE_PATTERN.match(value.strip().lower()) else None


def valid_metadata(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict) or len(value) > 32:
        return False
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= 64 or not plain_text(key) or key in RESERVED_KEYS:
            return False
        if isinstance(item, float) and not math.isfinite(item):
            return False
        if isinstance(item, str) and (not plain_text(item) or len(item) > 2000):
            return False
        if item is not None and not isinstance(item, bool | int | float | str):
            return False
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > 2**63 - 1:
            return False
    return True


def plain_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# -- expiry: drawn as an instant and written out, so the expected instant is known without parsing -----------


@dataclass(frozen=True)
class Expiry:
    text: Any
    instant: datetime | None  # None: not a valid time (or not a string)


def written(moment: datetime, form: str, tz: timezone, spec: str, pad: str) -> Expiry:
    """A local wall-clock time written out in one ISO 8601 form, with the UTC instant it stands for."""
    keep = {"minutes": 60_000_000, "seconds": 1_000_000, "milliseconds": 1000, "microseconds": 1}[spec]
    cut = moment - timedelta(microseconds=(moment.second * 1_000_000 + moment.microsecond) % keep)
    if form == "date":  # through the end of that day, in the server's timezone (UTC here)
        return Expiry(pad + moment.date().isoformat() + pad, datetime.combine(moment.date(), time.max, UTC))
    if form == "Z":
        return Expiry(cut.isoformat(timespec=spec) + "Z", cut.replace(tzinfo=UTC))
    if form != "offset":  # naive: read in the server's timezone (UTC here)
        return Expiry(cut.isoformat(sep=form, timespec=spec), cut.replace(tzinfo=UTC))
    local = cut.replace(tzinfo=tz)
    try:
        instant: datetime | None = local.astimezone(UTC)
    except OverflowError:  # in UTC it would fall before year 1 or after 9999
        instant = None
    return Expiry(pad + local.isoformat(timespec=spec) + pad, instant)


def expiry_strategy(now: datetime, valid: bool = False) -> st.SearchStrategy[Expiry]:
    """An expiry time in every form; with valid=True only instants inside the allowed window."""
    near = st.floats(-3, MAX_TTL + 3).map(lambda days: (now + timedelta(days=days)).replace(tzinfo=None))
    far = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59, 999999))
    local = (
        st.floats(1.01, MAX_TTL - 2).map(lambda d: (now + timedelta(days=d)).replace(tzinfo=None))
        if valid
        else (st.one_of(near, far))
    )
    instants = st.builds(
        written,
        local,
        st.sampled_from(["offset", "T", " ", "Z", "date"]),
        st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m))),
        st.sampled_from(["minutes", "seconds", "milliseconds", "microseconds"]),
        st.sampled_from(["", " "]),
    )
    if valid:
        return instants
    garbage = st.one_of(
        text,
        st.sampled_from(
            ["tomorrow", "2026-13-01", "2026-02-30", "24:00", "2026-12-24T25:00", "+infinity", "0000-01-01", ""]
        ),
    )
    return st.one_of(instants, garbage.map(lambda t: Expiry(t, None)), wrong_type.map(lambda v: Expiry(v, None)))


def expected_expiry(now: datetime, kind: str, days: Any, at: Any) -> datetime | None | str:
    """The instant a temporary memory must get, or "fail" if the request must be refused, or "unknown"."""
    if days is not ABSENT and days is not None and at is not ABSENT and at.text is not None:
        return "fail"
    if at is not ABSENT and at.text is not None:
        if not isinstance(at.text, str):
            return "fail"
        moment = at.instant
        return moment if moment is not None and now < moment and moment - now <= timedelta(days=MAX_TTL) else "fail"
    if days is not ABSENT and days is not None:
        if not plain_number(days):
            return "unknown"
        if not math.isfinite(days) or days <= 0 or days > MAX_TTL:
            return "fail"
        moment = now + timedelta(days=days)
        return moment if moment > now else "fail"
    return now + timedelta(days=TIERS.get(kind, DEFAULT_TTL))


# -- the session and the checks ------------------------------------------------------------------------------

Call = Callable[[str, dict[str, Any]], Any]


@contextmanager
def tool_session(service: Any, app_settings: Any) -> Iterator[Call]:
    """One real MCP session for a whole test, called from hypothesis's synchronous examples through a portal."""
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(Client(build_server(service, app_settings))) as client,
    ):

        def call(tool: str, arguments: dict[str, Any]) -> Any:
            try:
                return portal.call(client.call_tool, tool, arguments)
            except UnicodeEncodeError:  # the client's own serializer refuses a lone surrogate in a dict key
                return UNSENDABLE

        yield call


UNSENDABLE = object()  # what not even the in-memory client can send


def has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return not plain_text(value.replace("\x00", ""))
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(has_surrogate(v) for v in value)


class StoreProbe:
    """Reads the database file between examples: the write counter, and rows against FTS rows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.outcomes: Counter[str] = Counter()  # per case: "ok", "error" or "unsendable"

    def assert_cases(self, cases: int) -> None:
        """Hypothesis ran (nearly) every case, and they were a fair mix of valid and refused calls."""
        total = sum(self.outcomes.values())
        assert total >= 0.95 * cases, self.outcomes
        assert self.outcomes["ok"] >= 0.25 * total and self.outcomes["error"] >= 0.15 * total, self.outcomes

    def state(self) -> tuple[int, int]:
        with sqlite(self.path) as db:
            rows, fts, rev = db.execute(
                "SELECT (SELECT count(*) FROM vectors), (SELECT count(*) FROM vectors_fts),"
                " (SELECT value FROM meta WHERE key = 'rev')"
            ).fetchone()
        assert rows == fts, "a memory row without its FTS row, or the reverse"
        return rows, rev

    def payload(self, memory_id: str) -> dict[str, Any] | None:
        with sqlite(self.path) as db:
            row = db.execute("SELECT payload FROM vectors WHERE id = ?", (memory_id,)).fetchone()
        return None if row is None else json.loads(row[0])


def clear_error(tool: str, result: Any) -> str:
    """The message of a refused call, which must say what was wrong."""
    assert result.is_error
    message = result.content[0].text
    prefix = f"Error executing tool {tool}: "
    assert message.startswith(prefix) and len(message) > len(prefix) + 10, f"unclear error: {message!r}"
    return message[len(prefix) :]


def run_case(call: Call, probe: StoreProbe, tool: str, arguments: dict[str, Any], expect: str) -> Any:
    """Call; check the outcome against `expect` ("ok", "fail" or "unknown"). Returns the structured result or None."""
    before = probe.state()
    result = call(tool, arguments)
    after = probe.state()
    if result is UNSENDABLE:
        probe.outcomes["unsendable"] += 1
        assert has_surrogate(arguments) and after == before
        return None
    probe.outcomes["error" if result.is_error else "ok"] += 1
    if result.is_error:
        message = clear_error(tool, result)
        assert expect != "ok", f"a valid call was refused: {tool} {arguments!r}: {message}"
        assert after == before, "a refused call changed the store"
        return None
    assert expect != "fail", f"an invalid call succeeded: {tool} {arguments!r}"
    assert result.structured_content is not None
    return result.structured_content


# -- the fuzz tests ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_fuzzed_remember_calls_store_exactly_what_was_asked_or_are_refused_clearly(service, settings, clock, db):
    now = clock.now()
    probe = StoreProbe(db.path)

    with tool_session(service, settings) as call:
        call("expiring_soon", {})  # loads Mem0 and makes the database file

        @fuzz(REMEMBER_CASES)
        @given(permanent=st.booleans(), data=st.data())
        def case(permanent: bool, data: st.DataObject) -> None:
            draw = Draw(data, ["content", "kind", "meta", "expiry"])
            content = draw("content", good_text, st.one_of(text, wrong_type))
            kind = draw("kind", maybe(good_type), maybe(memory_type))
            meta = draw("meta", maybe(good_metadata), maybe(metadata))
            how = draw("expiry", st.sampled_from(["tier", "days", "at"]), st.just("wild"))
            days = draw(
                "expiry",
                good_days if how == "days" else st.just(ABSENT),
                maybe(st.one_of(st.none(), numbers, st.sampled_from(["2", "x"]))),
            )
            at = draw(
                "expiry",
                expiry_strategy(now, valid=True) if how == "at" else st.just(ABSENT),
                maybe(expiry_strategy(now)),
            )
            tool = "remember_permanent" if permanent else "remember_temporary"
            arguments = optional({"content": content}, memory_type=kind, metadata=meta)
            default_kind = "preference" if permanent else "session"
            if not permanent:
                arguments = optional(arguments, expires_in_days=days, expires_at=at if at is ABSENT else at.text)
            stored_text = clean_text(content, MAX_CHARS)
            stored_kind = valid_type(default_kind if kind is ABSENT else kind)
            expiry = None if permanent else expected_expiry(now, stored_kind or "", days, at)
            meta_ok = valid_metadata(None if meta is ABSENT else meta)
            if stored_text is None or stored_kind is None or not meta_ok or expiry == "fail":
                expect = "fail"
            elif expiry == "unknown" or (at is not ABSENT and at.text is None and days is ABSENT):
                expect = "unknown"
            else:
                expect = "ok"
            rows_before = probe.state()[0]
            record = run_case(call, probe, tool, arguments, expect)
            if record is None:
                return
            assert stored_text is not None and stored_kind is not None
            assert record["memory_type"] == stored_kind
            if probe.state()[0] == rows_before + 1:  # a new memory: exactly as asked
                assert record["content"] == stored_text
                if not isinstance(expiry, str):
                    assert record["expires_at"] == (None if expiry is None else iso(expiry))
            else:  # a refresh of its live twin: same text up to case and spacing, the later expiry wins
                assert dedup_key(record["content"]) == dedup_key(stored_text)
                if expiry is None:
                    assert record["expires_at"] is None
                elif not isinstance(expiry, str) and record["expires_at"] is not None:
                    assert record["expires_at"] >= iso(expiry)
            for key, value in ((meta if isinstance(meta, dict) else None) or {}).items():
                assert record["metadata"][key] == value and type(record["metadata"][key]) is type(value), key
            payload = probe.payload(record["id"])
            assert payload is not None and payload["data"] == record["content"]

        case()
        assert not call("recall", {"query": "anything at all"}).is_error  # still up
    probe.assert_cases(REMEMBER_CASES)
    check_store_consistent(db.path.parent)


@pytest.mark.slow
def test_fuzzed_recall_and_expiring_soon_calls_answer_correctly_or_are_refused_clearly(service, settings, clock, db):
    now = clock.now()
    probe = StoreProbe(db.path)
    words = ["amber", "basil", "cedar", "NEAR", "AND", "OR", "NOT", 'quote"d', "star*", "-minus", "日本", "😀"]

    with tool_session(service, settings) as call:
        for n, kind in enumerate(["session", "chat", "reminder", "cache", "fact", "preference", "custom"] * 3):
            arguments: dict[str, Any] = {
                "content": f"{words[n % len(words)]} {words[(n * 5) % len(words)]} {n}",
                "memory_type": kind,
            }
            tool = "remember_permanent" if kind in ("fact", "preference") else "remember_temporary"
            assert not call(tool, arguments).is_error

        @fuzz(READ_CASES)
        @given(recall=st.booleans(), data=st.data())
        def case(recall: bool, data: st.DataObject) -> None:
            draw = Draw(data, ["query", "types", "limit", "window"])
            phrases = st.lists(st.sampled_from(words + NASTY_VALID), min_size=1, max_size=5).map(" ".join)
            query = draw("query", st.one_of(good_text, phrases), st.one_of(text, wrong_type))
            types = draw("types", maybe(st.one_of(st.none(), st.lists(good_type, max_size=3))), maybe(memory_types))
            limit = draw(
                "limit",
                maybe(st.integers(1, 50 if recall else 200)),
                maybe(st.one_of(st.integers(-3, 300), numbers, wrong_type)),
            )
            window = draw(
                "window",
                maybe(st.one_of(st.floats(1e-9, 36500), st.integers(1, 36500))),
                maybe(st.one_of(numbers, wrong_type)),
            )
            types_ok = (
                types is ABSENT or types is None or (isinstance(types, list) and all(valid_type(t) for t in types))
            )
            types_bad = isinstance(types, list) and any(isinstance(t, str) and not valid_type(t) for t in types)
            wanted = {valid_type(t) for t in types} if isinstance(types, list) and types and types_ok else None
            top = 50 if recall else 200
            limit_ok = limit is ABSENT or (type(limit) is int and 1 <= limit <= top)
            limit_bad = type(limit) is int and not 1 <= limit <= top
            if recall:
                tool, arguments = "recall", optional({"query": query}, memory_types=types, limit=limit)
                query_ok = clean_text(query, MAX_CHARS) is not None
                query_bad = isinstance(query, str) and not query_ok
                window_ok, window_bad = True, False
            else:
                tool, arguments = "expiring_soon", optional({}, within_days=window, memory_types=types, limit=limit)
                query_ok, query_bad = True, False
                window_ok = window is ABSENT or (plain_number(window) and 0 < window <= 36500)
                window_bad = plain_number(window) and not (0 < window <= 36500)
            if query_bad or types_bad or limit_bad or window_bad:
                expect = "fail"
            elif query_ok and types_ok and limit_ok and window_ok:
                expect = "ok"
            else:
                expect = "unknown"
            found = run_case(call, probe, tool, arguments, expect)
            if found is None:
                return
            memories = found["memories"]
            assert len(memories) <= (limit if type(limit) is int else 5 if recall else 20)
            for memory in memories:
                assert wanted is None or memory["memory_type"] in wanted
                assert memory["expires_at"] is None or memory["expires_at"] > iso(now)
                if recall:
                    assert 0 <= memory["score"] <= 1
            if recall:
                assert [m["score"] for m in memories] == sorted((m["score"] for m in memories), reverse=True)
            else:
                days = 7 if window is ABSENT else window
                horizon = now + timedelta(days=days)
                expiries = [m["expires_at"] for m in memories]
                assert None not in expiries and expiries == sorted(expiries)
                assert all(parse_iso(e) <= horizon for e in expiries)

        case()
        assert not call("expiring_soon", {}).is_error  # still up
    probe.assert_cases(READ_CASES)
    check_store_consistent(db.path.parent)


@pytest.mark.slow
def test_fuzzed_forget_and_renew_calls_touch_only_the_memory_they_name(service, settings, clock, db):
    now = clock.now()
    probe = StoreProbe(db.path)
    live: dict[str, dict[str, Any]] = {}
    gone: list[str] = []

    with tool_session(service, settings) as call:
        counter = iter(range(10**6))

        def replenish() -> None:
            while len(live) < 6:
                n = next(counter)
                tool = "remember_permanent" if n % 3 == 0 else "remember_temporary"
                arguments = {
                    "content": f"Replaceable memory number {n}",
                    "memory_type": ["fact", "session", "chat", "reminder", "cache", "x-type"][n % 6],
                }
                result = call(tool, arguments)
                assert not result.is_error
                live[result.structured_content["id"]] = result.structured_content

        wild_target = st.one_of(
            st.integers(0, 10**6).map(lambda i: ("live", i)),
            st.integers(0, 10**6).map(lambda i: ("gone", i)),
            st.one_of(
                text,
                st.sampled_from(["", " ", "' OR 1=1 --", "%", "*", "x" * 200, "x" * 201]),
                st.uuids().map(str),
                wrong_type,
            ).map(lambda v: ("raw", v)),
        )

        @fuzz(FORGET_RENEW_CASES)
        @given(forget=st.booleans(), data=st.data())
        def case(forget: bool, data: st.DataObject) -> None:
            draw = Draw(data, ["target", "change"])
            target = draw("target", st.integers(0, 10**6).map(lambda i: ("live", i)), wild_target)
            how = draw("change", st.sampled_from(["tier", "permanent", "days", "at", "not permanent"]), st.just("wild"))
            days = draw(
                "change",
                good_days if how in ("days", "not permanent") else st.just(ABSENT),
                maybe(st.one_of(st.none(), numbers)),
            )
            at = draw(
                "change",
                expiry_strategy(now, valid=True) if how == "at" else st.just(ABSENT),
                maybe(expiry_strategy(now)),
            )
            permanent = draw(
                "change",
                st.just({"permanent": True, "not permanent": False}.get(how, ABSENT)),
                maybe(st.one_of(st.booleans(), wrong_type)),
            )
            replenish()
            how, value = target
            memory_id = (
                sorted(live)[value % len(live)]
                if how == "live"
                else gone[value % len(gone)]
                if how == "gone" and gone
                else value
                if how == "raw"
                else "none"
            )
            known = isinstance(memory_id, str) and memory_id in live
            if forget:
                tool, arguments = "forget", {"memory_id": memory_id}
                expect = "ok" if known else "fail" if isinstance(memory_id, str) else "unknown"
            else:
                tool = "renew_memory"
                arguments = optional(
                    {"memory_id": memory_id},
                    expires_in_days=days,
                    expires_at=at if at is ABSENT else at.text,
                    permanent=permanent,
                )
                kind = live[memory_id]["memory_type"] if known else ""
                expiry = expected_expiry(now, kind, days, at)
                explicit = (days not in (ABSENT, None)) or (at is not ABSENT and at.text is not None)
                if permanent is True and explicit:
                    expect = "fail"
                elif not isinstance(memory_id, str) or permanent not in (ABSENT, True, False):
                    expect = "unknown"
                elif not known or expiry == "fail":
                    expect = "fail"
                elif expiry == "unknown" or (at is not ABSENT and at.text is None and days is ABSENT):
                    expect = "unknown"
                else:
                    expect = "ok"
            result = run_case(call, probe, tool, arguments, expect)
            if result is None:
                return
            if forget:
                assert result == {"deleted": memory_id}
                assert probe.payload(memory_id) is None
                gone.append(live.pop(memory_id)["id"])
                return
            assert result["id"] == memory_id and result["content"] == live[memory_id]["content"]
            if permanent is True:
                assert result["expires_at"] is None
            elif explicit and not isinstance(expiry, str):
                assert result["expires_at"] == iso(expiry)
            elif not explicit:  # the tier starts again, unless the memory already lasts longer (or for ever)
                tier = iso(now + timedelta(days=TIERS.get(live[memory_id]["memory_type"], DEFAULT_TTL)))
                current = live[memory_id]["expires_at"]
                assert result["expires_at"] == (None if current is None else max(current, tier))
            live[memory_id] = result
            assert probe.payload(memory_id)["expires_at"] == result["expires_at"]

        case()
        for memory_id, record in live.items():  # nothing else was touched
            assert probe.payload(memory_id)["expires_at"] == record["expires_at"]
    probe.assert_cases(FORGET_RENEW_CASES)
    check_store_consistent(db.path.parent)


# -- FTS5: every text is a valid, safe keyword query ---------------------------------------------------------


@pytest.fixture
def keyword_store(tmp_path: Path) -> Iterator[SQLiteVectorStore]:
    import numpy as np

    store = SQLiteVectorStore(tmp_path / "fts.db")
    texts = [
        "apples AND pears",
        "near the NEAR station",
        'a "quoted" word',
        "star * gazing",
        "minus -one",
        "日本語のテキスト",
        "emoji 😀 party",
        "column:value pairs",
        "plain words only",
    ]
    rng = np.random.default_rng(1)
    store.insert(
        list(rng.random((len(texts), 384), dtype=np.float32)),
        [{"data": t, "user_id": "u"} for t in texts],
        [f"id{i}" for i in range(len(texts))],
    )
    yield store
    store.close()


@pytest.mark.slow
def test_any_text_as_a_keyword_query_is_a_safe_fts5_query(keyword_store: SQLiteVectorStore) -> None:
    @fuzz(FTS_CASES)
    @given(
        query=st.one_of(
            text,
            st.lists(st.sampled_from(NASTY + ["apples", "near", "star", "one"]), max_size=8).map(" ".join),
            st.text(st.characters(codec="utf-8", exclude_characters="\x00")),
        )
    )
    def case(query: str) -> None:
        match = match_query(query)
        if match is not None:  # only quoted words joined by OR: nothing from the text is FTS5 syntax
            assert re.fullmatch(r'"[^"]+"( OR "[^"]+")*', match), match
        try:
            query.encode("utf-8")
        except UnicodeEncodeError:
            return  # the service refuses such text before any query is built
        results = keyword_store.keyword_matches(query, top_k=5, filters={"user_id": "u"})
        assert all(r.score > 0 for r in results)

    case()
    found = keyword_store.keyword_matches('NEAR(apples pears) AND "star* -one', top_k=9, filters={"user_id": "u"})
    assert {r.payload["data"] for r in found} >= {"apples AND pears", "star * gazing", "minus -one"}


# -- what a client speaking raw JSON can send ----------------------------------------------------------------


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

    with anyio.fail_after(120):
        async with RawServer.running(server_env(tmp_path, data_dir), log) as server:

            async def send(arguments: str, name: str = "remember_temporary") -> dict[str, Any] | None:
                id_ = server.new_id()
                with anyio.move_on_after(5):
                    return await server.send_and_wait(id_, tool_call(id_, name, arguments))
                return None

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
            assert "finite number" in response["result"]["content"][0]["text"]

            # A lone surrogate as a JSON escape is invalid JSON to the SDK's parser: the line is dropped and no
            # answer ever comes (JSON-RPC would want a -32700 parse error), but the server keeps serving. That no
            # answer came is checked once the server has exited and all its output is read.
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

    with sqlite(data_dir / "memories.db") as db:
        contents = [c for (c,) in db.execute("SELECT json_extract(payload, '$.data') FROM vectors")]
    assert "an emoji as a pair 😀" in contents
    assert not [c for c in contents if "lone" in c or "\x00" in c]
    check_store_consistent(data_dir)
