"""What every route of the view renders with: its Jinja2 templates, and the blocking service called off the loop."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from starlette.templating import Jinja2Templates

from . import views

HERE = Path(__file__).parent
T = TypeVar("T")
TEMPLATES = Jinja2Templates(directory=HERE / "templates")
TEMPLATES.env.filters.update(plural=views.plural)


async def blocking(method: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """A blocking service call, run in a worker thread."""
    return await anyio.to_thread.run_sync(partial(method, *args, **kwargs))
