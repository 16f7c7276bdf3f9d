"""Fees recomputed with history, and resource use summed from attendance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.test import TestCase

from jobtro.collaboration.costs import fees_deferred, recompute_fees, resource_summary
from jobtro.collaboration.models import Activity, FeeRecord, Participant, ResourceRate, SharedCost
from jobtro.organisation.models import Membership, Municipality, Participation, Project, Role, Staff

START = date(2025, 1, 6)
TODAY = date(2025, 6, 2)


class FeeTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.project = Project.objects.create(name="Fees", start_date=START)
        for code in ("0740", "0727", "0540"):
            Participation.objects.create(project=cls.project, municipality_id=code, joined=START)

    def test_no_fee_record_while_the_project_has_no_shared_costs(self) -> None:
        self.assertFalse(FeeRecord.objects.exists())

    def test_a_shared_cost_and_a_joining_municipality_give_a_fee_history(self) -> None:
        SharedCost.objects.create(
            project=self.project, category="venue", description="Lokaler", amount=Decimal("100.00"), day=START
        )
        [first] = FeeRecord.objects.all()
        self.assertEqual(first.municipalities, {"0540": "33.34", "0727": "33.33", "0740": "33.33"})
        self.assertEqual(first.total_costs, Decimal("100.00"))
        Participation.objects.create(project=self.project, municipality_id="0147", joined=date.today())
        second, again = FeeRecord.objects.all()
        self.assertEqual(again, first)
        self.assertIn("joined", second.reason)
        self.assertEqual(second.municipalities, {"0740": "25.00", "0727": "25.00", "0540": "25.00", "0147": "25.00"})
        for record in (first, second):
            self.assertEqual(sum(Decimal(fee) for fee in record.municipalities.values()), record.total_costs)
        self.assertNotEqual(first.municipalities, second.municipalities)

    def test_a_municipality_leaving_and_a_deleted_cost_recompute(self) -> None:
        cost = SharedCost.objects.create(
            project=self.project, category="catering", description="Frokost", amount=Decimal("90.00"), day=START
        )
        participation = Participation.objects.get(project=self.project, municipality_id="0540")
        participation.left = date(2025, 3, 1)
        participation.save()
        self.assertEqual(FeeRecord.objects.first().municipalities, {"0740": "45.00", "0727": "45.00"})  # type: ignore[union-attr]
        cost.delete()
        latest = FeeRecord.objects.first()
        assert latest is not None
        self.assertEqual(
            (latest.total_costs, latest.municipalities), (Decimal("0.00"), {"0740": "0.00", "0727": "0.00"})
        )
        self.assertEqual(FeeRecord.objects.count(), 3)

    def test_the_same_fees_add_no_record_and_deferred_saves_none(self) -> None:
        with fees_deferred():
            for i in range(5):
                SharedCost.objects.create(
                    project=self.project, category="materials", description=f"Materialer {i}", amount=10, day=START
                )
        self.assertFalse(FeeRecord.objects.exists())
        record = recompute_fees(self.project, "demo")
        self.assertEqual(record.total_costs, Decimal("50.00"))
        self.assertEqual(recompute_fees(self.project, "again"), record)
        self.assertEqual(FeeRecord.objects.count(), 1)

    def test_deleting_the_project_deletes_its_costs_without_recomputing(self) -> None:
        SharedCost.objects.create(project=self.project, category="venue", description="Lokaler", amount=1, day=START)
        self.project.delete()
        self.assertFalse(FeeRecord.objects.exists())


class ResourceTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.project = Project.objects.create(name="Resources", start_date=START)
        cls.x = Municipality.objects.get(code="0740")
        cls.y = Municipality.objects.get(code="0727")

        def person(name: str, role: Role, municipality: Municipality, start: date = START) -> Staff:
            staff = Staff.objects.create(username=name)
            Membership.objects.create(staff=staff, role=role, municipality=municipality, start=start)
            return staff

        cls.leader = person("leader", Role.TEAM_LEADER, cls.x)
        cls.caseworker = person("caseworker", Role.CASEWORKER, cls.x)
        # A caseworker who becomes a key person in May: the role on the meeting's day counts.
        cls.promoted = person("promoted", Role.CASEWORKER, cls.x)
        Membership.objects.filter(staff=cls.promoted).update(end=date(2025, 5, 1))
        Membership.objects.create(staff=cls.promoted, role=Role.KEY_PERSON, municipality=cls.x, start=date(2025, 5, 1))
        cls.y_person = person("y", Role.KEY_PERSON, cls.y)
        cls.researcher = Staff.objects.create(username="researcher")
        Membership.objects.create(staff=cls.researcher, role=Role.RESEARCHER, start=START)

        def activity(day: date, fmt: str, **extra: object) -> Activity:
            return Activity.objects.create(
                project=cls.project, kind="local", format=fmt, title="Møde", day=day, venue="municipality", **extra
            )

        full = activity(date(2025, 2, 3), "full_day")
        half = activity(date(2025, 6, 2), "half_day")
        cancelled = activity(date(2025, 7, 1), "full_day", cancelled=True)

        def attend(a: Activity, staff: Staff, km: str, m: Municipality | None, attended: bool | None = True) -> None:
            Participant.objects.create(activity=a, staff=staff, municipality=m, attended=attended, km=Decimal(km))

        attend(full, cls.leader, "40", cls.x)
        attend(full, cls.caseworker, "40", cls.x)
        attend(full, cls.promoted, "0", cls.x)
        attend(full, cls.y_person, "100", cls.y)
        attend(full, cls.researcher, "80", None)  # the research centre's: not a municipality's resource
        attend(half, cls.leader, "10", cls.x)
        attend(half, cls.promoted, "10", cls.x)
        attend(half, cls.caseworker, "10", cls.x, attended=False)
        attend(half, cls.y_person, "0", cls.y, attended=None)
        attend(cancelled, cls.leader, "500", cls.x)

    def test_hours_by_role_and_transport_per_municipality(self) -> None:
        result = resource_summary(self.project)
        self.assertEqual(list(result.by_municipality), ["0727", "0740"])
        x = result.by_municipality["0740"]
        self.assertEqual(
            dict(x.hours_by_role),
            {"team_leader": Decimal("11.1"), "caseworker": Decimal("14.8"), "key_person": Decimal("3.7")},
        )
        self.assertEqual(x.hours_total, Decimal("29.6"))
        self.assertEqual(x.km_total, Decimal("100"))
        self.assertEqual(x.transport_cost, Decimal("379.00"))  # the default 3.79 kr./km
        self.assertEqual(x.attendances, 5)
        y = result.by_municipality["0727"]
        self.assertEqual((dict(y.hours_by_role), y.transport_cost), ({"key_person": Decimal("7.4")}, Decimal("379.00")))
        self.assertEqual(result.project.hours_total, Decimal("37.0"))
        self.assertEqual(result.project.transport_cost, Decimal("758.00"))
        self.assertEqual(ResourceRate.objects.get(project=self.project).km_rate, Decimal("3.79"))  # created lazily

    def test_one_municipality_and_a_configured_rate(self) -> None:
        ResourceRate.objects.create(project=self.project, km_rate=Decimal("2.00"))
        result = resource_summary(self.project, self.y)
        self.assertEqual(list(result.by_municipality), ["0727"])
        self.assertEqual(result.project.transport_cost, Decimal("200.00"))
        self.assertEqual(result.project.hours_total, Decimal("7.4"))
