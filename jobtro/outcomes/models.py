"""What happens to the citizens: register outcomes (weekly status, job/education events) as imported,
the project's status-code mapping, and the time-to-job spells built from them.

The register data themselves are columnar: a national weekly panel has 31 million person-weeks, far
too many for one database row each. Each :class:`OutcomeStore` holds one scope's data as compact
Parquet (see :class:`jobtro.lib.outcome_files.Panel`) in the database, so an import commits its data,
its :class:`OutcomeImport` record and its audit event in one transaction - all or nothing - and the
data are backed up, replicated and access-controlled with everything else.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jobtro.lib.status_codes import CATEGORIES
from jobtro.organisation.models import Municipality, Project, Staff


class Kind(models.TextChoices):
    STATUS = "status", _("weekly status")
    EVENTS = "events", _("job and education events")


class StatusCodeOverride(models.Model):
    """A project's own category for a status code, on top of the documented defaults
    (jobtro.lib.status_codes.DEFAULT_MAPPING)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="status_codes")
    code = models.CharField(_("status code"), max_length=100)
    category = models.CharField(_("category"), max_length=30, choices=[(c, c) for c in CATEGORIES])

    class Meta:
        ordering = ["code"]
        verbose_name = _("status code mapping")
        verbose_name_plural = _("status code mappings")
        constraints = [models.UniqueConstraint(fields=["project", "code"], name="status_code_once_per_project")]

    def __str__(self) -> str:
        return f"{self.code} → {self.category}"


class OutcomeStore(models.Model):
    """One scope's outcome data: a municipality's (uploaded by its data manager) or, with no
    municipality, the project's national register extract (imported from the command line)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="outcome_stores")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("municipality")
    )
    # Status: Panel.to_parquet() (persons, frame) and Panel.codes. Events: the event frame as Parquet.
    persons_parquet = models.BinaryField(default=b"", editable=False)
    data_parquet = models.BinaryField(default=b"", editable=False)
    codes = models.JSONField(default=list, editable=False)
    rows = models.BigIntegerField(_("rows"), default=0)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    first_week = models.IntegerField(null=True, blank=True)
    last_week = models.IntegerField(null=True, blank=True)
    covers_until = models.DateField(_("data cover until"), null=True, blank=True)  # events: end of data
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("outcome data")
        verbose_name_plural = _("outcome data")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "kind", "municipality"],
                condition=Q(municipality__isnull=False),
                name="outcome_store_once_per_municipality",
            ),
            models.UniqueConstraint(
                fields=["project", "kind"], condition=Q(municipality__isnull=True), name="outcome_store_once_national"
            ),
        ]

    def __str__(self) -> str:
        where = self.municipality.name if self.municipality is not None else _("national register")
        return f"{self.get_kind_display()} · {where}"


class OutcomeImport(models.Model):
    """One imported file: what it held and what it changed. A file whose fingerprint (SHA-256 of its
    bytes) is already recorded for the store is not imported again."""

    store = models.ForeignKey(OutcomeStore, on_delete=models.PROTECT, related_name="imports")
    fingerprint = models.CharField(_("fingerprint (SHA-256)"), max_length=64)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    file_format = models.CharField(_("format"), max_length=10)
    identified_by = models.CharField(_("persons identified by"), max_length=10)
    rows = models.BigIntegerField(_("rows"))
    persons = models.PositiveIntegerField(_("persons"))
    first_week = models.IntegerField(null=True, blank=True)
    last_week = models.IntegerField(null=True, blank=True)
    added = models.BigIntegerField(_("added"))
    changed = models.BigIntegerField(_("changed"))
    unchanged = models.BigIntegerField(_("unchanged"))
    covers_from = models.DateField(null=True, blank=True)  # events
    covers_until = models.DateField(null=True, blank=True)  # events
    imported_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    imported_via = models.CharField(max_length=10)  # "web" or "cli"
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        verbose_name = _("outcome import")
        verbose_name_plural = _("outcome imports")
        constraints = [models.UniqueConstraint(fields=["store", "fingerprint"], name="outcome_file_imported_once")]

    def __str__(self) -> str:
        return f"{self.file_name or self.fingerprint[:12]} ({self.imported_at:%Y-%m-%d %H:%M})"


class ImportJob(models.Model):
    """A web upload being imported by the task worker: its progress while it runs, and every problem
    or the resulting import when it ends. The uploaded bytes are dropped when the job ends (they may
    hold CPR numbers, and the import keeps only pseudonyms)."""

    class State(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        FAILED = "failed", _("stopped with problems")
        DONE = "done", _("imported")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    upload = models.BinaryField(default=b"", editable=False)
    covers_from = models.DateField(null=True, blank=True)
    covers_until = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    step = models.CharField(max_length=20, blank=True)
    progress = models.FloatField(default=0.0)  # 0..1
    problem_count = models.BigIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)  # the first MAX_SHOWN problems, for the page
    problems_csv = models.BinaryField(default=b"", editable=False)  # every problem, gzip-compressed CSV
    message = models.TextField(blank=True)
    result = models.ForeignKey(OutcomeImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    noop = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.FAILED, self.State.DONE)


class SpellBuild(models.Model):
    """The spells of every belief measurement and their counting-process form, as built from the
    outcome data at one moment with one definition (k of n weeks, horizon). Analyses use the latest."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="spell_builds")
    k = models.PositiveSmallIntegerField(_("weeks in job (k)"), default=1)
    n = models.PositiveSmallIntegerField(_("of consecutive weeks (n)"), default=1)
    horizon_weeks = models.PositiveSmallIntegerField(_("horizon (weeks)"), default=52)
    measurements = models.PositiveIntegerField(_("measurements"), default=0)
    with_outcome = models.PositiveIntegerField(_("with outcome data"), default=0)
    events = models.PositiveIntegerField(_("events"), default=0)
    persons = models.PositiveIntegerField(_("persons"), default=0)
    caseworker_changes = models.PositiveIntegerField(_("caseworker changes"), default=0)
    counting_rows = models.PositiveIntegerField(_("counting-process rows"), default=0)
    spells_parquet = models.BinaryField(default=b"", editable=False)
    counting_parquet = models.BinaryField(default=b"", editable=False)
    sources = models.JSONField(default=list, editable=False)  # OutcomeImport ids the build saw
    built_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    built_at = models.DateTimeField(_("built"), auto_now_add=True)

    class Meta:
        ordering = ["-built_at", "-pk"]
        verbose_name = _("spell build")
        verbose_name_plural = _("spell builds")

    def __str__(self) -> str:
        return f"{self.project} · {self.built_at:%Y-%m-%d %H:%M} · {self.k}/{self.n}, {self.horizon_weeks}"
