"""The organisation: municipalities, their units (job centre, department, team), staff and their
roles, and the collaboration project with its participating municipalities."""

from __future__ import annotations

import calendar
from datetime import date

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Municipality(models.Model):
    """One of the 98 municipalities; the code is the register's 4-digit, zero-padded form."""

    code = models.CharField(_("code"), max_length=4, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    region_code = models.CharField(_("region code"), max_length=4)
    region = models.CharField(_("region"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A job centre, department or team; units form a tree within one municipality."""

    class Kind(models.TextChoices):
        JOB_CENTRE = "jobcentre", _("Job centre")
        DEPARTMENT = "department", _("Department")
        TEAM = "team", _("Team")

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="units", verbose_name=_("municipality")
    )
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["municipality__name", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["municipality", "parent", "name"], name="unit_unique_name_in_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.municipality.name})"

    # Depth order of the kinds: a child is never of a higher kind than its parent.
    _RANK = {Kind.JOB_CENTRE: 0, Kind.DEPARTMENT: 1, Kind.TEAM: 2}

    def clean(self) -> None:
        if self.parent_id is None:
            return
        parent = self.parent
        assert parent is not None
        if parent.municipality_id != self.municipality_id:
            raise ValidationError({"parent": _("The parent unit belongs to another municipality.")})
        if self._RANK[Unit.Kind(parent.kind)] > self._RANK[Unit.Kind(self.kind)]:
            raise ValidationError({"parent": _("A unit cannot sit under a unit of a lower kind.")})
        node: Unit | None = parent
        while node is not None:
            if node.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": _("A unit cannot be its own ancestor.")})
            node = node.parent

    def ancestors(self) -> list[Unit]:
        chain: list[Unit] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class Role(models.TextChoices):
    CASEWORKER = "caseworker", _("Caseworker")
    KEY_PERSON = "key_person", _("Key person")
    TEAM_LEADER = "team_leader", _("Team leader")
    DATA_MANAGER = "data_manager", _("Municipal data manager")
    RESEARCHER = "researcher", _("Researcher")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that always belong to one municipality; the research centre's roles belong to none.
MUNICIPAL_ROLES = frozenset({Role.CASEWORKER, Role.KEY_PERSON, Role.TEAM_LEADER, Role.DATA_MANAGER})


class Staff(AbstractUser):
    """A person who logs in: municipal staff or the research centre's people.

    What they may do comes from their role memberships, never from Django's is_staff flag alone
    (which only opens the admin's login form; organisation.actions keeps it in step with the
    administrator role).
    """

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self, on: date | None = None) -> MembershipQuerySet:
        day = on or timezone.localdate()
        return self.filter(Q(start__lte=day), Q(end__isnull=True) | Q(end__gt=day))


class Membership(models.Model):
    """A staff member holds a role, in a municipality (and optionally a unit), for a period."""

    staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("staff member")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("municipality"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships", verbose_name=_("unit")
    )
    start = models.DateField(_("start"), default=timezone.localdate)
    end = models.DateField(
        _("end"), null=True, blank=True, help_text=_("First day without the role; empty while it lasts.")
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["staff", "role"]
        verbose_name = _("role membership")
        verbose_name_plural = _("role memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")), name="membership_end_after_start"
            ),
            models.CheckConstraint(
                condition=(
                    # A literal list: iterating the frozenset gives a hash-seed-dependent order,
                    # which would make the migration autodetector see a new constraint every run.
                    Q(role__in=["team_leader", "key_person", "data_manager", "caseworker"], municipality__isnull=False)
                    | Q(
                        role__in=[Role.RESEARCHER.value, Role.ADMINISTRATOR.value],
                        municipality__isnull=True,
                        unit__isnull=True,
                    )
                ),
                name="membership_scope_fits_role",
            ),
        ]

    def __str__(self) -> str:
        where = f" – {self.unit or self.municipality}" if self.municipality_id else ""
        return f"{self.staff}: {self.get_role_display()}{where}"

    def clean(self) -> None:
        if self.role in MUNICIPAL_ROLES and self.municipality_id is None:
            raise ValidationError({"municipality": _("This role belongs to a municipality.")})
        if self.role not in MUNICIPAL_ROLES and (self.municipality_id or self.unit_id):
            raise ValidationError({"municipality": _("This role belongs to the research centre, not a municipality.")})
        if self.unit_id and self.unit is not None and self.unit.municipality_id != self.municipality_id:
            raise ValidationError({"unit": _("The unit belongs to another municipality.")})


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clamped to the target month's length (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Project(models.Model):
    """The collaboration: a research centre and its municipalities over (by default) 24 months."""

    name = models.CharField(_("name"), max_length=200)
    start_date = models.DateField(_("start date"))
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), default=24)
    description = models.TextField(_("description"), blank=True)
    municipalities: models.ManyToManyField[Municipality, Participation] = models.ManyToManyField(
        Municipality, through="Participation", related_name="projects", verbose_name=_("municipalities")
    )

    class Meta:
        ordering = ["-start_date"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.name

    @property
    def end_date(self) -> date:
        """First day after the project (start + duration months, clamped to the month's length)."""
        return add_months(self.start_date, self.duration_months)

    def month_number(self, on: date | None = None) -> int | None:
        """1-based project month on a day, or None outside the project."""
        day = on or timezone.localdate()
        if day < self.start_date or day >= self.end_date:
            return None
        months = (day.year - self.start_date.year) * 12 + day.month - self.start_date.month
        # Month k+1 begins k months after the start, clamped as end_date is (31 Jan + 1 month = 28 Feb).
        if day < add_months(self.start_date, months):
            months -= 1
        return months + 1


def current_project() -> Project | None:
    """The project the pages and commands work on: the latest by start date (then by id), with its
    participating municipalities prefetched; None before one exists."""
    return Project.objects.prefetch_related("participations__municipality").order_by("-start_date", "-pk").first()


class Participation(models.Model):
    """A municipality takes part in a project from ``joined`` until (not including) ``left``."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="participations", verbose_name=_("project")
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="participations", verbose_name=_("municipality")
    )
    joined = models.DateField(_("joined"))
    left = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        ordering = ["municipality__name"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["project", "municipality"], name="participation_once_per_project"),
            models.CheckConstraint(
                condition=Q(left__isnull=True) | Q(left__gt=models.F("joined")), name="participation_left_after_joined"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality} i {self.project}"

    def is_active(self, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.joined <= day and (self.left is None or day < self.left)
