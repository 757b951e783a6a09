"""The memory view's doors, with raw requests (Starlette's TestClient on the real view of a real service): nothing is
shown without a valid token, the token becomes an HttpOnly SameSite=Strict cookie, a forged Host (DNS rebinding) is
refused, a change needs the cookie, a CSRF token and this page's own Origin, and no memory text reaches an address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from expiring_memory_mcp.memories import MemoryService
from expiring_memory_mcp.settings import Settings
from expiring_memory_mcp.web.launch import prepare
from support import make_service

BASE = "http://127.0.0.1:8766"
SECRET = "Locker code is 4417"
ALICE, BOB = "alice-token-" + "a" * 32, "bob-token-" + "b" * 32


@pytest.fixture
def stored(service: MemoryService) -> str:
    return service.remember(SECRET, "account", None, permanent=True).id


@pytest.fixture
def view(service: MemoryService) -> Iterator[tuple[TestClient, str]]:
    """A browser-like client of the view, and the sign-in link `ui` would print."""
    prepared = prepare(service, "127.0.0.1", 8766)
    with TestClient(prepared.app, base_url=BASE) as http:
        yield http, prepared.url.removeprefix(BASE)


def signed_in(view: tuple[TestClient, str]) -> tuple[TestClient, str]:
    """Signs in with the link; the client keeps the cookie. Returns the client and the page's CSRF token."""
    http, link = view
    assert http.get(link).status_code == 200
    page = http.get("/")
    assert page.status_code == 200
    return http, re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]


def test_without_a_token_the_page_shows_a_sign_in_form_and_no_memory(view: Any, stored: str) -> None:
    http, _ = view
    page = http.get("/")
    assert page.status_code == 401
    assert "Sign in" in page.text
    assert SECRET not in page.text and stored not in page.text


def test_a_wrong_token_is_refused_and_sets_no_cookie(view: Any, stored: str) -> None:
    http, link = view
    for wrong in (link + "x", "/?token=", "/?token=" + "a" * 43):
        page = http.get(wrong)
        assert page.status_code == 401 and "not valid" in page.text, wrong
        assert "set-cookie" not in page.headers
        assert SECRET not in page.text
    assert http.post("/signin", data={"token": "nope"}).status_code == 401
    assert http.get("/").status_code == 401


def test_the_token_becomes_an_http_only_same_site_strict_cookie_and_leaves_the_address(view: Any, stored: str) -> None:
    http, link = view
    answer = http.get(link)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert link.partition("=")[2] not in cookie  # the cookie is not the token itself
    assert 'http-equiv="refresh" content="0; url=http://127.0.0.1:8766/"' in answer.text
    assert SECRET in http.get("/").text


def test_the_sign_in_form_accepts_the_token_too(view: Any, stored: str) -> None:
    http, link = view
    assert http.post("/signin", data={"token": link.partition("=")[2]}).status_code == 200
    assert SECRET in http.get("/").text


def test_a_forged_host_header_is_refused_even_when_signed_in(view: Any, stored: str) -> None:
    http, _ = signed_in(view)
    for host in ("attacker.example", "attacker.example:8766", "127.0.0.1:9999", ""):
        answer = http.get("/", headers={"Host": host})
        assert answer.status_code == 421, host
        assert SECRET not in answer.text
    assert http.get("/", headers={"Host": "localhost:8766"}).status_code == 200


def test_a_cross_origin_post_is_refused_and_changes_nothing(view: Any, service: MemoryService, stored: str) -> None:
    http, csrf = signed_in(view)
    form = {"csrf": csrf, "confirmed": "yes"}
    for origin in ("http://attacker.example", "null", "http://127.0.0.1:9999", "https://127.0.0.1:8766"):
        answer = http.post(f"/memories/{stored}/forget", data=form, headers={"Origin": origin})
        assert answer.status_code == 403, origin
    assert [m.id for m in service.memories()] == [stored]


def test_a_change_needs_the_csrf_token_and_the_cookie(view: Any, service: MemoryService, stored: str) -> None:
    http, csrf = signed_in(view)
    same = {"Origin": BASE}
    for form in ({"confirmed": "yes"}, {"csrf": "forged", "confirmed": "yes"}, {"csrf": csrf[:-1], "confirmed": "yes"}):
        assert http.post(f"/memories/{stored}/forget", data=form, headers=same).status_code == 403
    http.cookies.clear()
    answer = http.post(f"/memories/{stored}/forget", data={"csrf": csrf, "confirmed": "yes"}, headers=same)
    assert answer.status_code == 401
    assert [m.id for m in service.memories()] == [stored]


