"""Citizens in the caseloads and who their caseworker is over time.

A citizen is known to the platform by a keyed pseudonym of their CPR number. The CPR number and name
are kept only encrypted, for the municipality's own staff to recognise the citizen; reading them
goes through :mod:`jobtro.measurement.identity`, which asks the access module and writes the audit log.
"""

from __future__ import annotations

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
