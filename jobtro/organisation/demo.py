"""Loads the simulated demo collaboration (Silkeborg, Odder, Sønderborg, Frederiksberg) into the
database: the project, job centres, departments and teams, caseworkers, the citizens in their
caseloads (pseudonymised, identity encrypted) and who their caseworker has been.

The project starts a year before today so the demo is always mid-way; the simulated weeks after
today have not happened yet and are not loaded. Beliefs and weekly register status come with the
measurement and outcome models (issues 3 and 4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import polars as pl
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.measurement.identity import seal
from jobtro.measurement.models import CaseworkerAssignment, Citizen
from jobtro.organisation.models import Membership, Municipality, Participation, Project, Role, Staff, Unit
from jobtro.stats.simulate import Simulation, demo_config, simulate

PROJECT_NAME = "Troen på borgernes jobchance"
DEMO_PASSWORD = "jobtro-demo"  # noqa: S105 - printed by `make demo`; demo databases only


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    where: str


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    project: Project
    logins: tuple[DemoLogin, ...]
    counts: dict[str, int]


def demo_start(today: date) -> date:
    """The Monday 52 weeks before ``today``'s week: the demo project is half-way."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=52)


def _exit_weeks(sim: Simulation) -> dict[int, int]:
    exits = (
        sim.weekly_status.filter(pl.col("status") != "benefit")
        .group_by("citizen_id")
        .agg(pl.col("week").min().alias("exit_week"))
    )
    return dict(zip(exits["citizen_id"].to_list(), exits["exit_week"].to_list(), strict=True))


@transaction.atomic
def load_demo(seed: int = 2026, today: date | None = None) -> DemoSummary:
    """Load the demo unless a project by the demo's name exists (then return it unchanged)."""
    existing = Project.objects.filter(name=PROJECT_NAME).first()
    if existing is not None:
        return DemoSummary(created=False, project=existing, logins=_logins(), counts={})

    today = today or timezone.localdate()
    start = demo_start(today)
    now_week = (today - start).days // 7
    sim = simulate(replace(demo_config(seed), start=start))

    project = Project.objects.create(
        name=PROJECT_NAME,
        start_date=start,
        duration_months=24,
        description=(
            "Praksisforskningssamarbejde mellem et forskningscenter og fire kommuner om, hvad der "
            "påvirker beskæftigelsesmedarbejderes tro på borgernes jobchancer, og hvordan ledelse, "
            "organisering og faglig praksis kan arbejde med den. (Simulerede demodata.)"
        ),
    )
    municipalities = {m.code: m for m in Municipality.objects.filter(code__in=sim.municipalities["code"].to_list())}
    Participation.objects.bulk_create(
        Participation(project=project, municipality=m, joined=start) for m in municipalities.values()
    )

    # Organisation: job centre -> department -> teams in each municipality.
    departments: dict[str, Unit] = {}
    for code, m in municipalities.items():
        centre = Unit.objects.create(municipality=m, kind=Unit.Kind.JOB_CENTRE, name=f"Jobcenter {m.name}")
        departments[code] = Unit.objects.create(
            municipality=m, parent=centre, kind=Unit.Kind.DEPARTMENT, name="Afdeling for aktivitetsparate borgere"
        )
    teams: dict[int, Unit] = {}
    for row in sim.teams.iter_rows(named=True):
        teams[row["team_id"]] = Unit.objects.create(
            municipality=municipalities[row["municipality_code"]],
            parent=departments[row["municipality_code"]],
            kind=Unit.Kind.TEAM,
            name=row["name"],
        )

    # Caseworkers: simulated people who cannot log in, except the demo caseworker below.
    unusable = make_password(None)
    caseworker_rows = list(sim.caseworkers.iter_rows(named=True))
    staff = Staff.objects.bulk_create(
        Staff(
            username=row["email"],
            email=row["email"],
            first_name=row["first_name"],
            last_name=row["last_name"],
            password=unusable,
        )
        for row in caseworker_rows
    )
    caseworkers = {row["caseworker_id"]: person for row, person in zip(caseworker_rows, staff, strict=True)}
    Membership.objects.bulk_create(
        Membership(
            staff=caseworkers[row["caseworker_id"]],
            role=Role.CASEWORKER,
            municipality=municipalities[row["municipality_code"]],
            unit=teams[row["team_id"]],
            start=start,
        )
        for row in caseworker_rows
    )

    # Citizens and their caseworkers up to today.
    citizen_rows = list(sim.citizens.iter_rows(named=True))
    citizens = Citizen.objects.bulk_create(_citizen(row, municipalities) for row in citizen_rows)
    by_sim_id = {row["citizen_id"]: c for row, c in zip(citizen_rows, citizens, strict=True)}
    exits = _exit_weeks(sim)
    assignments = []
    for row in sim.assignments.iter_rows(named=True):
        if row["from_week"] > now_week:
            continue  # the future has not happened yet
        end_week = row["to_week"]
        exit_week = exits.get(row["citizen_id"])
        # The case closes after the week the citizen left benefit for a job or education (simulate's
        # convention, to_week = exit week + 1): a citizen who leaves in week 0 still had a caseworker.
        closed = exit_week + 1 if exit_week is not None else None
        if closed is not None and (end_week is None or closed < end_week):
            end_week = closed
        if closed is not None and closed <= row["from_week"]:
            continue
        ended = end_week is not None and end_week <= now_week
        assignments.append(
            CaseworkerAssignment(
                citizen=by_sim_id[row["citizen_id"]],
                caseworker=caseworkers[row["caseworker_id"]],
                start=start + timedelta(weeks=row["from_week"]),
                end=start + timedelta(weeks=end_week) if ended and end_week is not None else None,
            )
        )
    CaseworkerAssignment.objects.bulk_create(assignments)

    logins = _create_demo_logins(project, municipalities, teams, caseworkers, caseworker_rows, start)
    counts = {
        "municipalities": len(municipalities),
        "teams": len(teams),
        "caseworkers": len(caseworkers),
        "citizens": len(citizens),
        "assignments": len(assignments),
    }
    record(AuditEvent.Action.BULK, project, detail={"loaded": "demo collaboration", "seed": seed, **counts})
    return DemoSummary(created=True, project=project, logins=logins, counts=counts)


