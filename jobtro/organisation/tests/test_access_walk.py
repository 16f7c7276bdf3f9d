"""Walks every URL as every persona and checks exactly the allowed access (200 / 403 / 404 /
redirect), and that lists carry no foreign rows. A new URL fails this test until it is added to
EXPECTED - so no view can slip in without an access decision."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import date, timedelta

from django.contrib import admin
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from jobtro.measurement.actions import default_instrument_version, plan_waves
from jobtro.measurement.models import Wave
from jobtro.outcomes.models import ImportJob, Kind
from jobtro.testing import PersonaTestCase

PERSONAS = [
    "caseworker_a",
    "caseworker_b",
    "team_leader",
    "key_person",
    "data_manager_y",
    "researcher",
    "administrator",
    "outsider",
    "anonymous",
]
WITH_ROLE = [p for p in PERSONAS if p not in ("outsider", "anonymous")]
IN_X = ["caseworker_a", "caseworker_b", "team_leader", "key_person"]


def _expect(default: int, anonymous: int = 302, **overrides: int) -> dict[str, int]:
    table = {p: default for p in PERSONAS}
    table["anonymous"] = anonymous
    table.update(overrides)
    return table


def _roles_only(**overrides: int) -> dict[str, int]:
    return _expect(200, outsider=403, **overrides)


def _upcoming_wave(t: AccessWalkTest) -> Wave:
    """A wave planned to open in a month, whatever the day the tests run."""
    opens = timezone.localdate() + timedelta(days=30)
    wave, _ = Wave.objects.get_or_create(
        project=t.project,
        number=99,
        defaults={
            "name": "Måling 100",
            "opens_on": opens,
            "closes_on": opens + timedelta(days=13),
            "instrument_version": default_instrument_version(),
        },
    )
    return wave


def _import_job(t: AccessWalkTest) -> ImportJob:
    """Data manager Y's upload that stopped with a problem (so its every page exists)."""
    job, _ = ImportJob.objects.get_or_create(
        file_name="status.csv",
        defaults={
            "project": t.project,
            "kind": Kind.STATUS,
            "municipality": t.y,
            "requested_by": t.personas["data_manager_y"],
            "state": ImportJob.State.FAILED,
            "problem_count": 1,
            "problems": [{"row": 2, "column": "cpr", "value": "x", "code": "cpr", "count": 1}],
            "problems_csv": gzip.compress(b"Row;Column;Value;What is wrong\n2;cpr;x;cpr\n"),
        },
    )
    return job


def _activity(t: AccessWalkTest, municipality: str | None) -> int:
    """An activity of the plan: X's or Y's individual meeting, or a cross-municipal one (None)."""
    from jobtro.collaboration.models import Activity

    owner = {"X": t.x, "Y": t.y, None: None}[municipality]
    activity, _ = Activity.objects.get_or_create(
        project=t.project,
        title=f"Møde {municipality or 'tværkommunalt'}",
        defaults={
            "kind": Activity.Kind.LOCAL if owner else Activity.Kind.EXPERIENCE,
            "format": Activity.Format.HALF_DAY,
            "municipality": owner,
            "day": date(2025, 3, 4),
            "venue": Activity.Venue.RESEARCH_CENTRE,
        },
    )
    return activity.pk


UNKNOWN_JOB = "00000000-0000-4000-8000-000000000000"
# Register imports are the data manager's, for their own municipality; a job is seen by its requester and
# the municipality's data managers only, everyone else gets a 404 (outcomes/tests/test_views.py).
_JOB_ACCESS = _expect(404, data_manager_y=200)


_STARTED = date(2025, 1, 6)  # the personas' project start (jobtro.testing.START)


