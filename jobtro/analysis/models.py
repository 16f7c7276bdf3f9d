"""Stored analyses: each result with the fingerprint of the data it read, its specification and the
software versions, so a page can show it again without refitting and say when it is out of date."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from jobtro.organisation.models import Project, Staff


class AnalysisResult(models.Model):
    """One run of one analysis over one project's data (see jobtro.analysis.runs)."""

    class Kind(models.TextChoices):
        BIP = "bip", _("Belief and time to job (BIP)")
        BELIEF = "belief", _("Has belief moved?")
        DRIVERS = "drivers", _("What shapes belief?")
        CALIBRATION = "calibration", _("Expectations and outcomes (calibration)")

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="analysis_results")
    kind = models.CharField(_("analysis"), max_length=20, choices=Kind.choices)
    spec = models.JSONField(_("specification"), default=dict, blank=True)
    fingerprint = models.CharField(_("data fingerprint (SHA-256)"), max_length=64)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)  # what the fingerprint covered
    versions = models.JSONField(_("software versions"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    step = models.CharField(_("step"), max_length=40, blank=True)
    progress = models.FloatField(_("progress"), default=0.0)  # 0..1
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("requested by")
    )
    created = models.DateTimeField(_("requested"), auto_now_add=True)
    started = models.DateTimeField(_("started"), null=True, blank=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("analysis result")
        verbose_name_plural = _("analysis results")
        indexes = [models.Index(fields=["project", "kind", "state"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created:%Y-%m-%d %H:%M} · {self.get_state_display()}"

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