def _citizen(row: dict[str, object], municipalities: dict[str, Municipality]) -> Citizen:
    sealed = seal(str(row["cpr"]), f"{row['first_name']} {row['last_name']}")
    return Citizen(
        municipality=municipalities[str(row["municipality_code"])],
        pseudonym=sealed.pseudonym,
        cpr_encrypted=sealed.cpr_encrypted,
        name_encrypted=sealed.name_encrypted,
        birth_year=sealed.birth_year,
        female=sealed.female,
        target_group=str(row["target_group"]),
    )


# The demo's logins, one per role.
_DEMO_PEOPLE = (
    ("sagsbehandler", Role.CASEWORKER),
    ("teamleder", Role.TEAM_LEADER),
    ("noegleperson", Role.KEY_PERSON),
    ("datamanager", Role.DATA_MANAGER),
    ("forsker", Role.RESEARCHER),
    ("admin", Role.ADMINISTRATOR),
)


def _create_demo_logins(
    project: Project,
    municipalities: dict[str, Municipality],
    teams: dict[int, Unit],
    caseworkers: dict[int, Staff],
    caseworker_rows: list[dict[str, object]],
    start: date,
) -> tuple[DemoLogin, ...]:
    silkeborg = municipalities["0740"]
    first = next(r for r in caseworker_rows if r["municipality_code"] == "0740")
    team = teams[int(str(first["team_id"]))]

    # The demo caseworker is a real simulated caseworker with a caseload, given a login.
    demo_caseworker = caseworkers[int(str(first["caseworker_id"]))]
    demo_caseworker.username = "sagsbehandler"
    demo_caseworker.set_password(DEMO_PASSWORD)
    demo_caseworker.save()

    def person(username: str, first_name: str, last_name: str, **extra: object) -> Staff:
        user = Staff(
            username=username, first_name=first_name, last_name=last_name, email=f"{username}@demo.jobtro.dk", **extra
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user

    leader = person("teamleder", "Tove", "Lindholm")
    Membership.objects.create(staff=leader, role=Role.TEAM_LEADER, municipality=silkeborg, unit=team, start=start)
    key = person("noegleperson", "Karim", "Nørgaard")
    Membership.objects.create(staff=key, role=Role.KEY_PERSON, municipality=silkeborg, start=start)
    manager = person("datamanager", "Dorthe", "Mikkelsen")
    Membership.objects.create(staff=manager, role=Role.DATA_MANAGER, municipality=silkeborg, start=start)
    researcher = person("forsker", "Frida", "Rasmussen")
    Membership.objects.create(staff=researcher, role=Role.RESEARCHER, start=start)
    admin = person("admin", "Anders", "Holm", is_staff=True, is_superuser=True)
    Membership.objects.create(staff=admin, role=Role.ADMINISTRATOR, start=start)
    return _logins()


def _logins() -> tuple[DemoLogin, ...]:
    where = {
        Role.CASEWORKER: "Silkeborg",
        Role.TEAM_LEADER: "Silkeborg",
        Role.KEY_PERSON: "Silkeborg",
        Role.DATA_MANAGER: "Silkeborg",
        Role.RESEARCHER: "forskningscentret",
        Role.ADMINISTRATOR: "system",
    }
    return tuple(DemoLogin(username, role, where[role]) for username, role in _DEMO_PEOPLE)