def _initiative(t: AccessWalkTest, municipality: str) -> int:
    """X's or Y's initiative (issue 6); the logs are closed, so only the own municipality sees it."""
    from jobtro.collaboration.models import FocusArea, Initiative
    from jobtro.collaboration.seed import ensure_focus_areas

    ensure_focus_areas(t.project)
    area = FocusArea.objects.filter(project=t.project).first()
    initiative, _ = Initiative.objects.get_or_create(
        project=t.project,
        title=f"Tiltag {municipality}",
        defaults={
            "municipality": {"X": t.x, "Y": t.y}[municipality],
            "focus_area": area,
            "what": "x",
            "start": _STARTED,
        },
    )
    return initiative.pk


def _log_entry(t: AccessWalkTest, municipality: str) -> int:
    """An entry with an attachment in X's or Y's (closed) experience log."""
    from jobtro.collaboration.models import Experience, Initiative

    initiative = Initiative.objects.get(pk=_initiative(t, municipality))
    entry, _ = Experience.objects.get_or_create(
        project=t.project,
        text=f"Erfaring {municipality}",
        defaults={
            "municipality": initiative.municipality,
            "author": t.personas["key_person"] if municipality == "X" else t.personas["data_manager_y"],
            "initiative": initiative,
            "day": _STARTED,
            "attachment_name": "notat.txt",
            "attachment_type": "text/plain",
            "attachment": b"notat",
        },
    )
    return entry.pk


def _focus_area_choice(t: AccessWalkTest) -> int:
    from jobtro.collaboration.models import FocusArea, FocusAreaChoice
    from jobtro.collaboration.seed import ensure_focus_areas

    ensure_focus_areas(t.project)
    area = FocusArea.objects.filter(project=t.project).first()
    assert area is not None
    choice, _ = FocusAreaChoice.objects.get_or_create(
        project=t.project, municipality=t.x, focus_area=area, start=_STARTED
    )
    return choice.pk


# Focus areas, initiatives and the experience log (issue 6; collaboration/tests/test_log_views.py): for
# municipal staff and researchers; initiatives and log entries of a closed log only for the own municipality.
_COLLABORATION = _roles_only(administrator=403)
_LEADERS = _expect(403, key_person=200, team_leader=200, researcher=200)
_OWN_X = _roles_only(administrator=403, data_manager_y=404)
_OWN_Y = _roles_only(administrator=403, **dict.fromkeys(IN_X, 404))


