"""The organisation's models: the unit tree's rules, role memberships' scope and periods, the
project's months, participations, and the 98 municipalities the migration loads."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import TestCase, override_settings
from django.utils import translation

from jobtro.lib.municipalities import all_municipalities
from jobtro.organisation.models import Membership, Municipality, Participation, Project, Role, Staff, Unit
from jobtro.testing import START, PersonaTestCase

# The personas' passwords are hashed in every class's set-up; with the production hasher (slow on
# purpose) that would be most of these tests' run time, and hashing is not what they test.
fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


class MunicipalityDataTestCase(TestCase):
    def test_it_loaded_the_98_municipalities(self) -> None:
        self.assertEqual(Municipality.objects.count(), 98)
        codes = set(Municipality.objects.values_list("code", flat=True))
        self.assertEqual(codes, {m.code for m in all_municipalities()})
        self.assertTrue(all(len(code) == 4 and code.isdigit() for code in codes))
        self.assertNotIn("0411", codes)  # Christiansø is not a municipality
        self.assertEqual(Municipality.objects.get(code="0740").name, "Silkeborg")
        self.assertEqual(Municipality.objects.get(code="0147").name, "Frederiksberg")
        self.assertEqual(Municipality.objects.values("region").distinct().count(), 5)


@fast_passwords
class UnitTestCase(PersonaTestCase):
    def assertInvalidParent(self, unit: Unit, message: str) -> None:
        with self.assertRaises(ValidationError) as caught:
            unit.clean()
        self.assertEqual(list(caught.exception.message_dict), ["parent"])
        with translation.override("en"):  # the messages are lazy: translated when read
            self.assertIn(message, " ".join(caught.exception.message_dict["parent"]))

    def test_it_accepts_the_normal_tree(self) -> None:
        department = Unit(municipality=self.x, parent=self.centre_x, kind=Unit.Kind.DEPARTMENT, name="Afdeling")
        department.clean()
        department.save()
        Unit(municipality=self.x, parent=department, kind=Unit.Kind.TEAM, name="Team 9").clean()
        Unit(municipality=self.x, parent=self.team_x1, kind=Unit.Kind.TEAM, name="Subteam").clean()  # same kind
        Unit(municipality=self.x, kind=Unit.Kind.TEAM, name="Root team").clean()  # a root needs no parent

    def test_it_refuses_a_parent_in_another_municipality(self) -> None:
        unit = Unit(municipality=self.x, parent=self.centre_y, kind=Unit.Kind.TEAM, name="Team")
        self.assertInvalidParent(unit, "another municipality")

    def test_it_refuses_a_team_above_a_job_centre(self) -> None:
        unit = Unit(municipality=self.x, parent=self.team_x1, kind=Unit.Kind.JOB_CENTRE, name="Jobcenter")
        self.assertInvalidParent(unit, "lower kind")
        unit = Unit(municipality=self.x, parent=self.team_x1, kind=Unit.Kind.DEPARTMENT, name="Afdeling")
        self.assertInvalidParent(unit, "lower kind")

    def test_it_refuses_a_unit_as_its_own_parent(self) -> None:
        unit = Unit.objects.get(pk=self.team_x1.pk)
        unit.parent = unit
        self.assertInvalidParent(unit, "own ancestor")

    def test_it_refuses_a_cycle(self) -> None:
        child = Unit.objects.create(municipality=self.x, parent=self.team_x1, kind=Unit.Kind.TEAM, name="Child")
        grandchild = Unit.objects.create(municipality=self.x, parent=child, kind=Unit.Kind.TEAM, name="Grandchild")
        team = Unit.objects.get(pk=self.team_x1.pk)
        team.parent = grandchild
        self.assertInvalidParent(team, "own ancestor")

    def test_it_lists_the_ancestors_from_the_top(self) -> None:
        child = Unit.objects.create(municipality=self.x, parent=self.team_x1, kind=Unit.Kind.TEAM, name="Child")
        self.assertEqual(child.ancestors(), [self.centre_x, self.team_x1])
        self.assertEqual(self.centre_x.ancestors(), [])

    def test_it_refuses_two_units_of_one_name_under_one_parent(self) -> None:
        with self.assertRaises(IntegrityError), transaction.atomic():
            Unit.objects.create(municipality=self.x, parent=self.centre_x, kind=Unit.Kind.TEAM, name="Team 1")
        Unit.objects.create(municipality=self.x, parent=self.team_x2, kind=Unit.Kind.TEAM, name="Team 1")


@fast_passwords
class MembershipTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.person = Staff.objects.create(username="new_person")

    def assertRefusedByTheDatabase(self, **fields: object) -> None:
        with self.assertRaises(IntegrityError), transaction.atomic():
            Membership.objects.create(staff=self.person, start=START, **fields)

    def test_it_refuses_a_municipal_role_without_a_municipality(self) -> None:
        for role in (Role.CASEWORKER, Role.TEAM_LEADER, Role.KEY_PERSON, Role.DATA_MANAGER):
            with self.subTest(role=role):
                self.assertRefusedByTheDatabase(role=role)

    def test_it_refuses_a_research_centre_role_in_a_municipality(self) -> None:
        for role in (Role.RESEARCHER, Role.ADMINISTRATOR):
            with self.subTest(role=role):
                self.assertRefusedByTheDatabase(role=role, municipality=self.x)
                self.assertRefusedByTheDatabase(role=role, unit=self.team_x1)

    def test_it_refuses_an_end_not_after_the_start(self) -> None:
        self.assertRefusedByTheDatabase(role=Role.RESEARCHER, end=START)
        self.assertRefusedByTheDatabase(role=Role.RESEARCHER, end=START - timedelta(days=1))

    def test_it_accepts_roles_in_their_scope(self) -> None:
        Membership.objects.create(staff=self.person, role=Role.RESEARCHER, start=START)
        Membership.objects.create(staff=self.person, role=Role.CASEWORKER, municipality=self.x, unit=self.team_x1)
        self.assertEqual(self.person.memberships.count(), 2)

    def test_it_explains_the_scope_in_clean(self) -> None:
        cases = [
            (Membership(staff=self.person, role=Role.CASEWORKER), "municipality"),
            (Membership(staff=self.person, role=Role.RESEARCHER, municipality=self.x), "municipality"),
            (Membership(staff=self.person, role=Role.ADMINISTRATOR, unit=self.team_x1), "municipality"),
            (Membership(staff=self.person, role=Role.CASEWORKER, municipality=self.y, unit=self.team_x1), "unit"),
        ]
        for membership, field in cases:
            with self.subTest(membership=membership), self.assertRaises(ValidationError) as caught:
                membership.clean()
            self.assertEqual(list(caught.exception.message_dict), [field])
        Membership(staff=self.person, role=Role.CASEWORKER, municipality=self.x, unit=self.team_x1).clean()
        Membership(staff=self.person, role=Role.RESEARCHER).clean()

    def test_it_is_active_from_the_start_day_until_the_day_before_the_end(self) -> None:
        start, end = date(2025, 3, 3), date(2025, 4, 1)
        membership = Membership.objects.create(staff=self.person, role=Role.RESEARCHER, start=start, end=end)
        mine = Membership.objects.filter(staff=self.person)
        self.assertFalse(mine.active(start - timedelta(days=1)).exists())
        self.assertEqual(list(mine.active(start)), [membership])
        self.assertEqual(list(mine.active(end - timedelta(days=1))), [membership])
        self.assertFalse(mine.active(end).exists())

    def test_it_is_active_for_ever_without_an_end(self) -> None:
        Membership.objects.create(staff=self.person, role=Role.RESEARCHER, start=date(2025, 3, 3))
        mine = Membership.objects.filter(staff=self.person)
        self.assertTrue(mine.active(date(2125, 1, 1)).exists())
        self.assertTrue(mine.active().exists())  # today


class ProjectTestCase(TestCase):
    def test_it_lasts_24_months_by_default(self) -> None:
        project = Project.objects.create(name="P", start_date=date(2025, 1, 6))
        self.assertEqual(project.duration_months, 24)
        self.assertEqual(project.end_date, date(2027, 1, 6))

    def test_it_clamps_the_end_to_the_months_length(self) -> None:
        def end(start: date, months: int) -> date:
            return Project(name="P", start_date=start, duration_months=months).end_date

        self.assertEqual(end(date(2025, 1, 31), 1), date(2025, 2, 28))
        self.assertEqual(end(date(2024, 1, 31), 1), date(2024, 2, 29))  # leap year
        self.assertEqual(end(date(2025, 1, 31), 3), date(2025, 4, 30))
        self.assertEqual(end(date(2025, 3, 31), 11), date(2026, 2, 28))
        self.assertEqual(end(date(2025, 11, 15), 2), date(2026, 1, 15))  # across the new year
        self.assertEqual(end(date(2025, 1, 31), 24), date(2027, 1, 31))

    def test_it_numbers_the_months_from_one(self) -> None:
        project = Project(name="P", start_date=date(2025, 1, 6))
        self.assertIsNone(project.month_number(date(2025, 1, 5)))
        self.assertEqual(project.month_number(date(2025, 1, 6)), 1)
        self.assertEqual(project.month_number(date(2025, 2, 5)), 1)
        self.assertEqual(project.month_number(date(2025, 2, 6)), 2)
        self.assertEqual(project.month_number(date(2026, 1, 6)), 13)
        self.assertEqual(project.month_number(date(2027, 1, 5)), 24)
        self.assertIsNone(project.month_number(date(2027, 1, 6)))  # the end date is the first day after

    def test_it_counts_months_as_the_end_date_does(self) -> None:
        # Month k+1 begins on the day a k-month project would end, also when the start day is clamped.
        for start in (date(2025, 1, 31), date(2024, 1, 31), date(2025, 3, 30), date(2025, 8, 31), date(2025, 1, 6)):
            project = Project(name="P", start_date=start, duration_months=24)
            for k in range(1, 24):
                boundary = Project(name="P", start_date=start, duration_months=k).end_date
                with self.subTest(start=start, k=k):
                    self.assertEqual(project.month_number(boundary - timedelta(days=1)), k)
                    self.assertEqual(project.month_number(boundary), k + 1)

    def test_it_gives_every_day_of_the_project_a_month(self) -> None:
        project = Project(name="P", start_date=date(2025, 1, 31), duration_months=24)
        day, seen = project.start_date, []
        while day < project.end_date:
            seen.append(project.month_number(day))
            day += timedelta(days=1)
        self.assertEqual(sorted(set(seen)), list(range(1, 25)))
        self.assertEqual(seen, sorted(seen))


class ParticipationTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.project = Project.objects.create(name="P", start_date=date(2025, 1, 6))
        cls.x = Municipality.objects.get(code="0740")
        cls.y = Municipality.objects.get(code="0727")

    def test_it_refuses_leaving_before_joining(self) -> None:
        for left in (date(2025, 1, 5), date(2025, 1, 6)):
            with self.subTest(left=left), self.assertRaises(IntegrityError), transaction.atomic():
                Participation.objects.create(
                    project=self.project, municipality=self.x, joined=date(2025, 1, 6), left=left
                )

    def test_it_refuses_a_municipality_twice_in_one_project(self) -> None:
        Participation.objects.create(project=self.project, municipality=self.x, joined=date(2025, 1, 6))
        with self.assertRaises(IntegrityError), transaction.atomic():
            Participation.objects.create(project=self.project, municipality=self.x, joined=date(2025, 6, 1))
        other = Project.objects.create(name="Q", start_date=date(2025, 1, 6))
        Participation.objects.create(project=other, municipality=self.x, joined=date(2025, 1, 6))
        self.assertEqual(set(self.project.municipalities.all()), {self.x})

    def test_it_is_active_from_joining_until_the_day_before_leaving(self) -> None:
        p = Participation(project=self.project, municipality=self.y, joined=date(2025, 1, 6), left=date(2025, 7, 1))
        self.assertFalse(p.is_active(date(2025, 1, 5)))
        self.assertTrue(p.is_active(date(2025, 1, 6)))
        self.assertTrue(p.is_active(date(2025, 6, 30)))
        self.assertFalse(p.is_active(date(2025, 7, 1)))
