"""Loads the simulated demo collaboration (Silkeborg, Odder, Sønderborg, Frederiksberg) into the
database: the project, job centres, departments and teams, caseworkers, the citizens in their
caseloads (pseudonymised, identity encrypted) and who their caseworker has been.

The project starts a year before today so the demo is always mid-way; the simulated weeks after
today have not happened yet and are not loaded. The closed waves hold the simulated beliefs, and the
outcomes arrive as municipalities would deliver them and through the same import as theirs: weekly
status extracts from the register (CSV) for three municipalities and a file of job and education
starts for Frederiksberg, each ending :data:`REGISTER_LAG_WEEKS` before today, as register data lag.
Citizens carry the simulated prior weeks on benefit (a BIP control). At the end the staff questionnaire's
answers are added (when jobtro.measurement.staff_demo exists) and every installed analysis is computed
and stored (jobtro.analysis.runs), so the insight pages have something to show.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

import polars as pl
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.collaboration.demo import load_collaboration
from jobtro.measurement.actions import default_instrument_version, open_wave, plan_waves
from jobtro.measurement.identity import seal
from jobtro.measurement.invitations import create_invitations
from jobtro.measurement.models import Answer, CaseworkerAssignment, Citizen, Invitation, Item, Wave, WaveCaseload
from jobtro.measurement.staff_demo import load_staff_answers
from jobtro.organisation.models import Membership, Municipality, Participation, Project, Role, Staff, Unit
from jobtro.stats.simulate import Simulation, demo_config, register_extract, simulate

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
    """The Monday 53 weeks before ``today``'s week: the demo project is half-way, and the wave of
    month 12 (open for 14 days) has opened 4-7 days ago, so the demo always has an open wave."""
    monday = today - timedelta(days=today.weekday())
    return monday - timedelta(weeks=53)


def _exit_weeks(sim: Simulation) -> dict[int, int]:
    exits = (
        sim.weekly_status.filter(pl.col("status") != "benefit")
        .group_by("citizen_id")
        .agg(pl.col("week").min().alias("exit_week"))
    )
    return dict(zip(exits["citizen_id"].to_list(), exits["exit_week"].to_list(), strict=True))


@transaction.atomic
def load_demo(
    seed: int = 2026,
    today: date | None = None,
    frailty_variance: float | None = None,
    *,
    analyses: Iterable[str] | None = None,
) -> DemoSummary:
    """Load the demo unless a project by the demo's name exists (then return it unchanged).

    ``frailty_variance`` overrides the simulation's caseworker frailty (0 switches it off: the setting
    in which the live BIP analysis must recover the simulator's true effects). At the end the analyses
    are computed and stored (jobtro.analysis.runs): ``analyses`` names the kinds, by default every one
    whose module is installed; an empty sequence computes none (tests that do not look at them)."""
    existing = Project.objects.filter(name=PROJECT_NAME).first()
    if existing is not None:
        return DemoSummary(created=False, project=existing, logins=_logins(), counts={})

    today = today or timezone.localdate()
    start = demo_start(today)
    now_week = (today - start).days // 7
    config = replace(demo_config(seed), start=start)
    if frailty_variance is not None:
        config = replace(config, frailty_variance=frailty_variance)
    sim = simulate(config)

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
        **_load_waves(project, sim, by_sim_id, caseworkers, today, seed),
        **_load_outcomes(project, sim, municipalities, now_week),
        **load_collaboration(project, municipalities, today, seed=seed),
    }
    counts.update(load_staff_answers(project, seed))
    record(AuditEvent.Action.BULK, project, detail={"loaded": "demo collaboration", "seed": seed, **counts})
    counts.update(_compute_analyses(project, analyses))
    return DemoSummary(created=True, project=project, logins=logins, counts=counts)


def _compute_analyses(project: Project, kinds: Iterable[str] | None) -> dict[str, int]:
    """Compute and store the analyses so the demo shows them (a failed one keeps its message)."""
    from jobtro.analysis import runs

    available = runs.available_kinds()
    done = 0
    for kind in available if kinds is None else [k for k in kinds if k in available]:
        result = runs.run_now(project, kind)
        done += result.state == result.State.DONE
    return {"analyses computed": done}


REGISTER_LAG_WEEKS = 4  # register extracts end about a month before they are delivered
EVENT_MUNICIPALITY = "0147"  # Frederiksberg delivers job and education starts instead of weekly status


def _load_outcomes(
    project: Project, sim: Simulation, municipalities: dict[str, Municipality], now_week: int
) -> dict[str, int]:
    """Import the demo's outcome files through jobtro.outcomes.imports, then build the spells."""
    from jobtro.outcomes.imports import import_events, import_status
    from jobtro.outcomes.spells import build_spells

    until_week = max(1, now_week - REGISTER_LAG_WEEKS)
    extract = register_extract(sim, until_week=until_week)
    home = sim.citizens.select("cpr", "municipality_code")
    imported = 0
    for code, municipality in sorted(municipalities.items()):
        mine = extract.join(home.filter(pl.col("municipality_code") == code), on="cpr", how="semi")
        if code == EVENT_MUNICIPALITY:
            outcome = import_events(
                _events_csv(sim, mine),
                project=project,
                municipality=municipality,
                covers_from=sim.config.start,
                covers_until=sim.config.start + timedelta(weeks=until_week) - timedelta(days=1),
                file_name=f"forloeb_{code}.csv",
            )
        else:
            outcome = import_status(
                mine.write_csv(separator=";").encode(), project=project, municipality=municipality,
                file_name=f"dream_{code}.csv",
            )  # fmt: skip
        if not outcome.ok:
            raise RuntimeError(f"the demo's outcome file for {code} did not import: {outcome.problems}")
        imported += outcome.counts["rows"]
    build = build_spells(project)
    return {"outcome rows imported": imported, "spells": build.measurements, "spell events": build.events}


