"""The demo's collaboration, half-way through: focus areas chosen over time, initiatives, the generated plan
with past meetings attended and minuted and future ones scheduled, shared costs and fees, and experience
logs. Called by :func:`jobtro.organisation.demo.load_demo` after the organisation and logins exist.

Deterministic: a seeded random generator, and the dates follow from the project's start and ``today``.
Everything is bulk-inserted (no per-row audit events); the demo's BULK event counts it, and
:func:`~jobtro.collaboration.planning.apply_plan` records its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from django.contrib.auth.hashers import make_password

from jobtro.collaboration.costs import fees_deferred, recompute_fees
from jobtro.collaboration.models import (
    Activity,
    Experience,
    ExpertTalk,
    FocusArea,
    FocusAreaChoice,
    Initiative,
    LogSharing,
    Participant,
    SharedCost,
)
from jobtro.collaboration.planning import TIMES, apply_plan
from jobtro.collaboration.seed import ensure_focus_areas
from jobtro.organisation.models import Membership, Municipality, Project, Role, Staff, Unit, add_months

_FIRST: Final = ("Mette", "Lars", "Hanne", "Søren", "Camilla", "Jesper", "Louise", "Rasmus", "Pia", "Mads", "Birgitte")
_LAST: Final = ("Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen", "Madsen")

# Round trip to the research centre (Aarhus), km, for the cross-municipal meetings.
_TO_CENTRE: Final = {"0740": 90, "0727": 60, "0540": 420, "0147": 380}

# Each municipality's focus areas over time: (area key, from month, until month or None, builds on).
# Odder switches area half-way; Frederiksberg takes up Silkeborg's area, building on its experience.
_CHOICES: Final = {
    "0740": (("communication", 1, None, None), ("sparring", 8, None, None)),
    "0727": (("relation", 1, 7, None), ("labour_market", 7, None, None)),
    "0540": (("sparring", 1, None, None),),
    "0147": (("labour_market", 1, None, None), ("communication", 8, None, "0740")),
}

# Initiatives by focus area: title, what, why, expected change.
_INITIATIVES: Final = {
    "communication": (
        (
            "Ressourcefokuserede sagsfremstillinger",
            "Teamet omskriver skabelonen for sagsfremstillinger, så borgerens ressourcer, mål og erfaringer står "
            "først, og udfordringerne beskrives som noget, der kan arbejdes med.",
            "Sagsfremstillingen følger borgeren til tilbud og virksomheder og former, hvordan andre ser borgeren.",
            "Mere potentialeorienteret sprog i journaler og visitationer.",
        ),
        (
            "Borgerprofil til virksomheder",
            "En kort profil, borgeren skriver sammen med sagsbehandleren, bruges i kontakten med virksomheder.",
            "Virksomhederne skal møde borgerens kompetencer før diagnoser og ledighedsperioder.",
            "Flere virksomhedspraktikker, der fører til ordinære timer.",
        ),
    ),
    "relation": (
        (
            "Samtaler om jobdrømme",
            "Sagsbehandlerne indleder de første samtaler med borgerens egne jobdrømme og erfaringer.",
            "Borgerne oplever ofte, at samtalerne handler om begrænsninger.",
            "Borgerne oplever større tro på egen jobchance; flere konkrete jobmål i planerne.",
        ),
        (
            "Forforståelser på bordet",
            "En refleksionsøvelse på teammøder, hvor en sag gennemgås med fokus på de forforståelser, der er i spil.",
            "Forforståelser påvirker, hvad vi ser hos borgeren.",
            "Mere nuancerede vurderinger af borgernes arbejdsevne.",
        ),
    ),
    "sparring": (
        (
            "Ugentlig faglig sparring om fastlåste sager",
            "Hver uge tager teamet en fastlåst sag op og leder efter potentialer sammen med teamlederen.",
            "Sagsbehandlerne savner rum til at afprøve deres vurdering, før de konkluderer.",
            "Færre sager, der står stille; flere nye tiltag for borgere med lang ledighed.",
        ),
        (
            "Ledelse der spørger til potentialer",
            "Teamlederne spørger systematisk til borgerens potentialer i sagsgennemgange og ved visitationer.",
            "Kulturen formes af de spørgsmål, ledelsen stiller.",
            "En sparringskultur med et ressource- og potentialebaseret fokus.",
        ),
    ),
    "labour_market": (
        (
            "Virksomhedsbesøg for sagsbehandlere",
            "Sagsbehandlerne besøger to lokale virksomheder hvert kvartal sammen med virksomhedskonsulenterne.",
            "Viden om arbejdsmarkedet ligger hos få medarbejdere.",
            "Bedre match mellem konkrete opgaver på virksomhederne og borgernes kompetencer.",
        ),
        (
            "Fælles jobbank med virksomhedskonsulenterne",
            "En fælles, løbende opdateret oversigt over konkrete opgaver og funktioner hos lokale virksomheder.",
            "Opdateret viden om arbejdsmarkedet skal deles i hele organisationen.",
            "Sagsbehandlerne kan pege på konkrete job i samtalerne.",
        ),
    ),
}

_EXPERTS: Final = (
    ("Hanne Bech", "Institut for Beskæftigelsesforskning", "Forventningers betydning: Pygmalion-effekten i praksis"),
    ("Jonas Vestergaard", "Professionshøjskolen", "Sproget om borgeren i sagsfremstillinger"),
    ("Marianne Kjær", "Center for Ledelse", "Sparringskultur og faglig ledelse i jobcentre"),
)

_LOCAL_NOTES: Final = (
    "Tiltagene er godt i gang, men det kræver tid at få dem ind i den daglige drift.",
    "Flere medarbejdere fortæller, at de stiller andre spørgsmål i samtalerne end før.",
    "Teamlederne oplever, at sparringen har flyttet fokus fra begrænsninger til muligheder.",
    "Det er svært at finde tid til sparring i travle perioder; teamet aftaler faste tidspunkter.",
    "Et konkret eksempel: en borger med lang ledighed er startet i virksomhedspraktik efter en ny samtaleform.",
    "Der er ønske om at dele erfaringerne med de andre kommuner på næste erfaringsmøde.",
)

_EXPERIENCE_TEXTS: Final = (
    "Vi har prøvet at starte samtalen med borgerens egne erfaringer. Det gav en anden stemning, og borgeren "
    "kom selv med forslag til næste skridt.",
    "På teammødet gennemgik vi en sag med fokus på vores forforståelser. Vi blev overraskede over, hvor "
    "forskelligt vi så den samme borger.",
    "Den nye skabelon for sagsfremstilling tager længere tid i starten, men tilbuddene melder tilbage, at de "
    "får et bedre billede af borgeren.",
    "Virksomhedsbesøget gav os konkrete opgaver, vi kan tale med borgerne om. Vi deler dem nu i jobbanken.",
    "Sparringen om fastlåste sager har givet nye idéer i tre sager denne måned.",
)


@dataclass
class _People:
    leaders: list[Staff] = field(default_factory=list)
    keys: list[Staff] = field(default_factory=list)
    caseworkers: list[Staff] = field(default_factory=list)


def _people(municipalities: dict[str, Municipality], start: date, rng: random.Random) -> dict[str, _People]:
    """Each municipality's team leaders, key persons and caseworkers; adds a team leader to every team that
    has none and key persons up to two, as simulated people without a login."""
    people = {code: _People() for code in municipalities}
    for membership in Membership.objects.filter(
        municipality_id__in=municipalities, role__in=(Role.TEAM_LEADER, Role.KEY_PERSON, Role.CASEWORKER)
    ).select_related("staff"):
        code = str(membership.municipality_id)
        group = {Role.TEAM_LEADER: "leaders", Role.KEY_PERSON: "keys", Role.CASEWORKER: "caseworkers"}[
            Role(membership.role)
        ]
        getattr(people[code], group).append(membership.staff)
    led = set(
        Membership.objects.filter(role=Role.TEAM_LEADER, municipality_id__in=municipalities).values_list(
            "unit_id", flat=True
        )
    )
    wanted: list[tuple[str, Role, Unit | None]] = []
    teams = Unit.objects.filter(municipality_id__in=municipalities, kind=Unit.Kind.TEAM).order_by("pk")
    wanted += [(str(team.municipality_id), Role.TEAM_LEADER, team) for team in teams if team.pk not in led]
    for code in sorted(municipalities):
        wanted.extend((code, Role.KEY_PERSON, None) for _ in range(2 - len(people[code].keys)))
    unusable = make_password(None)
    new_staff = []
    for i, (code, role, _unit) in enumerate(wanted):
        username = f"demo-{code}-{role.value.replace('_', '')}-{i}"
        new_staff.append(
            Staff(
                username=username,
                email=f"{username}@demo.jobtro.dk",
                first_name=rng.choice(_FIRST),
                last_name=rng.choice(_LAST),
                password=unusable,
            )
        )
    Staff.objects.bulk_create(new_staff)
    Membership.objects.bulk_create(
        Membership(staff=staff, role=role, municipality=municipalities[code], unit=unit, start=start)
        for staff, (code, role, unit) in zip(new_staff, wanted, strict=True)
    )
    for staff, (code, role, _unit) in zip(new_staff, wanted, strict=True):
        (people[code].leaders if role == Role.TEAM_LEADER else people[code].keys).append(staff)
    for found in people.values():
        found.caseworkers.sort(key=lambda s: s.pk)
    return people


def _agenda(activity: Activity) -> str:
    if activity.kind == Activity.Kind.STARTUP:
        return (
            "1. Velkomst og præsentation af projektet\n2. Resultater fra BIP om troen på borgernes jobchance\n"
            "3. Valg og konkretisering af fokusområder\n4. Aftaler om de første tiltag"
        )
    if activity.kind == Activity.Kind.LOCAL:
        return "1. Status på tiltagene\n2. Erfaringer i dybden\n3. Justeringer og næste skridt"
    return (
        "1. Velkomst\n2. Oplæg ved ekstern ekspert\n3. Erfaringsudveksling på tværs af kommunerne\n"
        "4. Opsamling i forhold til projektets temaer"
    )


def load_collaboration(
    project: Project, municipalities: dict[str, Municipality], today: date, *, seed: int = 2026
) -> dict[str, int]:
    """Load the demo's collaboration for ``project`` (see the module docstring); returns counts for the
    demo's BULK audit event."""
    rng = random.Random(seed * 31 + 6)  # noqa: S311 - demo data, not secrets
    start = project.start_date
    ensure_focus_areas(project)
    areas = {a.key: a for a in FocusArea.objects.filter(project=project)}
    people = _people(municipalities, start, rng)
    teams: dict[str, list[Unit]] = {}
    for team in Unit.objects.filter(municipality_id__in=municipalities, kind=Unit.Kind.TEAM).order_by("pk"):
        teams.setdefault(str(team.municipality_id), []).append(team)
    researcher = Staff.objects.filter(memberships__role=Role.RESEARCHER).order_by("pk").first()

    # Focus areas over time.
    choices = []
    for code, rows in _CHOICES.items():
        if code not in municipalities:
            continue
        for key, from_month, until_month, builds_on in rows:
            choices.append(
                FocusAreaChoice(
                    project=project,
                    municipality=municipalities[code],
                    focus_area=areas[key],
                    start=add_months(start, from_month - 1),
                    end=add_months(start, until_month - 1) if until_month else None,
                    builds_on=municipalities.get(builds_on) if builds_on else None,
                    note=f"Bygger videre på {municipalities[builds_on].name}s erfaringer." if builds_on else "",
                )
            )
    FocusAreaChoice.objects.bulk_create(choices)

    # Initiatives: one or two per chosen area, three at most per municipality.
    initiatives: list[Initiative] = []
    initiative_teams: list[tuple[int, list[Unit]]] = []
    for code in sorted(municipalities):
        mine = [c for c in choices if c.municipality_id == code]
        made = 0
        for choice in mine:
            templates = _INITIATIVES[choice.focus_area.key]
            for title, what, why, expected in templates[: 1 if made or len(mine) > 1 else 2]:
                if made >= 3:
                    break
                begin = choice.start + timedelta(days=30)
                over = choice.end is not None and choice.end <= today
                status = (
                    Initiative.Status.PLANNED
                    if begin > today
                    else (Initiative.Status.COMPLETED if over else Initiative.Status.RUNNING)
                )
                owner = rng.choice(people[code].keys + people[code].leaders)
                initiatives.append(
                    Initiative(
                        project=project,
                        municipality=municipalities[code],
                        focus_area=choice.focus_area,
                        title=title,
                        what=what,
                        why=why,
                        owner=owner,
                        start=begin,
                        end=choice.end,
                        status=status,
                        expected_change=expected,
                        what_happened=(
                            "Tiltaget blev gennemført og afsluttet, da kommunen skiftede fokusområde. "
                            "Erfaringerne er samlet i loggen."
                            if status == Initiative.Status.COMPLETED
                            else ""
                        ),
                    )
                )
                initiative_teams.append((len(initiatives) - 1, teams.get(code, [])[: 1 + made % 2]))
                made += 1
    Initiative.objects.bulk_create(initiatives)
    through = Initiative.teams.through
    through.objects.bulk_create(
        through(initiative_id=initiatives[i].pk, unit_id=team.pk) for i, units in initiative_teams for team in units
    )

    # The plan, and one research visit per municipality by agreement.
    with fees_deferred():
        generated = apply_plan(project)
    visits = []
    for n, code in enumerate(sorted(municipalities)):
        day = start + timedelta(days=120 + 21 * n)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        starts, ends = TIMES[Activity.Format.HALF_DAY]
        visits.append(
            Activity(
                project=project,
                kind=Activity.Kind.RESEARCH_VISIT,
                format=Activity.Format.HALF_DAY,
                municipality=municipalities[code],
                title=f"Observation af teammøde – {municipalities[code].name}",
                day=day,
                starts=starts,
                ends=ends,
                venue=Activity.Venue.MUNICIPALITY,
                venue_municipality=municipalities[code],
            )
        )
    Activity.objects.bulk_create(visits)

    activities = list(Activity.objects.filter(project=project).order_by("day", "pk"))
    participants: list[Participant] = []
    talks: list[ExpertTalk] = []
    costs: list[SharedCost] = []
    expert_index = 0
    soon = today + timedelta(days=60)
    for activity in activities:
        activity.agenda = _agenda(activity)
        past = activity.day < today
        if not past and activity.day > soon:
            continue  # scheduled; nobody invited yet
        invited: list[tuple[Staff, str, int]] = []  # person, municipality, km if attending
        if activity.municipality_id is not None:
            code = str(activity.municipality_id)
            group = people[code]
            if activity.kind == Activity.Kind.STARTUP:
                chosen = group.leaders + group.keys + rng.sample(group.caseworkers, min(6, len(group.caseworkers)))
            elif activity.kind == Activity.Kind.LOCAL:
                chosen = group.keys + group.leaders[:2] + rng.sample(group.caseworkers, min(2, len(group.caseworkers)))
            else:
                chosen = rng.sample(group.caseworkers, min(3, len(group.caseworkers)))
            invited = [(s, code, rng.choice((0, 0, 0, 12, 24))) for s in chosen]
        else:
            for code in sorted(municipalities):
                group = people[code]
                pool = group.keys + group.leaders[:2] + group.caseworkers[:3]
                chosen = pool[: rng.choice((4, 5))]
                invited.extend((s, code, _TO_CENTRE.get(code, 100)) for s in chosen)
        attended_codes: list[str] = []
        for staff, code, km in invited:
            came = rng.random() < 0.9 if past else None
            if came:
                attended_codes.append(code)
            participants.append(
                Participant(
                    activity=activity,
                    staff=staff,
                    municipality=municipalities[code],
                    attended=came,
                    km=Decimal(km if came else 0),
                )
            )
        if researcher is not None:
            participants.append(Participant(activity=activity, staff=researcher, attended=True if past else None))
        if activity.kind == Activity.Kind.EXPERIENCE:
            expert, organisation, topic = _EXPERTS[expert_index % len(_EXPERTS)]
            expert_index += 1
            talks.append(ExpertTalk(activity=activity, expert=expert, organisation=organisation, topic=topic))
            if past:
                costs += [
                    SharedCost(
                        project=project, category=SharedCost.Category.VENUE, description=f"Lokaler: {activity.title}",
                        amount=Decimal("8500.00"), day=activity.day, activity=activity,
                    ),
                    SharedCost(
                        project=project, category=SharedCost.Category.CATERING,
                        description=f"Forplejning: {activity.title}", amount=Decimal(190 * len(attended_codes) + 950),
                        day=activity.day, activity=activity,
                    ),
                    SharedCost(
                        project=project, category=SharedCost.Category.EXPERTS, description=f"Oplæg ved {expert}",
                        amount=Decimal("6000.00"), day=activity.day, activity=activity,
                    ),
                ]  # fmt: skip
        if past:
            activity.minutes = _minutes(activity, municipalities, attended_codes, talks, rng)
    Activity.objects.bulk_update(activities, ["agenda", "minutes"])
    Participant.objects.bulk_create(participants)
    ExpertTalk.objects.bulk_create(talks)
    costs.append(
        SharedCost(
            project=project,
            category=SharedCost.Category.MATERIALS,
            description="Dialogkort og materialer til opstartsmøderne",
            amount=Decimal("3200.00"),
            day=start + timedelta(days=14),
        )
    )
    with fees_deferred():
        SharedCost.objects.bulk_create(costs)
    fee = recompute_fees(project, "Demo: fællesomkostninger indtil i dag", on=today)

    # Experience logs; Silkeborg has opened its log to the other municipalities.
    experiences = []
    for n, initiative in enumerate(i for i in initiatives if i.start < today):
        author = initiative.owner or people[str(initiative.municipality_id)].keys[0]
        for k in range(2):
            day = initiative.start + timedelta(days=20 + 45 * k + n)
            if day >= today:
                break
            experiences.append(
                Experience(
                    project=project,
                    municipality=initiative.municipality,
                    author=author,
                    focus_area=initiative.focus_area,
                    initiative=initiative,
                    day=day,
                    text=_EXPERIENCE_TEXTS[(n + k) % len(_EXPERIENCE_TEXTS)],
                )
            )
    Experience.objects.bulk_create(experiences)
    LogSharing.objects.bulk_create(
        LogSharing(project=project, municipality=m, open=code == "0740") for code, m in sorted(municipalities.items())
    )
    return {
        "focus area choices": len(choices),
        "initiatives": len(initiatives),
        "activities": generated + len(visits),
        "activity participants": len(participants),
        "shared costs": len(costs),
        "fee records": 1 if fee.pk else 0,
        "experiences": len(experiences),
    }


