"""Sets the audit actor for the duration of each request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from jobtro.audit.context import Actor, acting_as


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trivially forged unless a trusted proxy rewrites it,
    # and the production set-up (README) has the proxy set REMOTE_ADDR via gunicorn's --forwarded-allow-ips.
    return request.META.get("REMOTE_ADDR") or None


def actor_for(request: HttpRequest) -> Actor:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor(id=user.pk, label=user.get_username(), via="web", ip=client_ip(request), path=request.path[:300])
    return Actor(id=None, label="anonymous", via="web", ip=client_ip(request), path=request.path[:300])


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with acting_as(actor_for(request)):
            return self.get_response(request)