def _events_csv(sim: Simulation, extract: pl.DataFrame) -> bytes:
    """Job and education starts (Danish headings, dd-mm-yyyy dates) from a weekly status extract: each
    citizen's first week out of benefit, started on that week's Wednesday."""
    first = (
        extract.filter(pl.col("status") != "benefit")
        .sort("cpr", "year_week")
        .unique("cpr", keep="first", maintain_order=True)
    )
    rows = [
        (
            cpr,
            "Beskæftigelse" if status == "job" else "Uddannelse",
            date.fromisoformat(_monday(label)) + timedelta(days=2),
        )
        for cpr, label, status in first.iter_rows()
    ]
    lines = ["cpr;hændelse;startdato", *(f"{c};{k};{d:%d-%m-%Y}" for c, k, d in rows)]
    return ("\n".join(lines) + "\n").encode()


def _monday(label: str) -> str:
    year, week = label.split("-W")
    return date.fromisocalendar(int(year), int(week), 1).isoformat()


# Response in the open wave: (share of caseworkers, share of their caseload answered). The demo
# caseworker has started but not finished, so the rating page has something done and something left.
_OPEN_WAVE_RESPONSE = ((0.35, 1.0), (0.25, 0.5), (0.40, 0.0))
_CLOSED_WAVE_RESPONSE = 0.92  # share of caseworkers who answered a closed wave


class _Answers:
    """Collects the demo's answers (bulk-created at the end) with seeded times and request ids."""

    def __init__(self, seed: int, items: dict[str, Item]) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - demo data, not security
        self.items = items
        self.tz = timezone.get_current_timezone()
        self.rows: list[Answer] = []

    def moment(self, wave: Wave, latest: date) -> datetime:
        """A working-hours moment between the wave's opening and ``latest``."""
        day = wave.opens_on + timedelta(days=self.rng.randint(0, max(0, (latest - wave.opens_on).days)))
        return datetime.combine(day, time(8), tzinfo=self.tz) + timedelta(minutes=self.rng.randint(0, 8 * 60))

    def caseworker(
        self,
        wave: Wave,
        caseworker: int,
        caseload: list[tuple[int, int | None]],
        general: tuple[bool, int] | None,
        fraction: float,
        latest: date,
    ) -> None:
        """One caseworker's answers: the general items, then ``fraction`` of their caseload in order."""
        at = self.moment(wave, latest)
        if general is not None:
            self._add(wave, "general_believes", caseworker, None, int(general[0]), at)
            self._add(wave, "general_share", caseworker, None, int(general[1]), at)
        for citizen, belief in caseload[: round(len(caseload) * fraction)]:
            self._add(wave, "specific_belief", caseworker, citizen, belief, at)

    def _add(self, wave: Wave, key: str, caseworker: int, citizen: int | None, value: int | None, at: datetime) -> None:
        self.rows.append(
            Answer(
                wave=wave,
                item=self.items[key],
                caseworker_id=caseworker,
                citizen_id=citizen,
                value=value,
                dont_know=value is None,
                request_id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
                received_at=at,
            )
        )


