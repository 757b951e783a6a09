"""The view's routes: sign in with a token, the page (timeline, chart, stats, the list or search results), and the
actions on one memory (the pages of what use taught are learned_pages.py's). Server-rendered; reading needs no
JavaScript, and every action has a confirmation page that the small script (static/view.js) replaces with a dialog."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import anyio.to_thread
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import InvalidRequest, Unavailable
from ..memories import MemoryService
from ..memory_types import MEMORY_TYPES
from . import learned, views
from .learned_pages import LearnedPages
from .rendering import HERE, TEMPLATES, blocking
from .security import COOKIE, Access, Guard, is_loopback

NAME = "expiring-memory-mcp"  # what /health answers, so a second server knows the port is this view
ACTIONS = {"renew": "Renew", "permanent": "Make permanent", "forget": "Forget"}
SEARCH_LIMIT = 20
ENDED = "Your session has ended (you signed out, or the page was not used for 12 hours): sign in again."
USED = (
    "This sign-in link has already been used: each link signs in once. Ask your assistant to open the memory view "
    "again for a new link (or start `expiring-memory-mcp ui` again)."
)


@dataclass(frozen=True)
class ViewConfig:
    service: MemoryService  # the configured user's; each session sees service.for_user(its user)
    access: Access
    hosts: list[str]  # Host header values accepted
    timezone: str
    key: str  # what /health answers: a digest of the launch secret, so a second server can tell this view is its own
    signin_hint: str  # where the token comes from, on the sign-in page
    launch_secret: str | None = None  # authorizes POST /launch (a new sign-in link), from loopback; None: no such route


def build_view(config: ViewConfig) -> Starlette:
    """The view as an ASGI app, to serve alone (`ui`, open_memory_view) or mount at /ui (`serve --http`)."""
    zone = ZoneInfo(config.timezone)
    access = config.access

    def session(request: Request) -> tuple[MemoryService, str] | None:
        cookie = request.cookies.get(COOKIE)
        user = access.user_for_session(cookie)
        return (config.service.for_user(user), cookie or "") if user else None

    def signin(request: Request, error: str | None = None) -> Response:
        context = {"hint": config.signin_hint, "error": error}
        return TEMPLATES.TemplateResponse(request, "signin.html", context, status_code=401)

    def signed_out(request: Request, error: str | None = None) -> Response:
        response = signin(request, error)
        response.delete_cookie(COOKIE, path=cookie_path(request), httponly=True, samesite="strict")
        return response

    def signed_in(request: Request, token: str) -> Response:
        """A known token becomes the session cookie. The page then reloads itself without the token in its address
        (a meta refresh, not a redirect: a same-site navigation, so the SameSite=Strict cookie goes with it even
        when the link was opened from another application)."""
        outcome = access.sign_in(token.strip())
        onward = TEMPLATES.TemplateResponse(request, "signed_in.html", {"target": str(request.url_for("index"))})
        if outcome.used and session(request) is not None:  # the browser it signed in, back on it (Back, a reload)
            return onward
        if outcome.used:
            return signin(request, USED)
        if outcome.session is None:
            return signin(request, "That token is not valid for this view.")
        onward.set_cookie(COOKIE, outcome.session, httponly=True, samesite="strict", path=cookie_path(request))
        return onward

    learned_pages = LearnedPages(zone, access, session, signin)

    async def checked_form(request: Request) -> tuple[MemoryService, str, FormData]:
        found = session(request)
        if found is None:
            raise HTTPException(401, "Sign in first.")
        form = await request.form()
        if not access.csrf_ok(found[1], str(form.get("csrf", ""))):
            raise HTTPException(403, "The form has expired: reload the page and try again.")
        return found[0], found[1], form

    async def page(
        request: Request,
        service: MemoryService,
        cookie: str,
        *,
        query: str = "",
        results: list[Any] | None = None,
        notice: str | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response:
        filters = views.Filters.read(request.query_params if request.method == "GET" else await request.form())
        expiries, stats = await blocking(service.expiries), await blocking(service.stats)
        now = service.now()
        listed = views.page(views.count(expiries, now, filters.show, filters.types), filters.page)
        after, within = views.SPANS[filters.show]
        items = await blocking(
            service.listing, filters.types or None, listed.offset + views.PAGE_SIZE, after=after, within=within
        )
        previews = {
            key: await blocking(service.listing, None, views.PREVIEW, after=low, within=high)
            for key, (low, high) in views.SPANS.items()
            if key in {b.key for b in views.BUCKETS}
        }
        done = request.query_params.get("done")
        if notice is None and request.method == "GET" and done in ACTIONS:
            notice = await outcome(done, request.query_params.get("id", ""), service, zone)
        if results is not None:
            results = views.shown(results, now, filters.show)
        shown = items[listed.offset :] if results is None else results
        ids = [m.id for m in shown]  # only ids of this user's own memories
        counts, counts_note = await learned_pages.usage(service, ids)
        context = {
            "now": now,
            "zone": zone,
            "stats": stats,
            "timeline": views.timeline(expiries, previews, now),
            "chart": views.chart(expiries, now, zone),
            "listed": listed,
            "items": items[listed.offset :],
            "counts": counts,
            "counts_note": counts_note,
            "recalls": learned.recalls,
            "filters": filters,
            "show_choices": views.SHOW,
            "type_choices": sorted({t.name for t in MEMORY_TYPES} | set(stats.by_type)),
            "query": query,
            "results": results,
            "notice": notice,
            "error": error,
            "csrf": access.csrf(cookie),
            "tiers": {t: service.policy.ttl_for(t) / timedelta(days=1) for t, _ in expiries},
            "ago": views.ago,
            "bucket": lambda memory: views.bucket_of(memory.expires_at, now),
            "local": views.local,
            "actions": ACTIONS,
        }
        return TEMPLATES.TemplateResponse(request, "index.html", context, status_code=status)

    async def index(request: Request) -> Response:
        if "token" in request.query_params:
            return signed_in(request, request.query_params["token"])
        found = session(request)
        if found is None:
            return signin(request, ENDED if COOKIE in request.cookies else None)
        return await page(request, *found)

    async def signin_form(request: Request) -> Response:
        form = await request.form()
        return signed_in(request, str(form.get("token", "")))

    async def signout(request: Request) -> Response:
        """Ends the session here, on the server: its cookie, wherever it was copied, signs nobody in again."""
        _, session_id, _ = await checked_form(request)
        access.sign_out(session_id)
        return signed_out(request)

    async def search(request: Request) -> Response:
        """Search by POST: what a person searches for is close to what they remember, so it stays out of addresses,
        the browser's history and any log."""
        service, cookie, form = await checked_form(request)
        query = str(form.get("q", "")).strip()
        if not query:
            return await page(request, service, cookie)
        filters = views.Filters.read(form)
        try:
            found = await blocking(partial(service.recall, used=False), query, filters.types or None, SEARCH_LIMIT)
        except InvalidRequest as exc:
            return await page(request, service, cookie, query=query, error=str(exc), status=400)
        return await page(request, service, cookie, query=query, results=found)

    async def act(request: Request) -> Response:
        service, cookie, form = await checked_form(request)
        action, memory_id = request.path_params["action"], request.path_params["memory_id"]
        if action not in ACTIONS:
            raise HTTPException(404)
        days = str(form.get("days", "")).strip()
        try:
            if form.get("confirmed") != "yes":
                memory = await blocking(service.get, memory_id)
                context = {"memory": memory, "action": action, "label": ACTIONS[action], "days": days, "zone": zone}
                context |= {"csrf": access.csrf(cookie), "filters": views.Filters.read(form), "now": service.now()}
                context["local"] = views.local
                context["tier"] = service.policy.ttl_for(memory.memory_type) / timedelta(days=1)
                return TEMPLATES.TemplateResponse(request, "confirm.html", context)
            if action == "forget":
                await blocking(service.forget, memory_id)
            elif action == "permanent":
                await blocking(service.renew, memory_id, None, None, True)
            else:
                await blocking(service.renew, memory_id, views.parse_days(days), None, False)
        except InvalidRequest as exc:
            return await page(request, service, cookie, error=str(exc), status=400)
        back = urlencode({"done": action, "id": memory_id, **views.Filters.read(form).query()})  # ids, never text
        return RedirectResponse(f"{request.url_for('index')}?{back}", status_code=303)

    async def health(request: Request) -> Response:
        return JSONResponse({"view": NAME, "key": config.key})

    async def launch(request: Request) -> Response:
        """A new sign-in link, for another server process on this computer that holds the secret (memory-view.json)."""
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        loopback = request.client is not None and is_loopback(request.client.host)
        if config.launch_secret is None or not loopback or not hmac.compare_digest(given, config.launch_secret):
            return JSONResponse({"error": "not allowed"}, status_code=403)
        token = access.mint(config.service.user_id)
        return JSONResponse({"url": f"{request.url_for('index')}?token={token}"})

    async def unavailable(request: Request, exc: Exception) -> Response:
        return TEMPLATES.TemplateResponse(request, "problem.html", {"message": str(exc)}, status_code=503)

    async def problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return TEMPLATES.TemplateResponse(request, "problem.html", {"message": exc.detail}, status_code=exc.status_code)

    routes = [
        Route("/", index, methods=["GET"], name="index"),
        Route("/signin", signin_form, methods=["POST"], name="signin"),
        Route("/signout", signout, methods=["POST"], name="signout"),
        Route("/search", search, methods=["POST"], name="search"),
        Route("/memories/{memory_id}/{action}", act, methods=["POST"], name="act"),
        Route("/forgotten", learned_pages.forgotten, methods=["GET"], name="forgotten"),
        Route("/advice", learned_pages.advice, methods=["GET"], name="advice"),
        Route("/health", health, methods=["GET"]),
        Route("/launch", launch, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={Unavailable: unavailable, HTTPException: problem})
    app.add_middleware(Guard, hosts=config.hosts)
    return app


def cookie_path(request: Request) -> str:
    return request.scope.get("root_path", "") or "/"


async def outcome(action: str, memory_id: str, service: MemoryService, zone: ZoneInfo) -> str:
    """What an action did, said once the page is back."""
    if action == "forget":
        return "Forgotten for good: it is gone from this page and from recall."
    try:
        memory = await anyio.to_thread.run_sync(service.get, memory_id)
    except InvalidRequest:
        return "Done."
    if memory.expires_at is None:
        return f"“{views.snippet(memory.content)}” is now permanent."
    when = views.local(memory.expires_at, zone)
    return f"Renewed “{views.snippet(memory.content)}”: it now expires {memory.expires_in} ({when})."


def health_key(token: str) -> str:
    return hashlib.sha256(f"{NAME}\0{token}".encode()).hexdigest()[:32]