# (url name, case label, how to build the URL from the test case, expected status per persona)
Case = tuple[str, str, Callable[["AccessWalkTest"], str], dict[str, int]]
EXPECTED: list[Case] = [
    ("home", "", lambda t: reverse("home"), _expect(200)),
    ("login", "", lambda t: reverse("login"), _expect(302, anonymous=200)),
    # Logging out is POST only; a GET is refused for everyone.
    ("logout", "", lambda t: reverse("logout"), _expect(405, anonymous=405)),
    # A GET changes nothing and sends the visitor back (the switch itself is a POST form).
    ("set_language", "", lambda t: reverse("set_language"), _expect(302, anonymous=302)),
    ("project", "", lambda t: reverse("project"), _roles_only()),
    ("municipality_list", "", lambda t: reverse("municipality_list"), _roles_only()),
    (
        "municipality_detail",
        "X",
        lambda t: reverse("municipality_detail", args=[t.x.code]),
        _roles_only(data_manager_y=404),
    ),
    (
        "municipality_detail",
        "Y",
        lambda t: reverse("municipality_detail", args=[t.y.code]),
        _roles_only(**dict.fromkeys(IN_X, 404)),
    ),
    (
        "municipality_detail",
        "unknown",
        lambda t: reverse("municipality_detail", args=["9999"]),
        _roles_only(**dict.fromkeys(WITH_ROLE, 404)),
    ),
    (
        "unit_detail",
        "team in X",
        lambda t: reverse("unit_detail", args=[t.team_x1.pk]),
        _roles_only(data_manager_y=404),
    ),
    (
        "unit_detail",
        "team in Y",
        lambda t: reverse("unit_detail", args=[t.team_y1.pk]),
        _roles_only(**dict.fromkeys(IN_X, 404)),
    ),
    ("staff_list", "", lambda t: reverse("staff_list"), _roles_only()),
    (
        "citizen_list",
        "",
        lambda t: reverse("citizen_list"),
        _expect(403, caseworker_a=200, caseworker_b=200, data_manager_y=200, researcher=200),
    ),
    (
        "citizen_detail",
        "A's citizen",
        lambda t: reverse("citizen_detail", args=[t.citizen_a.pseudonym]),
        _expect(403, caseworker_a=200, caseworker_b=404, data_manager_y=404, researcher=200),
    ),
    (
        "citizen_detail",
        "moved from A to B",
        lambda t: reverse("citizen_detail", args=[t.citizen_moved.pseudonym]),
        _expect(403, caseworker_a=404, caseworker_b=200, data_manager_y=404, researcher=200),
    ),
    (
        "citizen_detail",
        "citizen in Y",
        lambda t: reverse("citizen_detail", args=[t.citizen_y.pseudonym]),
        _expect(403, caseworker_a=404, caseworker_b=404, data_manager_y=200, researcher=200),
    ),
    ("audit_log", "", lambda t: reverse("audit_log"), _expect(403, researcher=200, administrator=200)),
    # Caseload imports are the data manager's, for their own municipality (measurement/tests/
    # test_caseload_import_web.py posts files, also for another municipality).
    ("caseload_import", "", lambda t: reverse("caseload_import"), _expect(403, data_manager_y=200)),
    # The rating page and the own answers are the caseworker's. The baseline wave (planned, not opened)
    # shows caseworkers a calm message; an unknown wave is not found.
    (
        "rate_wave",
        "baseline",
        lambda t: reverse("rate_wave", args=[plan_waves(t.project)[0].pk]),
        _expect(403, caseworker_a=200, caseworker_b=200),
    ),
    (
        "rate_wave",
        "unknown",
        lambda t: reverse("rate_wave", args=[999999]),
        _expect(403, caseworker_a=404, caseworker_b=404),
    ),
    # Answers are POST only; a GET is refused for everyone (measurement/tests/test_rating*.py post them).
    ("rate_answer", "", lambda t: reverse("rate_answer", args=[1]), _expect(405, anonymous=405)),
    ("my_answers", "", lambda t: reverse("my_answers"), _expect(403, caseworker_a=200, caseworker_b=200)),
    # The pseudonymised answer export is for researchers only (test_export_views.py downloads it).
    ("answer_export", "", lambda t: reverse("answer_export"), _expect(403, researcher=200)),
    # Waves, the instrument and response rates are the researchers' (measurement/tests/test_waves*.py,
    # test_instrument*.py); planning and opening are POST only, so a researcher's GET is refused.
    ("instrument_detail", "", lambda t: reverse("instrument_detail"), _expect(403, researcher=200)),
    ("instrument_edit", "", lambda t: reverse("instrument_edit"), _expect(403, researcher=200)),
    ("waves_home", "", lambda t: reverse("waves_home"), _expect(403, researcher=302)),
    ("wave_list", "", lambda t: reverse("wave_list", args=[t.project.pk]), _expect(403, researcher=200)),
    ("wave_list", "unknown", lambda t: reverse("wave_list", args=[999999]), _expect(403, researcher=404)),
    ("wave_plan", "", lambda t: reverse("wave_plan", args=[t.project.pk]), _expect(403, researcher=405)),
    ("response_rates", "", lambda t: reverse("response_rates", args=[t.project.pk]), _expect(403, researcher=200)),
    (
        "wave_edit",
        "upcoming",
        lambda t: reverse("wave_edit", args=[_upcoming_wave(t).pk]),
        _expect(403, researcher=200),
    ),
    (
        "wave_open",
        "upcoming",
        lambda t: reverse("wave_open", args=[_upcoming_wave(t).pk]),
        _expect(403, researcher=405),
    ),
    # The single-use link needs no login; an unknown token is not found for anyone
    # (measurement/tests/test_invitations*.py use real ones).
    ("import", "", lambda t: reverse("outcomes:import"), _expect(403, data_manager_y=200)),
    ("import_job", "Y's", lambda t: reverse("outcomes:import_job", args=[_import_job(t).pk]), _JOB_ACCESS),
    ("import_job", "unknown", lambda t: reverse("outcomes:import_job", args=[UNKNOWN_JOB]), _expect(404)),
    (
        "import_job_status",
        "Y's",
        lambda t: reverse("outcomes:import_job_status", args=[_import_job(t).pk]),
        _JOB_ACCESS,
    ),
    (
        "import_job_problems",
        "Y's",
        lambda t: reverse("outcomes:import_job_problems", args=[_import_job(t).pk]),
        _JOB_ACCESS,
    ),
    # The activity plan (issue 6; collaboration/tests/test_views.py): municipal staff see their own
    # municipality's and the cross-municipal activities; only researchers move them (POST only).
    ("timeline", "", lambda t: reverse("collaboration:timeline"), _roles_only()),
    ("my_calendar", "", lambda t: reverse("collaboration:my_calendar"), _roles_only()),
    (
        "activity_detail",
        "X's",
        lambda t: reverse("collaboration:activity_detail", args=[_activity(t, "X")]),
        _roles_only(data_manager_y=404),
    ),
    (
        "activity_detail",
        "Y's",
        lambda t: reverse("collaboration:activity_detail", args=[_activity(t, "Y")]),
        _roles_only(**dict.fromkeys(IN_X, 404)),
    ),
    (
        "activity_detail",
        "cross-municipal",
        lambda t: reverse("collaboration:activity_detail", args=[_activity(t, None)]),
        _roles_only(),
    ),
    (
        "activity_detail",
        "unknown",
        lambda t: reverse("collaboration:activity_detail", args=[999999]),
        _roles_only(**dict.fromkeys(WITH_ROLE, 404)),
    ),
    (
        "activity_move",
        "X's",
        lambda t: reverse("collaboration:activity_move", args=[_activity(t, "X")]),
        _expect(403, researcher=405),
    ),
    # Adding and editing activities, invitations, attendance and expert talks are the researchers' own
    # (collaboration/tests/test_activity_editing.py posts them); everyone else is refused before the lookup.
    ("activity_create", "", lambda t: reverse("collaboration:activity_create"), _expect(403, researcher=200)),
    (
        "activity_edit",
        "Y's",
        lambda t: reverse("collaboration:activity_edit", args=[_activity(t, "Y")]),
        _expect(403, researcher=200),
    ),
    (
        "activity_edit",
        "unknown",
        lambda t: reverse("collaboration:activity_edit", args=[999999]),
        _expect(403, researcher=404),
    ),
    (
        "activity_participants",
        "cross-municipal",
        lambda t: reverse("collaboration:activity_participants", args=[_activity(t, None)]),
        _expect(403, researcher=200),
    ),
    (
        "activity_participants",
        "unknown",
        lambda t: reverse("collaboration:activity_participants", args=[999999]),
        _expect(403, researcher=404),
    ),
    (
        "activity_talks",
        "X's",
        lambda t: reverse("collaboration:activity_talks", args=[_activity(t, "X")]),
        _expect(403, researcher=200),
    ),
    (
        "activity_talks",
        "unknown",
        lambda t: reverse("collaboration:activity_talks", args=[999999]),
        _expect(403, researcher=404),
    ),
    # Feeds need no login, only a live token (collaboration/tests/test_ical_feed.py uses real ones).
    (
        "calendar_feed",
        "unknown",
        lambda t: reverse("collaboration:calendar_feed", args=["x" * 43]),
        _expect(404, anonymous=404),
    ),
    (
        "municipality_feed",
        "unknown",
        lambda t: reverse("collaboration:municipality_feed", args=["x" * 43]),
        _expect(404, anonymous=404),
    ),
    # Costs and fees (collaboration/tests/test_costs_page.py): the centre, key persons, team leaders and data
    # managers; caseworkers and people without a role are refused. Only researchers change anything (POST).
    (
        "costs",
        "",
        lambda t: reverse("collaboration:costs"),
        _expect(403, team_leader=200, key_person=200, data_manager_y=200, researcher=200, administrator=200),
    ),
    ("index", "", lambda t: reverse("areas:index"), _COLLABORATION),
    ("choose", "", lambda t: reverse("areas:choose"), _LEADERS),
    # Ending a choice is POST only (test_log_views.py posts it).
    ("choice_end", "X's", lambda t: reverse("areas:choice_end", args=[_focus_area_choice(t)]), _expect(405)),
    ("focus_area_add", "", lambda t: reverse("areas:focus_area_add"), _expect(403, researcher=200)),
    ("initiative_list", "", lambda t: reverse("areas:initiative_list"), _COLLABORATION),
    ("initiative_detail", "X's", lambda t: reverse("areas:initiative_detail", args=[_initiative(t, "X")]), _OWN_X),
    ("initiative_detail", "Y's", lambda t: reverse("areas:initiative_detail", args=[_initiative(t, "Y")]), _OWN_Y),
    (
        "initiative_detail",
        "unknown",
        lambda t: reverse("areas:initiative_detail", args=[999999]),
        _roles_only(administrator=403, **dict.fromkeys([*IN_X, "data_manager_y", "researcher"], 404)),
    ),
    ("initiative_create", "", lambda t: reverse("areas:initiative_create"), _LEADERS),
    ("initiative_edit", "X's", lambda t: reverse("areas:initiative_edit", args=[_initiative(t, "X")]), _LEADERS),
    (
        "initiative_edit",
        "Y's",
        lambda t: reverse("areas:initiative_edit", args=[_initiative(t, "Y")]),
        _expect(403, key_person=404, team_leader=404, researcher=200),
    ),
    ("log", "", lambda t: reverse("areas:log"), _COLLABORATION),
    # Opening or closing the log is POST only (test_log_views.py posts it).
    ("log_sharing", "", lambda t: reverse("areas:log_sharing"), _expect(405)),
    ("log_attachment", "X's", lambda t: reverse("areas:log_attachment", args=[_log_entry(t, "X")]), _OWN_X),
    ("log_attachment", "Y's", lambda t: reverse("areas:log_attachment", args=[_log_entry(t, "Y")]), _OWN_Y),
    ("invitation_login", "unknown", lambda t: reverse("invitation_login", args=["x" * 9]), _expect(404, anonymous=404)),
]


