"""apply_plan and add_municipality: the seed's plan as Activity rows, idempotent, respecting moved meetings."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, time, timedelta

from django.test import TestCase

from jobtro.audit.models import AuditEvent
from jobtro.collaboration.models import Activity
from jobtro.collaboration.planning import add_municipality, apply_plan
from jobtro.lib.plan import is_working_day
from jobtro.organisation.models import Municipality, Participation, Project

START = date(2025, 1, 6)
CODES = ("0740", "0727", "0540", "0147")


class PlanTestCase(TestCase):
    project: Project

    @classmethod
    def setUpTestData(cls) -> None:
        cls.project = Project.objects.create(name="Plan", start_date=START, duration_months=24)
        Participation.objects.bulk_create(
            Participation(project=cls.project, municipality_id=code, joined=START) for code in CODES
        )

    def kinds(self) -> Counter[str]:
        return Counter(Activity.objects.filter(project=self.project).values_list("kind", flat=True))

    def test_it_creates_the_seed_plan_for_four_municipalities(self) -> None:
        self.assertEqual(apply_plan(self.project), 19)
        self.assertEqual(self.kinds(), {"startup": 4, "local": 12, "experience": 3})
        activities = list(Activity.objects.filter(project=self.project))
        for activity in activities:
            with self.subTest(activity=activity.title):
                self.assertTrue(activity.generated)
                self.assertTrue(is_working_day(activity.day))
                self.assertTrue(START <= activity.day < self.project.end_date)
                self.assertEqual(activity.starts, time(9, 0))
                expected_end = time(12, 30) if activity.kind == Activity.Kind.LOCAL else time(15, 30)
                self.assertEqual(activity.ends, expected_end)
                if activity.kind == Activity.Kind.EXPERIENCE:
                    self.assertEqual(activity.venue, Activity.Venue.RESEARCH_CENTRE)
                    self.assertIsNone(activity.municipality_id)
                    self.assertEqual(activity.format, Activity.Format.FULL_DAY)
                else:
                    self.assertEqual(activity.venue, Activity.Venue.MUNICIPALITY)
                    self.assertEqual(activity.venue_municipality_id, activity.municipality_id)
        for code in CODES:
            mine = [a for a in activities if a.municipality_id == code]
            [startup] = [a for a in mine if a.kind == Activity.Kind.STARTUP]
            self.assertEqual(startup.format, Activity.Format.FULL_DAY)
            self.assertTrue(startup.title.startswith("Opstartsmøde"))
            self.assertLess(startup.day, date(2025, 3, 6))  # within the first two months
            locals_ = sorted(a.day for a in mine if a.kind == Activity.Kind.LOCAL)
            self.assertEqual(len(locals_), 3)
            self.assertTrue(all(150 <= (b - a).days <= 215 for a, b in itertools.pairwise(locals_)))
        [event] = AuditEvent.objects.filter(action=AuditEvent.Action.BULK, detail__generated="activity plan")
        self.assertEqual(event.detail["activities"], 19)
        self.assertEqual((event.detail["startup"], event.detail["local"], event.detail["experience"]), (4, 12, 3))

    def test_applying_again_creates_nothing_and_keeps_moved_meetings(self) -> None:
        apply_plan(self.project)
        moved = Activity.objects.filter(project=self.project, kind=Activity.Kind.LOCAL, municipality_id="0740").first()
        assert moved is not None
        new_day = moved.day + timedelta(days=7)
        while not is_working_day(new_day):
            new_day += timedelta(days=1)
        moved.day, moved.title = new_day, "Lokalt møde flyttet"
        moved.save()
        before = sorted(Activity.objects.filter(project=self.project).values_list("pk", "day", "title"))
        self.assertEqual(apply_plan(self.project), 0)
        self.assertEqual(
            sorted(Activity.objects.filter(project=self.project).values_list("pk", "day", "title")), before
        )
        moved.refresh_from_db()
        self.assertEqual(moved.day, new_day)
        self.assertEqual(AuditEvent.objects.filter(action=AuditEvent.Action.BULK).count(), 1)

    def test_a_cancelled_meeting_is_not_generated_again(self) -> None:
        apply_plan(self.project)
        Activity.objects.filter(project=self.project, kind=Activity.Kind.STARTUP).update(cancelled=True)
        self.assertEqual(apply_plan(self.project), 0)

    def test_a_late_joiner_gets_its_own_start_up_and_local_meetings_only(self) -> None:
        apply_plan(self.project)
        before = sorted(Activity.objects.filter(project=self.project).values_list("pk", "day", "kind"))
        joined = date(2025, 9, 1)
        late = Municipality.objects.get(code="0751")
        # Creating the participation generates its meetings (the post_save hook).
        Participation.objects.create(project=self.project, municipality=late, joined=joined)
        after = list(Activity.objects.filter(project=self.project))
        self.assertEqual(sorted((a.pk, a.day, a.kind) for a in after if a.municipality_id != "0751"), before)
        mine = [a for a in after if a.municipality_id == "0751"]
        self.assertEqual(Counter(a.kind for a in mine), {"startup": 1, "local": 2})  # months 6 and 12 after joining
        [startup] = [a for a in mine if a.kind == Activity.Kind.STARTUP]
        self.assertTrue(joined <= startup.day < date(2025, 11, 1))
        taken = {a.day for a in after if a.municipality_id != "0751"}
        self.assertTrue(all(is_working_day(a.day) and a.day not in taken for a in mine))
        # Idempotent: calling it directly, or applying the plan, adds nothing.
        self.assertEqual(add_municipality(self.project, late, joined), 0)
        self.assertEqual(apply_plan(self.project), 0)
        self.assertTrue(
            AuditEvent.objects.filter(
                action=AuditEvent.Action.BULK, detail__generated="activity plan for a municipality joining"
            ).exists()
        )

    def test_a_participation_before_any_plan_generates_nothing(self) -> None:
        Participation.objects.create(project=self.project, municipality_id="0751", joined=date(2025, 9, 1))
        self.assertFalse(Activity.objects.exists())
        self.assertEqual(apply_plan(self.project), 19 + 3)


class PlanCommandTests(TestCase):
    def test_the_command_applies_the_plan_once(self) -> None:
        from io import StringIO

        from django.core.management import call_command
        from django.core.management.base import CommandError

        project = Project.objects.create(name="Cmd", start_date=START)
        Participation.objects.create(project=project, municipality_id="0740", joined=START)
        out = StringIO()
        call_command("plan", str(project.pk), stdout=out)
        self.assertIn("7 activities created", out.getvalue())  # 1 start-up, 3 local, 3 experience
        call_command("plan", str(project.pk), stdout=out)
        self.assertIn("0 activities created", out.getvalue())
        with self.assertRaises(CommandError):
            call_command("plan", "999999")