def test_an_action_asks_first_and_then_reports_without_memory_text_in_the_address(
    view: Any, service: MemoryService
) -> None:
    memory = service.remember("Reviewing the budget draft", "session", None, permanent=False)
    http, csrf = signed_in(view)
    asked = http.post(f"/memories/{memory.id}/renew", data={"csrf": csrf, "days": "30"})
    assert asked.status_code == 200 and "Renew this memory?" in asked.text and "30 days from now" in asked.text
    assert service.memories()[0].expires_in == "in 7 days"  # nothing changed yet
    done = http.post(
        f"/memories/{memory.id}/renew", data={"csrf": csrf, "days": "30", "confirmed": "yes"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "budget" not in done.headers["location"].lower()
    assert "it now expires in 30 days" in http.get(done.headers["location"]).text
    assert service.memories()[0].expires_in == "in 30 days"


def test_search_is_a_post_so_the_query_stays_out_of_the_address(view: Any, stored: str) -> None:
    http, csrf = signed_in(view)
    answer = http.post("/search", data={"csrf": csrf, "q": "locker code"}, follow_redirects=False)
    assert answer.status_code == 200
    assert "locker" not in str(answer.url).lower()
    assert SECRET in answer.text and "match " in answer.text
    assert http.get("/search").status_code == 405


def test_bad_days_are_refused_with_a_clear_message_and_change_nothing(view: Any, service: MemoryService) -> None:
    memory = service.remember("Reading up on heat pumps", "session", None, permanent=False)
    http, csrf = signed_in(view)
    for days, message in (("soon", "is not a number of days"), ("-3", "must be a positive number")):
        answer = http.post(f"/memories/{memory.id}/renew", data={"csrf": csrf, "days": days, "confirmed": "yes"})
        assert answer.status_code == 400 and message in answer.text, days
    assert service.memories()[0].expires_in == "in 7 days"


def test_pages_forbid_framing_outside_scripts_and_caching(view: Any, stored: str) -> None:
    http, _ = signed_in(view)
    headers = http.get("/").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "same-origin"


def test_binding_beyond_loopback_without_tokens_is_refused(service: MemoryService) -> None:
    with pytest.raises(ValueError, match="refusing to serve memories on 0.0.0.0 without authentication"):
        prepare(service, "0.0.0.0", 8766)


def test_with_http_tokens_each_token_sees_only_its_own_users_memories(
    settings: Settings, clock: Any, embedder: Any
) -> None:
    tokens = {ALICE: "alice", BOB: "bob"}
    service = make_service(settings.model_copy(update={"http_tokens": tokens}), clock, embedder)
    try:
        service.for_user("alice").remember(SECRET, "account", None, permanent=True)
        bobs = service.for_user("bob").remember("Bob's locker code is 9902", "account", None, permanent=True)
        prepared = prepare(service, "0.0.0.0", 8766)  # allowed: behind tokens
        assert "token" not in prepared.url
        with TestClient(prepared.app, base_url=BASE) as alice, TestClient(prepared.app, base_url=BASE) as bob:
            assert alice.get(f"/?token={ALICE}").status_code == 200
            assert bob.post("/signin", data={"token": BOB}).status_code == 200
            assert SECRET in alice.get("/").text and "9902" not in alice.get("/").text
            assert "9902" in bob.get("/").text and SECRET not in bob.get("/").text
            csrf = re.findall(r'name="csrf" value="([^"]+)"', alice.get("/").text)[0]
            forged = alice.post(f"/memories/{bobs.id}/forget", data={"csrf": csrf, "confirmed": "yes"})
            assert forged.status_code == 400 and "No memory with id" in forged.text
        assert [m.id for m in service.for_user("bob").memories()] == [bobs.id]
    finally:
        service.close()


def test_memory_text_is_shown_as_text_never_as_markup(view: Any, service: MemoryService) -> None:
    service.remember('<script>alert("hi")</script> & <b>bold</b>', "session", None, permanent=False)
    http, _ = signed_in(view)
    page = http.get("/").text
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