def _named_patterns(patterns: list[URLPattern | URLResolver], prefix: str = "") -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace == "admin":
                continue  # the admin is walked separately below
            names |= _named_patterns(p.url_patterns, prefix)
        elif p.name:
            names.add(p.name)
    return names


class AccessWalkTest(PersonaTestCase):
    def _get(self, persona: str, url: str) -> int:
        self.client.logout()
        if persona != "anonymous":
            self.login(persona)
        return self.client.get(url).status_code

    def test_it_has_an_expectation_for_every_url(self) -> None:
        self.assertEqual(_named_patterns(get_resolver().url_patterns), {name for name, *_ in EXPECTED})

    def test_it_gives_every_persona_exactly_the_allowed_access(self) -> None:
        failures = []
        for name, label, build, expected in EXPECTED:
            url = build(self)
            for persona in PERSONAS:
                got = self._get(persona, url)
                if got != expected[persona]:
                    failures.append(f"{name} {label} ({url}) as {persona}: got {got}, expected {expected[persona]}")
        self.assertEqual(failures, [])

    def test_it_opens_the_admin_to_administrators_only(self) -> None:
        urls = [reverse("admin:index")] + [
            reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for model in admin.site._registry
        ]
        for url in urls:
            for persona in PERSONAS:
                got = self._get(persona, url)
                want = 200 if persona == "administrator" else 302
                self.assertEqual(got, want, f"{url} as {persona}")