def _load_waves(
    project: Project,
    sim: Simulation,
    citizens: dict[int, Citizen],
    caseworkers: dict[int, Staff],
    today: date,
    seed: int,
) -> dict[str, int]:
    """Plan the project's waves; fill the closed ones with the simulated answers and open the current
    one with realistic partial response. Answers are the simulation's specific and general beliefs."""
    version = default_instrument_version()
    answers = _Answers(seed, {item.key: item for item in version.items.all()})
    tz = answers.tz
    beliefs = sim.specific_beliefs.partition_by("wave", as_dict=True)
    general = sim.general_beliefs.partition_by("wave", as_dict=True)
    demo_caseworker = Staff.objects.get(username="sagsbehandler").pk
    n_frozen = 0
    invitations_sent: list[tuple[Wave, datetime]] = []

    for wave in plan_waves(project, version=version):
        if wave.opens_on > today or (wave.number,) not in beliefs:
            continue  # planned, not yet open
        belief_of = {
            citizens[c].pk: (caseworkers[w].pk, None if b is None else int(b))
            for c, w, b in beliefs[(wave.number,)].select("citizen_id", "caseworker_id", "belief").iter_rows()
        }
        shares = {
            caseworkers[w].pk: (bool(g), int(p))
            for w, g, p in general[(wave.number,)]
            .select("caseworker_id", "generally_believes", "share_pct")
            .iter_rows()
        }
        opened = datetime.combine(wave.opens_on, time(7), tzinfo=tz)
        caseloads: dict[int, list[tuple[int, int | None]]] = {}
        invitations_sent.append((wave, opened))
        if wave.closes_on < today:
            # A closed wave: frozen as the simulation measured it, answered by most caseworkers.
            Wave.objects.filter(pk=wave.pk).update(opened_at=opened)
            WaveCaseload.objects.bulk_create(
                WaveCaseload(wave=wave, caseworker_id=w, citizen_id=c) for c, (w, _) in belief_of.items()
            )
            n_frozen += len(belief_of)
            for c, (w, b) in belief_of.items():
                caseloads.setdefault(w, []).append((c, b))
            for w, caseload in caseloads.items():
                if answers.rng.random() <= _CLOSED_WAVE_RESPONSE:
                    answers.caseworker(wave, w, caseload, shares.get(w), 1.0, wave.closes_on)
            continue
        # The open wave: frozen from today's caseloads, partly answered.
        n_frozen += open_wave(wave, now=opened)
        wave.refresh_from_db()
        for entry in wave.caseload.order_by("citizen_id"):
            caseloads.setdefault(entry.caseworker_id, []).append(
                (entry.citizen_id, belief_of.get(entry.citizen_id, (0, 3))[1])
            )
        for w, caseload in sorted(caseloads.items()):
            fraction = 1 / 3 if w == demo_caseworker else _draw_fraction(answers.rng)
            if fraction:
                answers.caseworker(wave, w, caseload, shares.get(w), fraction, today)
    # Every caseworker with a frozen caseload was invited when the wave opened (the demo sends no
    # e-mails: the links would be unusable anyway, and the demo logins use passwords).
    for wave, opened in invitations_sent:
        create_invitations(wave)
        Invitation.objects.filter(wave=wave).update(sent_at=opened)
    Answer.objects.bulk_create(answers.rows, batch_size=2000)
    record(AuditEvent.Action.BULK, project, detail={"loaded": "demo waves", "answers": len(answers.rows)})
    return {"frozen caseload rows": n_frozen, "answers": len(answers.rows)}


def _draw_fraction(rng: random.Random) -> float:
    draw = rng.random()
    for share, answered in _OPEN_WAVE_RESPONSE:
        if draw < share:
            return answered
        draw -= share
    return 0.0


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
        prior_weeks_on_benefit=int(str(row["prior_weeks_on_benefit"])),
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
