"""Who is acting, and from where, for the audit log: set per request by the middleware and per
command by the CLI, read by the signal handlers that log changes."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    id: int | None
    label: str
    via: str = "web"
    ip: str | None = None
    path: str = ""


SYSTEM = Actor(id=None, label="system", via="system")

_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("jobtro_audit_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)
