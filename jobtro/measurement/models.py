"""Citizens in the caseloads and who their caseworker is over time.

A citizen is known to the platform by a keyed pseudonym of their CPR number. The CPR number and name
are kept only encrypted, for the municipality's own staff to recognise the citizen; reading them
goes through :mod:`jobtro.measurement.identity`, which asks the access module and writes the audit log.
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jobtro.organisation.models import Municipality, Staff


class Citizen(models.Model):
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="citizens", verbose_name=_("municipality")
    )
    pseudonym = models.CharField(_("pseudonym"), max_length=32, unique=True)
    # Fernet tokens with a key-id prefix (jobtro.lib.encryption); never shown outside identity.py.
    cpr_encrypted = models.TextField(editable=False)
    name_encrypted = models.TextField(editable=False)
    # Coarse, non-identifying facts researchers may analyse (derived from the CPR number on the way in).
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    female = models.BooleanField(_("female"))
    target_group = models.CharField(_("target group"), max_length=100, blank=True)
    course_start = models.DateField(_("course start"), null=True, blank=True)
    # Weeks on benefit before the project (benefit seniority, from the case system or the register): a
    # control in the BIP analysis, since caseworkers believe less in citizens who have waited longer.
    prior_weeks_on_benefit = models.PositiveIntegerField(_("prior weeks on benefit"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["pseudonym"]
        verbose_name = _("citizen")
        verbose_name_plural = _("citizens")

    def __str__(self) -> str:
        # Never the name or CPR number: this string reaches logs, the admin and the audit log.
        return self.pseudonym


class CaseworkerAssignmentQuerySet(models.QuerySet["CaseworkerAssignment"]):
    def current(self) -> CaseworkerAssignmentQuerySet:
        return self.filter(end__isnull=True)


class CaseworkerAssignment(models.Model):
    """Who is the citizen's caseworker from ``start`` until (not including) ``end``.

    A new row for the same citizen is a caseworker change.
    """

    citizen = models.ForeignKey(
        Citizen, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("citizen")
    )
    caseworker = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="caseload_assignments", verbose_name=_("caseworker")
    )
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)

    objects = CaseworkerAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["citizen", "start"]
        verbose_name = _("caseworker assignment")
        verbose_name_plural = _("caseworker assignments")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")), name="assignment_end_after_start"
            ),
            # At most one current caseworker per citizen.
            models.UniqueConstraint(fields=["citizen"], condition=Q(end__isnull=True), name="assignment_one_current"),
        ]

    def __str__(self) -> str:
        return f"{self.citizen} → {self.caseworker} ({self.start}–{self.end or ''})"


# --- The belief barometer: instruments, waves, frozen caseloads, invitations and answers ------------


class Instrument(models.Model):
    """A questionnaire whose wording lives in numbered versions; answers point at a version's items,
    so editing the wording (a new version) never changes what a past answer meant."""

    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")

    def __str__(self) -> str:
        return self.name

    def latest_version(self) -> InstrumentVersion | None:
        return self.versions.order_by("-number").first()


class InstrumentVersion(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    note = models.TextField(_("what changed"), blank=True)

    class Meta:
        ordering = ["instrument", "number"]
        verbose_name = _("instrument version")
        verbose_name_plural = _("instrument versions")
        constraints = [models.UniqueConstraint(fields=["instrument", "number"], name="instrumentversion_unique_number")]

    def __str__(self) -> str:
        return f"{self.instrument} v{self.number}"


class Item(models.Model):
    """One question in one instrument version. ``key`` is the variable name, stable across versions."""

    class Scope(models.TextChoices):
        SPECIFIC = "specific", _("Specific belief (per citizen)")
        GENERAL = "general", _("General belief (per caseworker)")
        # What may shape belief (issue 7): answered by each caseworker each wave beside the general items.
        # A staff item's theme is its key's prefix (instrument_defaults.theme_of), so it survives edits.
        STAFF = "staff", _("Staff questionnaire (per caseworker)")

    class Kind(models.TextChoices):
        SCALE = "scale", _("Five-point scale with 'don't know'")
        PERCENT = "percent", _("Percentage 0-100")
        YES_NO = "yes_no", _("Yes or no")
        AGREE5 = "agree5", _("Five-point agreement with 'don't know'")
        CHOICE = "choice", _("One of the answer options")

    version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="items")
    key = models.SlugField(_("variable name"), max_length=40)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    kind = models.CharField(_("answer type"), max_length=10, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text_da = models.TextField(_("wording (Danish)"))
    text_en = models.TextField(_("wording (English)"))
    # [{"value": 5, "label_da": "Ja, helt sikkert", "label_en": "Yes, certainly"}, ...]; "don't know"
    # is not an option value: it is stored as dont_know with no value (missing, not a scale point).
    options = models.JSONField(_("answer options"), default=list, blank=True)

    class Meta:
        ordering = ["version", "position"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="item_unique_key_in_version")]

    def __str__(self) -> str:
        return f"{self.key} ({self.version})"

    @property
    def has_dont_know(self) -> bool:
        """Whether "don't know" is an answer (missing, not a point on the scale)."""
        return self.kind in (Item.Kind.SCALE, Item.Kind.AGREE5)

    def allowed_values(self) -> range | set[int]:
        if self.kind == Item.Kind.PERCENT:
            return range(0, 101)
        return {int(o["value"]) for o in self.options}


class Wave(models.Model):
    """One round of measurement. Opening it freezes every caseworker's caseload for it."""

    project = models.ForeignKey("organisation.Project", on_delete=models.PROTECT, related_name="waves")
    number = models.PositiveSmallIntegerField(_("number"))  # 0 = baseline
    name = models.CharField(_("name"), max_length=100)
    opens_on = models.DateField(_("opens"))
    closes_on = models.DateField(_("closes"), help_text=_("Last day answers are accepted."))
    instrument_version = models.ForeignKey(InstrumentVersion, on_delete=models.PROTECT, related_name="waves")
    # Days before closing on which a reminder goes to caseworkers who have not finished.
    reminder_days = models.JSONField(_("reminders (days before closing)"), default=list, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="wave_unique_number"),
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="wave_closes_after_opening"),
        ]

    def __str__(self) -> str:
        return self.name

    def accepts_answers(self, on: date) -> bool:
        return self.opened_at is not None and self.opens_on <= on <= self.closes_on


