"""Running and storing analyses: every result keeps the fingerprint of the data it read, its specification
and the software versions, so a page shows it again without refitting and says when it is out of date.

Each analysis is a ``compute(project, spec, progress) -> dict`` function named in :data:`COMPUTE`; it
reads the database (through jobtro.analysis.dataset and its own modules), fits models from jobtro.stats
and returns JSON-serialisable numbers. It raises :class:`AnalysisError` with a message for the user
when the data cannot support the analysis; that is stored as a failed result with the message.

:func:`run_now` computes at once (the demo, tests, ``jobtro run-analyses``); :func:`request` stores a
queued result that the task worker computes (jobtro.analysis.tasks), its progress written as it goes.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import math
import platform
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.utils import timezone

from jobtro.analysis.models import AnalysisResult
from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.organisation.models import Project, Staff

logger = logging.getLogger(__name__)

COMPUTE: dict[str, str] = {
    "bip": "jobtro.analysis.bip_live:compute",
    "belief": "jobtro.analysis.belief_live:compute",
    "drivers": "jobtro.analysis.drivers:compute",
    "calibration": "jobtro.analysis.calibration_live:compute",
}

Progress = Callable[[str, float], None]
Compute = Callable[[Project, dict[str, Any], Progress], dict[str, Any]]

# Kept out of a stored error message: an exception may quote a value (a CPR number) of the data.
_CPR_LIKE = re.compile(r"\d{6}-?\d{4}")
_PACKAGES = ("jobtro", "numpy", "polars", "scipy", "statsmodels")


class AnalysisError(Exception):
    """The data cannot support the analysis (e.g. no outcomes yet); the message is shown to the user."""


def compute_function(kind: str) -> Compute | None:
    """The kind's compute function, or None when its module is not there (yet) or the kind is unknown."""
    target = COMPUTE.get(kind)
    if target is None:
        return None
    module_name, _, name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise  # the module is there but broken (a missing dependency): that is a bug, not "not available"
        return None
    function: Compute | None = getattr(module, name, None)
    return function


def available_kinds() -> list[str]:
    """The kinds whose compute module can be imported, in :data:`COMPUTE` order."""
    return [kind for kind in COMPUTE if compute_function(kind) is not None]


# --------------------------------------------------------------------------------------------------
# What the analyses read: the fingerprint


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def data_fingerprint(project: Project) -> tuple[str, dict[str, Any]]:
    """SHA-256 over a canonical JSON of what the analyses read, and that JSON's content (readable: counts
    and latest ids). Any new answer, assignment, citizen, focus area choice, outcome import or spell
    build changes it; a few aggregate queries, cheap enough for every page that shows a result."""
    from jobtro.collaboration.models import FocusAreaChoice
    from jobtro.measurement.models import Answer, CaseworkerAssignment, Citizen
    from jobtro.outcomes.models import OutcomeImport, SpellBuild

    build = SpellBuild.objects.filter(project=project).order_by("-built_at", "-pk").values("pk", "built_at").first()
    answers = Answer.objects.filter(wave__project=project).aggregate(
        count=Count("pk"), max_id=Max("pk"), max_received=Max("received_at")
    )
    codes = list(project.participations.values_list("municipality_id", flat=True))
    citizens = Citizen.objects.filter(municipality_id__in=codes)
    assignments = CaseworkerAssignment.objects.filter(citizen__municipality_id__in=codes).aggregate(
        count=Count("pk"),
        ended=Count("pk", filter=Q(end__isnull=False)),
        max_id=Max("pk"),
        max_start=Max("start"),
        max_end=Max("end"),
        min_start=Min("start"),
    )
    # Prior weeks on benefit may arrive later for existing citizens (a caseload import with the column).
    people = citizens.aggregate(count=Count("pk"), max_id=Max("pk"), prior_weeks=Sum("prior_weeks_on_benefit"))
    choices = [
        [pk, _iso(start), _iso(end)]
        for pk, start, end in FocusAreaChoice.objects.filter(project=project)
        .order_by("pk")
        .values_list("pk", "start", "end")
    ]
    imports = list(OutcomeImport.objects.filter(store__project=project).order_by("pk").values_list("pk", flat=True))
    inputs: dict[str, Any] = {
        "spell_build": None if build is None else {"id": build["pk"], "built_at": _iso(build["built_at"])},
        "answers": {
            "count": answers["count"],
            "max_id": answers["max_id"],
            "max_received_at": _iso(answers["max_received"]),
        },
        "assignments": {
            "count": assignments["count"],
            "ended": assignments["ended"],
            "max_id": assignments["max_id"],
            "min_start": _iso(assignments["min_start"]),
            "max_start": _iso(assignments["max_start"]),
            "max_end": _iso(assignments["max_end"]),
        },
        "citizens": {"count": people["count"], "max_id": people["max_id"], "prior_weeks": people["prior_weeks"]},
        "focus_area_choices": choices,
        "outcome_imports": imports,
    }
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest(), inputs


def software_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "?"
    return versions


# --------------------------------------------------------------------------------------------------
# Reading stored results


def latest(project: Project, kind: str) -> AnalysisResult | None:
    """The newest finished (done) result of the kind for the project."""
    return (
        AnalysisResult.objects.filter(project=project, kind=kind, state=AnalysisResult.State.DONE)
        .order_by("-finished", "-pk")
        .first()
    )