class NoForeignRowsTest(PersonaTestCase):
    def _page(self, persona: str, name: str) -> str:
        self.login(persona)
        response = self.client.get(reverse(name))
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_it_lists_only_own_municipalities(self) -> None:
        for persona in IN_X:
            page = self._page(persona, "municipality_list")
            self.assertIn("Silkeborg", page)
            self.assertNotIn("Odder", page)
        page = self._page("data_manager_y", "municipality_list")
        self.assertIn("Odder", page)
        self.assertNotIn("Silkeborg", page)

    def test_it_lists_only_colleagues_in_own_municipality(self) -> None:
        page = self._page("caseworker_a", "staff_list")
        self.assertIn("Caseworker_B", page)
        self.assertNotIn("Caseworker_Y", page)
        page = self._page("data_manager_y", "staff_list")
        self.assertIn("Caseworker_Y", page)
        self.assertNotIn("Caseworker_A", page)

    def test_it_lists_a_caseworkers_own_current_caseload_only(self) -> None:
        page = self._page("caseworker_a", "citizen_list")
        self.assertIn("Anna Andersen", page)
        self.assertIn("Bo Berg", page)
        for foreign in ("Carl Clausen", "Dorte Dahl", "Erik Eriksen"):
            self.assertNotIn(foreign, page)
        self.assertNotIn("010190-1235", page, "caseworkers see name and birth date, not the CPR number")

    def test_it_lists_a_data_managers_municipality_only(self) -> None:
        page = self._page("data_manager_y", "citizen_list")
        self.assertIn("Dorte Dahl", page)
        self.assertIn("040475-1238", page)
        for foreign in ("Anna Andersen", "Bo Berg", "Carl Clausen", "Erik Eriksen"):
            self.assertNotIn(foreign, page)

    def test_it_never_shows_a_researcher_a_name_or_cpr_number(self) -> None:
        self.login("researcher")
        citizens = [self.citizen_a, self.citizen_a2, self.citizen_b, self.citizen_y, self.citizen_moved]
        pages = [self.client.get(reverse("citizen_list")).content.decode()]
        pages += [self.client.get(reverse("citizen_detail", args=[c.pseudonym])).content.decode() for c in citizens]
        secrets = [
            "Anna",
            "Andersen",
            "Bo Berg",
            "Carl",
            "Dorte",
            "Erik",
            "0101901235",
            "010190-1235",
            "040475-1238",
            "0404751238",
            "0505701239",
        ]
        for page in pages:
            for secret in secrets:
                self.assertNotIn(secret, page)
        for c in citizens:
            self.assertIn(c.pseudonym, pages[0])