def _minutes(
    activity: Activity,
    municipalities: dict[str, Municipality],
    attended: list[str],
    talks: list[ExpertTalk],
    rng: random.Random,
) -> str:
    notes = " ".join(rng.sample(_LOCAL_NOTES, 2))
    if activity.kind == Activity.Kind.STARTUP:
        return (
            f"Opstartsmøde med {len(attended)} deltagere fra ledelse og medarbejdergrupper. Forskningscentret "
            "præsenterede resultaterne fra BIP om troen på borgernes jobchance. Kommunen drøftede, hvad der "
            "påvirker troen i egen praksis, valgte sit fokusområde og aftalte de første tiltag."
        )
    if activity.kind == Activity.Kind.LOCAL:
        return f"Lokalt møde med nøglepersoner fra ledelse og medarbejdergrupper ({len(attended)} deltog). {notes}"
    if activity.kind == Activity.Kind.EXPERIENCE:
        talk = next((t for t in talks if t.activity is activity), None)
        names = ", ".join(sorted({municipalities[c].name for c in attended}))
        about = f" {talk.expert} holdt oplæg om {talk.topic.lower()}." if talk else ""
        return (
            f"Tværkommunalt erfaringsmøde med {len(attended)} repræsentanter fra {names}.{about} Kommunerne delte "
            f"erfaringer fra deres tiltag og relaterede dem til projektets temaer. {notes}"
        )
    return f"Forskeren observerede et teammøde og talte bagefter med to medarbejdere. {notes}"
