"""What the pages of the stored analyses (BIP, belief, drivers) share: the table of estimates they show
(templates/reports/_estimates_table.html) and the run state above the result - the newest stored result,
whether it is stale, a run in progress, a failed run and the run button.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from jobtro.analysis import runs
from jobtro.analysis.models import AnalysisResult
from jobtro.organisation import access
from jobtro.organisation.models import Project


@dataclass
class Row:
    heading: str
    cells: list[str]


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    note: str = ""


def run_context(user: access.AnyUser, project: Project, kind: str, *, researcher: bool) -> dict[str, Any]:
    """The page's context above the result: the newest finished result (``stored``) and whether it is
    ``stale``; for researchers a queued or running run (``pending``) and the newest failed run when it is
    newer than the stored result (``failed``); and ``run_url`` when the user may start the analysis."""
    stored = runs.latest(project, kind)
    pending = failed = None
    if researcher:
        pending = AnalysisResult.objects.filter(
            project=project, kind=kind, state__in=[AnalysisResult.State.QUEUED, AnalysisResult.State.RUNNING]
        ).first()
        failed = (
            AnalysisResult.objects.filter(project=project, kind=kind, state=AnalysisResult.State.FAILED)
            .order_by("-created", "-pk")
            .first()
        )
        if failed is not None and stored is not None and failed.created < stored.created:
            failed = None
    can_run = access.can_run_analyses(user) and kind in runs.available_kinds()
    return {
        "stored": stored,
        "stale": stored is not None and runs.is_stale(stored),
        "pending": pending,
        "failed": failed,
        "run_url": reverse("insight:analysis_run", kwargs={"kind": kind}) if can_run else None,
    }