class AdministratorRoleTest(PersonaTestCase):
    def test_it_opens_the_admin_to_an_administrator_who_is_not_a_superuser(self) -> None:
        from jobtro.organisation.models import Membership, Role, Staff

        user = Staff.objects.create(username="plain_admin")
        self.assertFalse(user.is_staff)
        Membership.objects.create(staff=user, role=Role.ADMINISTRATOR, start=date(2025, 1, 1))
        user.refresh_from_db()
        self.assertTrue(user.is_staff, "granting the role opens the admin's login form")
        self.client.force_login(user)
        self.assertEqual(self.client.get(reverse("admin:organisation_unit_changelist")).status_code, 200)
        self.assertEqual(self.client.get(reverse("admin:organisation_unit_add")).status_code, 200)

        Membership.objects.filter(staff=user).update(end=date(2025, 6, 1))  # the role has ended
        self.assertEqual(self.client.get(reverse("admin:index")).status_code, 302)

    def test_it_closes_the_admin_when_the_role_is_removed(self) -> None:
        admin_user = self.personas["administrator"]
        for membership in admin_user.memberships.all():
            membership.delete()
        admin_user.refresh_from_db()
        self.assertFalse(admin_user.is_staff)


# Expectation feedback (issue 7, point 5; reports/tests/test_feedback.py): a caseworker's own answers only;
# the calibration page is the researchers'.
EXPECTED.extend(
    [
        ("feedback", "", lambda t: reverse("insight:feedback"), _expect(403, caseworker_a=200, caseworker_b=200)),
        ("calibration", "", lambda t: reverse("insight:calibration"), _expect(403, researcher=200)),
    ]
)

