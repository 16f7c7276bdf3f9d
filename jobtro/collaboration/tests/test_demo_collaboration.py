"""The demo's collaboration half-way: a generated plan with past meetings attended and minuted, future ones
scheduled, focus areas chosen over time, initiatives, costs and fees, and experience logs."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from django.test import TestCase

from jobtro.collaboration.costs import resource_summary
from jobtro.collaboration.models import (
    Activity,
    Experience,
    ExpertTalk,
    FeeRecord,
    FocusArea,
    FocusAreaChoice,
    Initiative,
    LogSharing,
    Participant,
    SharedCost,
)
from jobtro.lib.plan import is_working_day
from jobtro.organisation.demo import load_demo
from jobtro.organisation.models import Staff

TODAY = date(2026, 11, 27)
CODES = {"0740", "0727", "0540", "0147"}


class DemoCollaborationTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.summary = load_demo(today=TODAY, analyses=())
        cls.project = cls.summary.project

    def test_the_plan_is_generated_and_half_way(self) -> None:
        generated = Activity.objects.filter(project=self.project, generated=True)
        self.assertEqual(
            Counter(generated.values_list("kind", flat=True)), {"startup": 4, "local": 12, "experience": 3}
        )
        self.assertTrue(all(is_working_day(a.day) for a in generated))
        self.assertEqual(Activity.objects.filter(project=self.project, kind="research_visit").count(), 4)
        past = generated.filter(day__lt=TODAY)
        future = generated.filter(day__gte=TODAY)
        self.assertEqual(past.filter(kind="startup").count(), 4)
        self.assertEqual(past.filter(kind="local").count(), 8)  # after 6 and 12 months in each
        self.assertEqual(future.filter(kind="local").count(), 4)  # after 18 months
        self.assertEqual(past.filter(kind="experience").count(), 2)
        self.assertEqual(future.filter(kind="experience").count(), 1)  # the closing meeting
        invited = Participant.objects.filter(activity__in=future)
        self.assertFalse(invited.filter(attended__isnull=False).exists())
        self.assertEqual(self.summary.counts["activities"], 23)

    def test_past_meetings_are_attended_and_minuted(self) -> None:
        for activity in Activity.objects.filter(project=self.project, day__lt=TODAY):
            with self.subTest(activity=activity.title):
                self.assertTrue(activity.minutes.strip())
                self.assertTrue(activity.agenda.strip())
                self.assertTrue(activity.participants.filter(attended=True, municipality__isnull=False).exists())
                self.assertFalse(activity.participants.filter(attended__isnull=True).exists())
        for activity in Activity.objects.filter(project=self.project, day__gte=TODAY):
            self.assertEqual(activity.minutes, "")
            self.assertFalse(activity.participants.filter(attended__isnull=False).exists())

    def test_experience_meetings_have_four_or_five_per_municipality_and_an_expert(self) -> None:
        for activity in Activity.objects.filter(project=self.project, kind="experience", day__lt=TODAY):
            invited = Counter(activity.participants.exclude(municipality=None).values_list("municipality", flat=True))
            self.assertEqual(set(invited), CODES)
            self.assertTrue(all(4 <= n <= 5 for n in invited.values()), invited)
            self.assertEqual(ExpertTalk.objects.filter(activity=activity).count(), 1)
            self.assertIn("oplæg", activity.minutes)

    def test_each_municipality_chose_areas_and_has_initiatives(self) -> None:
        self.assertEqual(FocusArea.objects.filter(project=self.project).count(), 4)
        for code in CODES:
            with self.subTest(code=code):
                self.assertTrue(FocusAreaChoice.objects.filter(project=self.project, municipality_id=code).exists())
                initiatives = Initiative.objects.filter(project=self.project, municipality_id=code)
                self.assertTrue(1 <= initiatives.count() <= 3)
                for initiative in initiatives:
                    self.assertIsNotNone(initiative.owner)
                    self.assertTrue(initiative.teams.exists())
                    self.assertTrue(all(t.municipality_id == code for t in initiative.teams.all()))
        # Odder switched area half-way; Frederiksberg builds on Silkeborg's experience.
        odder = list(FocusAreaChoice.objects.filter(municipality_id="0727").order_by("start"))
        self.assertEqual(len(odder), 2)
        self.assertEqual(odder[0].end, odder[1].start)
        self.assertTrue(FocusAreaChoice.objects.filter(municipality_id="0147", builds_on_id="0740").exists())
        self.assertTrue(Initiative.objects.filter(status=Initiative.Status.COMPLETED, municipality_id="0727").exists())

    def test_costs_fees_and_resource_use(self) -> None:
        self.assertTrue(SharedCost.objects.filter(project=self.project).exists())
        [fee] = FeeRecord.objects.filter(project=self.project)
        self.assertEqual(set(fee.municipalities), CODES)
        self.assertEqual(sum(Decimal(v) for v in fee.municipalities.values()), fee.total_costs)
        result = resource_summary(self.project)
        self.assertEqual(set(result.by_municipality), CODES)
        self.assertGreater(result.project.hours_total, 0)
        self.assertGreater(result.project.transport_cost, 0)

    def test_experience_logs_and_silkeborgs_is_open(self) -> None:
        self.assertTrue(Experience.objects.filter(project=self.project).exists())
        self.assertTrue(all(e.day < TODAY for e in Experience.objects.all()))
        self.assertEqual(
            dict(LogSharing.objects.filter(project=self.project).values_list("municipality_id", "open")),
            {"0740": True, "0727": False, "0540": False, "0147": False},
        )

    def test_the_extra_people_cannot_log_in(self) -> None:
        extra = Staff.objects.filter(username__startswith="demo-")
        self.assertTrue(extra.exists())
        self.assertFalse(any(s.has_usable_password() for s in extra))
        self.assertTrue(Participant.objects.filter(staff__in=extra).exists())
