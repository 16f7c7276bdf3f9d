"""Shared test personas (the healthchecks habit): an ownership test for a view costs two lines.

Municipality X is Silkeborg (0740), Y is Odder (0727). Personas:
caseworker_a and caseworker_b (teams in X, each with a caseload), team_leader (X, team of A),
key_person (X), data_manager_y (Y), researcher, administrator and an outsider with no role.
"""

from __future__ import annotations

from datetime import date

from django.test import TestCase

from jobtro.measurement.identity import seal
from jobtro.measurement.models import CaseworkerAssignment, Citizen
from jobtro.organisation.models import Membership, Municipality, Participation, Project, Role, Staff, Unit

PASSWORD = "test-password-123"  # noqa: S105 - test fixture
START = date(2025, 1, 6)


def make_citizen(municipality: Municipality, cpr: str, name: str, caseworker: Staff | None = None) -> Citizen:
    sealed = seal(cpr, name)
    citizen = Citizen.objects.create(
        municipality=municipality,
        pseudonym=sealed.pseudonym,
        cpr_encrypted=sealed.cpr_encrypted,
        name_encrypted=sealed.name_encrypted,
        birth_year=sealed.birth_year,
        female=sealed.female,
        target_group="aktivitetsparat kontanthjælpsmodtager",
    )
    if caseworker is not None:
        CaseworkerAssignment.objects.create(citizen=citizen, caseworker=caseworker, start=START)
    return citizen


class PersonaTestCase(TestCase):
    """Base class with the personas and a small organisation in two municipalities."""

    x: Municipality
    y: Municipality
    project: Project
    centre_x: Unit
    team_x1: Unit
    team_x2: Unit
    centre_y: Unit
    team_y1: Unit
    personas: dict[str, Staff]
    caseworker_y: Staff
    citizen_a: Citizen
    citizen_a2: Citizen
    citizen_b: Citizen
    citizen_y: Citizen
    citizen_moved: Citizen

    @classmethod
    def setUpTestData(cls) -> None:
        cls.x = Municipality.objects.get(code="0740")
        cls.y = Municipality.objects.get(code="0727")
        cls.project = Project.objects.create(name="Troen på borgernes jobchance", start_date=START)
        Participation.objects.create(project=cls.project, municipality=cls.x, joined=START)
        Participation.objects.create(project=cls.project, municipality=cls.y, joined=START)

        cls.centre_x = Unit.objects.create(municipality=cls.x, kind=Unit.Kind.JOB_CENTRE, name="Jobcenter Silkeborg")
        cls.team_x1 = Unit.objects.create(municipality=cls.x, parent=cls.centre_x, kind=Unit.Kind.TEAM, name="Team 1")
        cls.team_x2 = Unit.objects.create(municipality=cls.x, parent=cls.centre_x, kind=Unit.Kind.TEAM, name="Team 2")
        cls.centre_y = Unit.objects.create(municipality=cls.y, kind=Unit.Kind.JOB_CENTRE, name="Jobcenter Odder")
        cls.team_y1 = Unit.objects.create(municipality=cls.y, parent=cls.centre_y, kind=Unit.Kind.TEAM, name="Team 1")

        def person(
            username: str,
            role: Role | None,
            municipality: Municipality | None = None,
            unit: Unit | None = None,
            **extra: bool,
        ) -> Staff:
            user = Staff(username=username, first_name=username.title(), **extra)
            user.set_password(PASSWORD)
            user.save()
            if role is not None:
                Membership.objects.create(staff=user, role=role, municipality=municipality, unit=unit, start=START)
            return user

        cls.personas = {
            "caseworker_a": person("caseworker_a", Role.CASEWORKER, cls.x, cls.team_x1),
            "caseworker_b": person("caseworker_b", Role.CASEWORKER, cls.x, cls.team_x2),
            "team_leader": person("team_leader", Role.TEAM_LEADER, cls.x, cls.team_x1),
            "key_person": person("key_person", Role.KEY_PERSON, cls.x),
            "data_manager_y": person("data_manager_y", Role.DATA_MANAGER, cls.y),
            "researcher": person("researcher", Role.RESEARCHER),
            "administrator": person("administrator", Role.ADMINISTRATOR, is_staff=True, is_superuser=True),
            "outsider": person("outsider", None),
        }
        # A caseworker in Y, so Y has staff and a caseload of its own.
        cls.caseworker_y = person("caseworker_y", Role.CASEWORKER, cls.y, cls.team_y1)

        a, b = cls.personas["caseworker_a"], cls.personas["caseworker_b"]
        cls.citizen_a = make_citizen(cls.x, "0101901235", "Anna Andersen", a)
        cls.citizen_a2 = make_citizen(cls.x, "0202851236", "Bo Berg", a)
        cls.citizen_b = make_citizen(cls.x, "0303801237", "Carl Clausen", b)
        cls.citizen_y = make_citizen(cls.y, "0404751238", "Dorte Dahl", cls.caseworker_y)
        # A citizen who used to be A's and now is B's: A no longer sees them.
        cls.citizen_moved = make_citizen(cls.x, "0505701239", "Erik Eriksen")
        CaseworkerAssignment.objects.create(citizen=cls.citizen_moved, caseworker=a, start=START, end=date(2025, 6, 2))
        CaseworkerAssignment.objects.create(citizen=cls.citizen_moved, caseworker=b, start=date(2025, 6, 2))

    def login(self, persona: str) -> Staff:
        user = self.personas[persona]
        self.client.force_login(user)
        return user