# Has belief moved? (issue 7, point 3; reports/tests/test_belief_page.py): researchers, team leaders and key
# persons; with no stored analysis the page says so.
EXPECTED.extend(
    [
        (
            "belief",
            "",
            lambda t: reverse("insight:belief"),
            _expect(403, team_leader=200, key_person=200, researcher=200),
        ),
    ]
)


# Stored analyses and the live BIP analysis (issue 7, points 1-2; analysis/tests/test_results_pages.py): the
# analyses and their runs are the researchers'; the BIP page is for researchers, team leaders and key
# persons; the run button is a POST (a GET is refused once logged in).
def _analysis_result(t: AccessWalkTest) -> int:
    from jobtro.analysis.models import AnalysisResult

    result, _ = AnalysisResult.objects.get_or_create(
        project=t.project, kind="bip", defaults={"fingerprint": "0" * 64, "state": "failed", "error": "x"}
    )
    return result.pk


EXPECTED.extend(
    [
        ("analyses", "", lambda t: reverse("insight:analyses"), _expect(403, researcher=200)),
        ("analysis_run", "bip", lambda t: reverse("insight:analysis_run", args=["bip"]), _expect(405)),
        (
            "analysis_detail",
            "",
            lambda t: reverse("insight:analysis_detail", args=[_analysis_result(t)]),
            _expect(403, researcher=200),
        ),
        (
            "analysis_detail",
            "unknown",
            lambda t: reverse("insight:analysis_detail", args=[999999]),
            _expect(403, researcher=404),
        ),
        ("bip", "", lambda t: reverse("insight:bip"), _expect(403, team_leader=200, key_person=200, researcher=200)),
    ]
)

# Meeting packs (issue 7, point 8; reports/tests/test_packs.py): researchers, and key persons and team leaders
# for their own municipality's meetings and the cross-municipal ones; another municipality's meeting is a 404.
_PACKS = _expect(403, team_leader=200, key_person=200, researcher=200)
EXPECTED.extend(
    [
        ("packs", "", lambda t: reverse("insight:packs"), _PACKS),
        ("pack_activity", "X's", lambda t: reverse("insight:pack_activity", args=[_activity(t, "X")]), _PACKS),
        (
            "pack_activity",
            "Y's",
            lambda t: reverse("insight:pack_activity", args=[_activity(t, "Y")]),
            _expect(403, team_leader=404, key_person=404, researcher=200),
        ),
        ("pack_activity", "cross", lambda t: reverse("insight:pack_activity", args=[_activity(t, None)]), _PACKS),
        (
            "pack_activity",
            "unknown",
            lambda t: reverse("insight:pack_activity", args=[999999]),
            _expect(403, team_leader=404, key_person=404, researcher=404),
        ),
        ("pack_final", "", lambda t: reverse("insight:pack_final"), _PACKS),
    ]
)

# What shapes belief? (issue 7, point 4; analysis/tests/test_drivers_live.py): researchers, team leaders
# and key persons; with no stored analysis the page says so.
EXPECTED.extend(
    [
        (
            "drivers",
            "",
            lambda t: reverse("insight:drivers"),
            _expect(403, team_leader=200, key_person=200, researcher=200),
        ),
    ]
)


# The insight index (issue 7): whoever may open at least one insight page.
EXPECTED.extend(
    [
        (
            "index",
            "",
            lambda t: reverse("insight:index"),
            _expect(200, data_manager_y=403, administrator=403, outsider=403),
        ),
    ]
)