def is_stale(result: AnalysisResult, *, fingerprint: str | None = None) -> bool:
    """Whether the data have changed since the result was computed (its fingerprint is not the current
    one). Pass ``fingerprint`` when checking several results of one project."""
    current = fingerprint if fingerprint is not None else data_fingerprint(result.project)[0]
    return result.fingerprint != current


# --------------------------------------------------------------------------------------------------
# Running


def _check_kind(kind: str) -> None:
    if kind not in COMPUTE:
        raise ValueError(f"unknown analysis {kind!r}; expected one of {', '.join(COMPUTE)}")


def _create(project: Project, kind: str, spec: dict[str, Any] | None, user: Staff | None) -> AnalysisResult:
    _check_kind(kind)
    fingerprint, inputs = data_fingerprint(project)
    result = AnalysisResult.objects.create(
        project=project,
        kind=kind,
        spec=dict(spec or {}),
        fingerprint=fingerprint,
        inputs=inputs,
        versions=software_versions(),
        requested_by=user,
    )
    record(AuditEvent.Action.CREATE, result, detail={"kind": kind, "spec": result.spec, "requested": True})
    return result


def reporter(result_id: int) -> Progress:
    """A progress callback writing the step and the fraction done to the result's row: one cheap UPDATE."""

    def report(step: str, fraction: float) -> None:
        AnalysisResult.objects.filter(pk=result_id).update(step=step[:40], progress=min(1.0, max(0.0, fraction)))

    return report


def _clean(value: Any) -> Any:
    """JSON-safe: non-finite floats become None (JSON has no NaN), numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _message(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, AnalysisError) else f"{type(exc).__name__}: {exc}"
    return _CPR_LIKE.sub("[CPR]", text)[:2000]


def execute(result_id: int) -> AnalysisResult:
    """Compute a stored (queued) result and store what came of it; never raises for the analysis' own
    failure (the message is stored). Run again on a finished result, it changes nothing."""
    result = AnalysisResult.objects.select_related("project").get(pk=result_id)
    if result.is_finished:
        return result
    # The fingerprint of the data actually read: taken when the computation starts, not when requested.
    fingerprint, inputs = data_fingerprint(result.project)
    started = timezone.now()
    AnalysisResult.objects.filter(pk=result.pk).update(
        state=AnalysisResult.State.RUNNING, step="", progress=0.0, started=started, fingerprint=fingerprint,
        inputs=inputs, versions=software_versions(),
    )  # fmt: skip
    clock = time.perf_counter()
    compute = compute_function(result.kind)
    try:
        if compute is None:
            raise AnalysisError(f"the analysis {result.kind!r} is not available in this installation")
        data = _clean(compute(result.project, dict(result.spec), reporter(result.pk)))
        json.dumps(data, allow_nan=False)  # fails here, not in the database, if something is not JSON
    except Exception as exc:
        if not isinstance(exc, AnalysisError):
            logger.exception("analysis %s (result %s) failed", result.kind, result.pk)
        AnalysisResult.objects.filter(pk=result.pk).update(
            state=AnalysisResult.State.FAILED, error=_message(exc), finished=timezone.now(),
            seconds=time.perf_counter() - clock,
        )  # fmt: skip
    else:
        AnalysisResult.objects.filter(pk=result.pk).update(
            state=AnalysisResult.State.DONE, result=data, step="", progress=1.0, error="", finished=timezone.now(),
            seconds=time.perf_counter() - clock,
        )  # fmt: skip
    result.refresh_from_db()
    record(
        AuditEvent.Action.UPDATE,
        result,
        detail={"kind": result.kind, "state": result.state, "seconds": round(result.seconds or 0.0, 2)},
    )
    return result


def run_now(
    project: Project, kind: str, *, spec: dict[str, Any] | None = None, user: Staff | None = None
) -> AnalysisResult:
    """Compute the analysis synchronously and store the result (done or failed with its message)."""
    return execute(_create(project, kind, spec, user).pk)


# A run longer than this, or a request the worker has not taken up by then, has lost its worker (the
# largest analysis takes minutes on the collaboration's data; the worker may be down over a weekend).
RUNNING_TOO_LONG = timedelta(hours=6)
QUEUED_TOO_LONG = timedelta(days=3)
STOPPED_MESSAGE = "the task worker stopped before the analysis finished (or never took it up); run it again"


def sweep_stuck(*, now: datetime | None = None) -> int:
    """Fail the runs whose worker is gone, so their pages stop waiting and offer a new run (daily, from
    ``jobtro run-analyses``); returns how many were failed."""
    now = now or timezone.now()
    stuck = AnalysisResult.objects.filter(
        Q(state=AnalysisResult.State.RUNNING, started__lt=now - RUNNING_TOO_LONG)
        | Q(state=AnalysisResult.State.QUEUED, created__lt=now - QUEUED_TOO_LONG)
    )
    failed = 0
    for result in stuck:
        AnalysisResult.objects.filter(pk=result.pk).update(
            state=AnalysisResult.State.FAILED, error=STOPPED_MESSAGE, finished=now
        )
        record(AuditEvent.Action.UPDATE, result, detail={"kind": result.kind, "state": "failed", "swept": True})
        failed += 1
    return failed


def request(project: Project, kind: str, *, user: Staff | None, spec: dict[str, Any] | None = None) -> AnalysisResult:
    """Store a queued result and hand it to the task worker (``jobtro db_worker``)."""
    from jobtro.analysis.tasks import run_analysis

    result = _create(project, kind, spec, user)
    run_analysis.enqueue(result.pk)
    return result