class WaveCaseload(models.Model):
    """A citizen in a caseworker's caseload as frozen when the wave opened."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="caseload")
    caseworker = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="wave_caseloads")
    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, related_name="wave_caseloads")

    class Meta:
        verbose_name = _("frozen caseload entry")
        verbose_name_plural = _("frozen caseloads")
        constraints = [models.UniqueConstraint(fields=["wave", "citizen"], name="wavecaseload_one_caseworker")]
        indexes = [models.Index(fields=["wave", "caseworker"])]

    def __str__(self) -> str:
        return f"{self.wave}: {self.citizen} → {self.caseworker}"


class Invitation(models.Model):
    """A caseworker's invitation to a wave. The e-mailed link carries a single-use token whose
    SHA-256 digest is stored (never the token): it logs the caseworker in once."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    caseworker = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="invitations")
    token_digest = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    used_at = models.DateTimeField(_("link used"), null=True, blank=True)
    reminders_sent = models.JSONField(_("reminders sent"), default=list, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        constraints = [models.UniqueConstraint(fields=["wave", "caseworker"], name="invitation_once_per_wave")]

    def __str__(self) -> str:
        return f"{self.wave}: {self.caseworker}"


class Answer(models.Model):
    """One answer as submitted: the history is kept, the latest per (wave, item, caseworker, citizen)
    received before the wave closed is the answer. ``request_id`` is the client's idempotency key, so a
    repeated request (double click, retry after a lost connection) is stored exactly once."""

    wave = models.ForeignKey(Wave, on_delete=models.PROTECT, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="answers")
    caseworker = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="answers")
    citizen = models.ForeignKey(Citizen, on_delete=models.PROTECT, null=True, blank=True, related_name="answers")
    value = models.SmallIntegerField(_("value"), null=True, blank=True)
    dont_know = models.BooleanField(_("don't know"), default=False)
    request_id = models.UUIDField(unique=True)
    received_at = models.DateTimeField(_("received"), db_index=True)

    class Meta:
        ordering = ["wave", "id"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [
            models.CheckConstraint(
                condition=Q(dont_know=True, value__isnull=True) | Q(dont_know=False, value__isnull=False),
                name="answer_value_or_dont_know",
            ),
        ]
        indexes = [models.Index(fields=["wave", "caseworker", "item"])]

    def __str__(self) -> str:
        return f"{self.wave} {self.item.key} {self.citizen or ''}: {'?' if self.dont_know else self.value}"
