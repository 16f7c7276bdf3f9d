"""The collaboration itself (issue 6): focus areas and what each municipality chose when, its local
initiatives, the two-year plan of meetings and visits with who was invited and came, the research
centre's shared costs and the fees they give, and the experience log.

The plan's dates come from :mod:`jobtro.lib.plan` (working days, the seed's rules); money and hours from
:mod:`jobtro.lib.costs`. Every change is audit-logged by the model signals (jobtro.audit).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jobtro.organisation.models import Municipality, Project, Staff, Unit


class FocusArea(models.Model):
    """One of the seed's focus areas (or one a researcher added), in Danish and English."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="focus_areas")
    key = models.SlugField(_("key"), max_length=60)
    name_da = models.CharField(_("name (Danish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_da = models.TextField(_("description (Danish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["project", "position", "pk"]
        verbose_name = _("focus area")
        verbose_name_plural = _("focus areas")
        constraints = [models.UniqueConstraint(fields=["project", "key"], name="focus_area_key_once")]

    def __str__(self) -> str:
        return self.name_da


class SubTopic(models.Model):
    focus_area = models.ForeignKey(FocusArea, on_delete=models.CASCADE, related_name="subtopics")
    text_da = models.CharField(_("sub-topic (Danish)"), max_length=300)
    text_en = models.CharField(_("sub-topic (English)"), max_length=300)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["focus_area", "position", "pk"]
        verbose_name = _("sub-topic")
        verbose_name_plural = _("sub-topics")

    def __str__(self) -> str:
        return self.text_da


class FocusAreaChoice(models.Model):
    """A municipality works on a focus area from ``start`` until (not including) ``end``; it may build on
    another municipality's experience with it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="focus_area_choices")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="focus_area_choices")
    focus_area = models.ForeignKey(FocusArea, on_delete=models.PROTECT, related_name="choices")
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    builds_on = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("builds on the experience of"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["municipality", "start"]
        verbose_name = _("focus area choice")
        verbose_name_plural = _("focus area choices")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")), name="choice_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} · {self.focus_area}"


class Initiative(models.Model):
    """A municipality's concrete local action (tiltag) under a focus area."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        STOPPED = "stopped", _("stopped")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="initiatives")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="initiatives")
    focus_area = models.ForeignKey(FocusArea, on_delete=models.PROTECT, related_name="initiatives")
    title = models.CharField(_("title"), max_length=200)
    what = models.TextField(_("what"))
    why = models.TextField(_("why"), blank=True)
    owner = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("owner")
    )
    teams = models.ManyToManyField(Unit, blank=True, related_name="initiatives", verbose_name=_("teams"))
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    expected_change = models.TextField(_("what they expect to change"), blank=True)
    what_happened = models.TextField(_("what happened"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["municipality", "start", "pk"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")

    def __str__(self) -> str:
        return self.title


class Activity(models.Model):
    """A meeting or visit of the plan: generated from the seed's rules or added by a researcher."""

    class Kind(models.TextChoices):
        STARTUP = "startup", _("start-up meeting")
        LOCAL = "local", _("local meeting")
        EXPERIENCE = "experience", _("experience meeting")
        RESEARCH_VISIT = "research_visit", _("research visit")
        OTHER = "other", _("other activity")

    class Format(models.TextChoices):
        FULL_DAY = "full_day", _("full day")
        HALF_DAY = "half_day", _("half day")

    class Venue(models.TextChoices):
        RESEARCH_CENTRE = "research_centre", _("the research centre")
        MUNICIPALITY = "municipality", _("a municipality")
        ONLINE = "online", _("online")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=10, choices=Format.choices)
    # The municipality an individual meeting or visit belongs to; none for a cross-municipal meeting.
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="activities"
    )
    title = models.CharField(_("title"), max_length=200)
    day = models.DateField(_("date"))
    starts = models.TimeField(_("starts"), null=True, blank=True)
    ends = models.TimeField(_("ends"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=20, choices=Venue.choices)
    venue_municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    agenda = models.TextField(_("agenda"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    generated = models.BooleanField(default=False, editable=False)  # made by the plan generator
    sequence = models.PositiveIntegerField(default=0, editable=False)  # iCalendar SEQUENCE: bumped when moved
    cancelled = models.BooleanField(_("cancelled"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day", "starts", "pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.title} ({self.day:%Y-%m-%d})"


class Participant(models.Model):
    """Someone invited to an activity, and whether they came (null until the meeting has been)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participants")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="activity_participations")
    # The municipality the person represents (a person may work for several over time).
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    km = models.DecimalField(
        _("transport (km)"), max_digits=7, decimal_places=1, default=Decimal(0), validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["activity", "staff"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["activity", "staff"], name="participant_once")]

    def __str__(self) -> str:
        return f"{self.staff} · {self.activity}"


class ExpertTalk(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="talks")
    expert = models.CharField(_("expert"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    topic = models.CharField(_("topic"), max_length=300)

    class Meta:
        ordering = ["activity", "pk"]
        verbose_name = _("expert talk")
        verbose_name_plural = _("expert talks")

    def __str__(self) -> str:
        return f"{self.expert}: {self.topic}"


class SharedCost(models.Model):
    """A cost the research centre carries for all (venue, catering, experts, materials), shared by fees."""

    class Category(models.TextChoices):
        VENUE = "venue", _("venue")
        CATERING = "catering", _("catering")
        EXPERTS = "experts", _("experts")
        MATERIALS = "materials", _("materials")
        OTHER = "other", _("other")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="shared_costs")
    category = models.CharField(_("category"), max_length=12, choices=Category.choices)
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(_("amount (DKK)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    day = models.DateField(_("date"))
    activity = models.ForeignKey(Activity, on_delete=models.SET_NULL, null=True, blank=True, related_name="costs")

    class Meta:
        ordering = ["day", "pk"]
        verbose_name = _("shared cost")
        verbose_name_plural = _("shared costs")

    def __str__(self) -> str:
        return f"{self.description}: {self.amount} kr."


class FeeRecord(models.Model):
    """The fee per municipality as computed at a moment (history: recomputed when a municipality joins or
    leaves, or the costs change)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="fee_records")
    computed_at = models.DateTimeField(_("computed"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200)
    total_costs = models.DecimalField(_("shared costs (DKK)"), max_digits=12, decimal_places=2)
    municipalities = models.JSONField(_("municipalities and their fees"), default=dict)

    class Meta:
        ordering = ["-computed_at", "-pk"]
        verbose_name = _("fee record")
        verbose_name_plural = _("fee records")

    def __str__(self) -> str:
        return f"{self.project} · {self.computed_at:%Y-%m-%d}: {self.reason}"


class ResourceRate(models.Model):
    """The project's rate for transport (DKK per km), configurable."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="resource_rate")
    km_rate = models.DecimalField(
        _("transport rate (DKK per km)"), max_digits=6, decimal_places=2, default=Decimal("3.79")
    )

    class Meta:
        verbose_name = _("resource rate")
        verbose_name_plural = _("resource rates")

    def __str__(self) -> str:
        return f"{self.project}: {self.km_rate} kr./km"


class LogSharing(models.Model):
    """Whether a municipality has opened its experience log to the project's other municipalities."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="log_sharing")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    open = models.BooleanField(_("open to the other municipalities"), default=False)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("experience log sharing")
        verbose_name_plural = _("experience log sharing")
        constraints = [models.UniqueConstraint(fields=["project", "municipality"], name="log_sharing_once")]

    def __str__(self) -> str:
        return f"{self.municipality}: {'open' if self.open else 'closed'}"


class Experience(models.Model):
    """An entry in a municipality's experience log, tied to a focus area or an initiative."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="experiences")
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="experiences")
    author = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="experiences")
    focus_area = models.ForeignKey(
        FocusArea, on_delete=models.PROTECT, null=True, blank=True, related_name="experiences"
    )
    initiative = models.ForeignKey(
        Initiative, on_delete=models.PROTECT, null=True, blank=True, related_name="experiences"
    )
    day = models.DateField(_("date"))
    text = models.TextField(_("experience"))
    # An attachment lives in the database, like the outcome data: access-checked by the view that serves
    # it, backed up with everything else, and no shared file storage is needed between web hosts.
    attachment_name = models.CharField(_("attachment"), max_length=255, blank=True)
    attachment_type = models.CharField(max_length=100, blank=True)
    attachment = models.BinaryField(default=b"", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day", "-pk"]
        verbose_name = _("experience")
        verbose_name_plural = _("experiences")
        constraints = [
            models.CheckConstraint(
                condition=Q(focus_area__isnull=False) | Q(initiative__isnull=False), name="experience_has_a_subject"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} · {self.day:%Y-%m-%d}"


class CalendarToken(models.Model):
    """The secret in a calendar feed's address (calendar clients cannot log in). Only its SHA-256 digest is
    kept: the address is shown once, when made; making a new one revokes the old. A token without a
    municipality is the person's own feed; with one, the municipality's feed (municipal staff)."""

    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="calendar_tokens")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("calendar subscription")
        verbose_name_plural = _("calendar subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["staff"], condition=Q(municipality__isnull=True), name="calendar_token_personal_once"
            ),
            models.UniqueConstraint(
                fields=["staff", "municipality"],
                condition=Q(municipality__isnull=False),
                name="calendar_token_municipal_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} · {self.municipality or 'personal'}"
