"""Fuzzing every tool with hypothesis, through a real in-memory MCP session (one per test, not per example).

Each generated call must either do exactly what it asked, or come back as a tool error whose message says what
was wrong (never the SDK's generic `Error executing tool <name>` that hides a crash) and leave the store as it was.
Arguments are passed as raw Python values, so the server's schema validation sees NaN, lone surrogates and the
like, which a JSON client cannot send; test_fuzz_raw_json.py covers what one can.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from expiring_memory_mcp.memory_types import PERMANENT_TYPES, TEMPORARY_TYPES
from expiring_memory_mcp.retention import iso, parse_iso
from expiring_memory_mcp.rules import dedup_key
from fuzz_expected import clean_text, expected_expiry, expiry_strategy, plain_number, valid_metadata, valid_type
from fuzz_inputs import (
    ABSENT,
    DEFAULT_TTL,
    MAX_CHARS,
    NASTY_VALID,
    TIERS,
    Draw,
    fuzz,
    good_days,
    good_metadata,
    good_text,
    good_type,
    maybe,
    memory_type,
    memory_types,
    metadata,
    numbers,
    optional,
    text,
    wrong_type,
)
from fuzz_session import StoreProbe, run_case, tool_session
from raw_stdio import check_store_consistent

REMEMBER_CASES, READ_CASES, FORGET_RENEW_CASES = 600, 400, 300  # 1,300 tool calls


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
            explicit = (days is not ABSENT and days is not None) or (at is not ABSENT and at.text is not None)
            wrong_tool = stored_kind in (TEMPORARY_TYPES if permanent else () if explicit else PERMANENT_TYPES)
            if stored_text is None or stored_kind is None or not meta_ok or expiry == "fail" or wrong_tool:
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
                permanent = n % 3 == 0  # each tool with types it takes
                tool = "remember_permanent" if permanent else "remember_temporary"
                kinds = ["fact", "x-type"] if permanent else ["session", "chat", "reminder", "cache", "x-type"]
                arguments = {"content": f"Replaceable memory number {n}", "memory_type": kinds[n % len(kinds)]}
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
