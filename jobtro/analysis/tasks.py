"""Analyses requested from the web, computed by the task worker (Django's tasks API; `jobtro db_worker`):
the result row shows the step and progress while it runs, and the message if it fails."""

from __future__ import annotations

from django.urls import reverse
from django_tasks import task

from jobtro.analysis.models import AnalysisResult
from jobtro.analysis.runs import execute
from jobtro.audit.context import SYSTEM, Actor, acting_as


@task()
def run_analysis(result_id: int) -> str:
    """Compute a queued analysis as the person who requested it; returns the result's final state."""
    result = AnalysisResult.objects.select_related("requested_by").get(pk=result_id)
    if result.is_finished:  # enqueued twice, or run again by hand: the first run has said everything
        return str(result.state)
    user = result.requested_by
    actor = (
        SYSTEM
        if user is None
        else Actor(
            id=user.pk, label=user.get_username(), via="task",
            path=reverse("insight:analysis_detail", args=[result.pk])[:300],
        )
    )  # fmt: skip
    with acting_as(actor):
        done = execute(result.pk)
    return str(done.state)
