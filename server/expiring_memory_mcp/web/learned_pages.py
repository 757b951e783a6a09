"""The view's pages of what use taught: each memory's recall count on the memory page, /forgotten (the ledger of
what was swept or forgotten) and /advice (each type's figures and the advice on its lifetime); or, where the backend
keeps none of it, why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from ..errors import Unavailable
from ..memories import MemoryService
from ..models import Usage
from . import learned, views
from .rendering import TEMPLATES, blocking
from .security import Access


@dataclass(frozen=True)
class LearnedPages:
    zone: ZoneInfo
    access: Access
    session: Callable[[Request], tuple[MemoryService, str] | None]  # the signed-in user's service and cookie
    signin: Callable[[Request], Response]  # the sign-in page, for a request without a session

    async def usage(self, service: MemoryService, ids: list[str]) -> tuple[dict[str, Usage] | None, str | None]:
        """The recall counts of the memories on the page, in one call; or None and why there are none."""
        if not service.settings.count_recalls:
            return None, learned.COUNTING_OFF
        try:
            return await blocking(service.usage, ids), None
        except Unavailable as exc:
            return None, not_kept(service, exc)

    async def forgotten(self, request: Request) -> Response:
        """The ledger of what was swept or forgotten: ids, types, times and counts (no text exists), newest first."""
        since = learned.since_key(request.query_params.get("since"))

        def read(service: MemoryService) -> dict[str, Any]:
            now = service.now()
            gone = service.forgotten(learned.since_of(since, now))
            window_start = now - timedelta(days=service.settings.forgotten_ledger_days)
            number = learned.page_number(request.query_params.get("page"))
            return {"start": max(gone.since, window_start), "ledger": learned.ledger_page(gone.entries, number)}

        return await self._page(request, "forgotten.html", read, since=since)

    async def advice(self, request: Request) -> Response:
        """Per memory type, the figures of how its memories were used and the advice on its lifetime."""
        return await self._page(request, "advice.html", lambda service: {"insights": service.insights()})

    async def _page(
        self, request: Request, template: str, read: Callable[[MemoryService], dict[str, Any]], **shown: Any
    ) -> Response:
        """The Forgotten or the Tier advice page: what `read` finds, or where the backend keeps none, why."""
        found = self.session(request)
        if found is None:
            return self.signin(request)
        service, cookie = found
        context = {"now": service.now(), "zone": self.zone, "csrf": self.access.csrf(cookie), "local": views.local}
        context |= {**shown, "ago": views.ago, "learned": learned, "missing": None}
        try:
            context |= await blocking(read, service)
        except Unavailable as exc:
            context["missing"] = not_kept(service, exc)
        return TEMPLATES.TemplateResponse(request, template, context)


def not_kept(service: MemoryService, exc: Unavailable) -> str:
    """Why a backend keeps no counts and no ledger; an outage of the embedded one is raised as any other."""
    backend = service.settings.chosen_backend()
    if backend == "embedded":
        raise exc
    return learned.not_kept(backend)
