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
from expiring_memory_mcp.web.security import COOKIE, MAX_SESSIONS, SESSION_IDLE, Access
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
        with TestClient(prepared.app, base_url=BASE, client=("127.0.0.1", 50000)) as local:  # no launch links here
            assert local.post("/launch", headers={"Authorization": f"Bearer {prepared.secret}"}).status_code == 403
    finally:
        service.close()


def test_memory_text_is_shown_as_text_never_as_markup(view: Any, service: MemoryService) -> None:
    service.remember('<script>alert("hi")</script> & <b>bold</b>', "session", None, permanent=False)
    http, _ = signed_in(view)
    page = http.get("/").text
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(&#34;hi&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page


# -- sessions: one per sign-in, kept on the server, ended there ------------------------------------------------------


def cookie_and_csrf(http: TestClient, link: str) -> tuple[str, str]:
    """Signs `http` in with `link`; its session cookie and the CSRF token of its page."""
    assert http.get(link).status_code == 200
    page = http.get("/")
    assert page.status_code == 200
    return str(http.cookies[COOKIE]), re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]


def test_the_launch_link_signs_in_once_and_a_second_use_says_to_ask_for_a_new_link(view: Any, stored: str) -> None:
    http, link = view
    assert http.get(link).status_code == 200
    with TestClient(http.app, base_url=BASE) as other:
        again = other.get(link)
        assert again.status_code == 401 and "set-cookie" not in again.headers
        assert "already been used" in again.text and "Ask your assistant to open the memory view again" in again.text
        assert SECRET not in again.text
        assert other.post("/signin", data={"token": link.partition("=")[2]}).status_code == 401
        assert other.get("/").status_code == 401
    assert SECRET in http.get("/").text  # the first browser stays signed in
    back = http.get(link)  # and going back to the link there (Back, a reload) just goes on to the page
    assert back.status_code == 200 and "set-cookie" not in back.headers and "already been used" not in back.text
    assert SECRET in http.get("/").text


def test_each_sign_in_is_its_own_session_with_its_own_csrf_token(service: MemoryService, stored: str) -> None:
    prepared = prepare(service, "127.0.0.1", 8766)
    second_link = "/?token=" + prepared.access.mint(service.user_id)
    with TestClient(prepared.app, base_url=BASE) as one, TestClient(prepared.app, base_url=BASE) as two:
        cookie_one, csrf_one = cookie_and_csrf(one, prepared.url.removeprefix(BASE))
        cookie_two, csrf_two = cookie_and_csrf(two, second_link)
        assert cookie_one != cookie_two and csrf_one != csrf_two
        assert service.user_id not in cookie_one  # the cookie is a random id, not the user
        crossed = two.post(f"/memories/{stored}/forget", data={"csrf": csrf_one, "confirmed": "yes"})
        assert crossed.status_code == 403
        assert one.post("/search", data={"csrf": csrf_one, "q": "locker"}).status_code == 200
    assert [m.id for m in service.memories()] == [stored]


def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_is_refused(
    service: MemoryService, stored: str
) -> None:
    prepared = prepare(service, "127.0.0.1", 8766)
    with TestClient(prepared.app, base_url=BASE) as browser, TestClient(prepared.app, base_url=BASE) as thief:
        cookie, csrf = cookie_and_csrf(browser, prepared.url.removeprefix(BASE))
        thief.cookies.set(COOKIE, cookie)
        assert SECRET in thief.get("/").text  # a copy works while the session lives
        out = browser.post("/signout", data={"csrf": csrf})
        assert out.status_code == 401 and "Sign in" in out.text
        refused = thief.get("/")
        assert refused.status_code == 401 and "Your session has ended" in refused.text and SECRET not in refused.text
        forged = thief.post(f"/memories/{stored}/forget", data={"csrf": csrf, "confirmed": "yes"})
        assert forged.status_code == 401
    assert [m.id for m in service.memories()] == [stored]


def test_a_session_ends_after_twelve_idle_hours_and_a_used_one_lives_on() -> None:
    now = [0.0]
    access = Access({}, now=lambda: now[0])
    idle, used = access.sign_in(access.mint("alice")).session, access.sign_in(access.mint("alice")).session
    assert idle and used
    now[0] += SESSION_IDLE - 60
    assert access.user_for_session(used) == "alice"
    now[0] += 120  # idle's 12 hours are up; used was seen 2 minutes ago
    assert access.user_for_session(idle) is None and access.user_for_session(used) == "alice"
    assert access.user_for_session(idle) is None  # and it stays ended


def test_at_most_a_thousand_sessions_are_kept_the_oldest_signed_out_first() -> None:
    access = Access({"bearer-token-" + "x" * 32: "bob"})
    sessions = [access.sign_in("bearer-token-" + "x" * 32).session for _ in range(MAX_SESSIONS + 1)]
    assert len(set(sessions)) == MAX_SESSIONS + 1  # a bearer token signs in again and again, each time anew
    assert access.user_for_session(sessions[0]) is None
    assert all(access.user_for_session(s) == "bob" for s in sessions[1:])


def test_a_new_link_is_handed_out_only_to_this_computer_with_the_secret(service: MemoryService, stored: str) -> None:
    prepared = prepare(service, "127.0.0.1", 8766)
    bearer = {"Authorization": f"Bearer {prepared.secret}"}
    with TestClient(prepared.app, base_url=BASE, client=("203.0.113.5", 50000)) as remote:
        assert remote.post("/launch", headers=bearer).status_code == 403  # the right secret, from elsewhere
    with TestClient(prepared.app, base_url=BASE, client=("127.0.0.1", 50000)) as local:
        assert local.post("/launch", headers={"Authorization": "Bearer wrong"}).status_code == 403
        assert local.get("/launch").status_code == 405
        fresh = local.post("/launch", headers=bearer).json()["url"]
        assert fresh.startswith(f"{BASE}/?token=") and fresh != prepared.url
        assert local.get(fresh).status_code == 200
        assert SECRET in local.get("/").text
