"""The home page as each role's dashboard (issue 7, point 6): a caseworker's own wave status and feedback link,
a leader's team aggregates under disclosure control (no cell under the threshold, no hidden cell recoverable
from the totals shown), a researcher's unsuppressed overview, and a number of queries that does not grow with
the number of teams, caseworkers or citizens."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from unittest import mock

from django.db import connection
from django.test import SimpleTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from jobtro.lib.disclosure import Table, Unknown, determined
from jobtro.measurement.actions import default_instrument_version, open_wave
from jobtro.measurement.invitations import create_invitations
from jobtro.measurement.models import Answer, Citizen, Item, Wave
from jobtro.organisation import access
from jobtro.organisation.models import Membership, Municipality, Project, Role, Staff, Unit
from jobtro.reports import dashboard
from jobtro.testing import START, PersonaTestCase, make_citizen

fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

_serial = itertools.count(1)


def new_citizen(municipality: Municipality, caseworker: Staff) -> Citizen:
    """A citizen with a fresh (well-formed) CPR number in the caseworker's current caseload."""
    i = next(_serial)
    cpr = f"{i % 28 + 1:02d}{i // 28 % 12 + 1:02d}90{1000 + i:04d}"
    return make_citizen(municipality, cpr, f"Borger {i}", caseworker)


def open_wave_now(project: Project, number: int = 50) -> Wave:
    """A wave open today (opened now, so it freezes today's caseloads) with invitations for its caseworkers."""
    today = timezone.localdate()
    wave = Wave.objects.create(
        project=project,
        number=number,
        name=f"Måling {number}",
        opens_on=today - timedelta(days=3),
        closes_on=today + timedelta(days=10),
        instrument_version=default_instrument_version(),
    )
    open_wave(wave)
    create_invitations(wave)
    return wave


def rate(wave: Wave, caseworker: Staff, levels: Sequence[int | None], *, general: bool = True) -> None:
    """The caseworker's answers in the wave: one level (None: "don't know") per citizen of their frozen
    caseload, in citizen order, then (``general``) the general items. Each citizen is first given another
    answer that is then changed, so only the answer in force must count."""
    items = {i.key: i for i in Item.objects.filter(version_id=wave.instrument_version_id)}
    citizens = list(
        wave.caseload.filter(caseworker=caseworker).order_by("citizen_id").values_list("citizen_id", flat=True)
    )
    now = timezone.now()
    rows = []
    for citizen_id, level in zip(citizens, levels, strict=False):
        first = 1 if level != 1 else 2
        rows.append(
            Answer(
                wave=wave,
                item=items["specific_belief"],
                caseworker=caseworker,
                citizen_id=citizen_id,
                value=first,
                request_id=uuid.uuid4(),
                received_at=now - timedelta(minutes=5),
            )
        )
        rows.append(
            Answer(
                wave=wave,
                item=items["specific_belief"],
                caseworker=caseworker,
                citizen_id=citizen_id,
                value=level,
                dont_know=level is None,
                request_id=uuid.uuid4(),
                received_at=now,
            )
        )
    if general:
        rows.extend(
            Answer(
                wave=wave,
                item=items[key],
                caseworker=caseworker,
                value=value,
                request_id=uuid.uuid4(),
                received_at=now,
            )
            for key, value in (("general_believes", 1), ("general_share", 40))
        )
    Answer.objects.bulk_create(rows)


# Team 1 (caseworker A and four colleagues) and team 2 (caseworker B and four colleagues) in X: the levels their
# caseworkers give, dealt round the team's five caseworkers.
LEVELS_A: list[int | None] = [5] * 6 + [4] * 7 + [3] * 2 + [None]
LEVELS_B: list[int | None] = [5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4, 2]
PER_TEAM = 5


def build(case: Any) -> Wave:
    """Five caseworkers in each of X's two teams, with caseloads big enough for some cells to be shown and some
    hidden, rate them in an open wave. Everyone in team 1 finishes; in team 2, B leaves the general items."""
    team1 = Unit.objects.get(municipality=case.x, name="Team 1")
    team2 = Unit.objects.get(municipality=case.x, name="Team 2")
    plan: list[tuple[Staff, list[int | None], bool]] = []
    for team, first, levels in ((team1, "caseworker_a", LEVELS_A), (team2, "caseworker_b", LEVELS_B)):
        staff = [case.personas[first]]
        for k in range(1, PER_TEAM):
            colleague = Staff.objects.create(username=f"{team.name.replace(' ', '').lower()}-{k}")
            Membership.objects.create(
                staff=colleague, role=Role.CASEWORKER, municipality=case.x, unit=team, start=START
            )
            staff.append(colleague)
        for k, caseworker in enumerate(staff):
            mine = levels[k::PER_TEAM]
            have = Citizen.objects.filter(assignments__caseworker=caseworker, assignments__end__isnull=True).count()
            for _ in range(len(mine) - have):
                new_citizen(case.x, caseworker)
            plan.append((caseworker, mine, first != "caseworker_b" or k > 0))
    wave = open_wave_now(case.project)
    for caseworker, mine, finishes in plan:
        rate(wave, caseworker, mine, general=finishes)
    return wave


def expected(levels: Sequence[int | None]) -> list[int]:
    return [sum(1 for v in levels if v == level) for level in (5, 4, 3, 2, 1)] + [levels.count(None)]


def hidden_of(table: Table) -> set[Unknown]:
    hidden: set[Unknown] = set()
    for i, row in enumerate(table.cells):
        hidden |= {("cell", i, j) for j, c in enumerate(row) if c.suppressed}
    hidden |= {("row", i, 0) for i, c in enumerate(table.row_totals) if c.suppressed}
    hidden |= {("col", j, 0) for j, c in enumerate(table.column_totals) if c.suppressed}
    return hidden | ({("total", 0, 0)} if table.total.suppressed else set())


def shown_values(table: Table) -> list[int]:
    cells = [c for row in table.cells for c in row] + [*table.row_totals, *table.column_totals, table.total]
    return [c.value for c in cells if c.value is not None]


@fast_passwords
class CaseworkerDashboardTestCase(PersonaTestCase):
    def test_it_shows_the_open_wave_with_how_much_is_rated_and_days_left(self) -> None:
        wave = open_wave_now(self.project)
        a = self.personas["caseworker_a"]
        rate(wave, a, [4])  # one of the two citizens still A's (the moved one is B's now)
        self.login("caseworker_a")
        response = self.client.get(reverse("home"))
        [own] = response.context["own_waves"]
        self.assertEqual((own.frozen, own.rated, own.days_left), (2, 1, 10))
        self.assertEqual(own.url, reverse("rate_wave", args=[wave.pk]))
        self.assertContains(response, f'href="{own.url}"')
        self.assertContains(response, "1 / 2")
        rate(wave, a, [4, 3])
        [own] = self.client.get(reverse("home")).context["own_waves"]
        self.assertEqual((own.rated, own.done), (2, True))

    def test_a_leaders_team_table_total_is_disclosure_controlled_too(self) -> None:
        self.login("team_leader")  # each team in X has 2 citizens in current caseloads
        [section] = self.client.get(reverse("home")).context["leader_sections"]
        self.assertEqual([r["citizens"].value for r in section["teams"]], [None, None])
        self.assertEqual(section["teams_total"]["citizens"].value, None)  # 4 is small
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=2):
            [section] = self.client.get(reverse("home")).context["leader_sections"]
        self.assertEqual(section["teams_total"]["citizens"].value, 4)

    def test_it_says_so_when_no_wave_is_open(self) -> None:
        self.login("caseworker_a")
        response = self.client.get(reverse("home"))
        self.assertEqual(response.context["own_waves"], [])
        self.assertContains(response, 'data-testid="no-open-wave"')

    def test_it_links_own_feedback_only_when_access_allows(self) -> None:
        self.login("caseworker_a")
        with mock.patch.object(access, "can_view_own_feedback", lambda user: True):
            self.assertContains(self.client.get(reverse("home")), 'data-testid="feedback-link"')
        with mock.patch.object(access, "can_view_own_feedback", lambda user: False):
            self.assertNotContains(self.client.get(reverse("home")), 'data-testid="feedback-link"')


@fast_passwords
class LeaderDashboardTestCase(PersonaTestCase):
    wave: Wave

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.wave = build(cls)

    def section(self, persona: str) -> dict[str, Any]:
        self.login(persona)
        response = self.client.get(reverse("home"))
        self.assertEqual(response.status_code, 200)
        [section] = response.context["leader_sections"]
        self.html = response.content.decode()
        return dict(section)

    def test_the_belief_table_shows_no_small_cell_and_no_recoverable_one(self) -> None:
        for persona in ("team_leader", "key_person"):
            with self.subTest(persona=persona):
                beliefs = self.section(persona)["beliefs"]
                self.assertEqual(beliefs.row_labels, ["Team 1", "Team 2"])
                self.assertEqual(beliefs.counts, [expected(LEVELS_A), expected(LEVELS_B)])
                table = beliefs.table
                self.assertTrue(all(v == 0 or v >= 5 for v in shown_values(table)), table)
                hidden = hidden_of(table)
                self.assertTrue(hidden, "the table has small cells, so something must be hidden")
                self.assertEqual(determined(beliefs.counts, hidden), set())
                # What is shown is the truth, and the page shows the hidden marker where a cell is hidden.
                for i, row in enumerate(table.cells):
                    for j, c in enumerate(row):
                        self.assertIn(c.value, (None, beliefs.counts[i][j]))
                self.assertIn('class="suppressed"', self.html)

    def test_no_number_under_the_threshold_reaches_the_page(self) -> None:
        section = self.section("team_leader")
        tables = [section["beliefs"], section["response"].table, section["belief_waves"]]
        for two_way in tables:
            self.assertTrue(all(v == 0 or v >= 5 for v in shown_values(two_way.table)), two_way.counts)
            self.assertEqual(determined(two_way.counts, hidden_of(two_way.table)), set())
        # The cells in the page itself: every number in a leader table cell is 0 or at least the threshold.
        for testid in ("leader-beliefs", "leader-response", "leader-belief-waves"):
            block = re.search(rf'data-testid="{testid}".*?</table>', self.html, re.S)
            assert block is not None, testid
            numbers = re.findall(r'<td class="num"[^>]*>(\d+)</td>', block.group(0))
            self.assertTrue(numbers, testid)
            for number in numbers:
                self.assertTrue(int(number) == 0 or int(number) >= 5, (testid, number))

    def test_a_rate_resting_on_hidden_cells_or_too_few_is_not_shown(self) -> None:
        response = self.section("team_leader")["response"]
        self.assertEqual(response.table.counts, [[5, 0], [4, 1]])
        team2 = response.teams[1]
        self.assertIsNone(team2.share)  # its cells (4 and 1) are hidden
        self.assertIn("for få til at vise", self.html)
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=6):  # five caseworkers a team: pooled
            response = self.section("team_leader")["response"]
        self.assertEqual(response.table.row_labels, ["Andre teams"])
        self.assertEqual(response.table.counts, [[9, 1]])
        self.assertEqual([t.share for t in response.teams], [None])  # "1 not finished" is hidden, so is the rate
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=11):  # ten caseworkers in all: too few
            response = self.section("team_leader")["response"]
        self.assertEqual((response.table.counts, response.teams, response.total), ([], [], None))
        self.assertIn('data-testid="leader-response-too-few"', self.html)

    def test_the_threshold_setting_rules_and_then_rates_come_with_ci_and_n(self) -> None:
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=1):
            section = self.section("team_leader")
        self.assertFalse(section["beliefs"].any_suppressed)
        team1, team2 = section["response"].teams
        assert team1.share is not None and team2.share is not None
        self.assertEqual((team1.share.k, team1.share.n), (5, 5))
        self.assertEqual((team2.share.k, team2.share.n), (4, 5))
        self.assertLess(team2.share.low, team2.share.high)
        rates = re.search(r'data-testid="leader-response-rates".*?</ul>', self.html, re.S)
        assert rates is not None
        self.assertIn('<span class="jobtro-share">80 %</span>', rates.group(0))
        self.assertIn("(95 %-KI 38–96 %; n = 5)", rates.group(0))  # Wilson's interval for 4 of 5

    def test_teams_with_too_few_caseworkers_are_pooled_never_shown_alone(self) -> None:
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=6):  # five caseworkers per team are too few
            section = self.section("team_leader")
        beliefs = section["beliefs"]
        self.assertEqual(beliefs.row_labels, ["Andre teams"])
        self.assertEqual(beliefs.counts, [[a + b for a, b in zip(expected(LEVELS_A), expected(LEVELS_B), strict=True)]])
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=11):  # even all ten are too few
            section = self.section("team_leader")
        self.assertIsNone(section["beliefs"])
        self.assertIsNone(section["belief_waves"])
        self.assertNotIn('data-testid="leader-beliefs"', self.html)

    def test_a_researcher_sees_the_counts_unsuppressed(self) -> None:
        self.login("researcher")
        response = self.client.get(reverse("home"))
        research = response.context["research"]
        beliefs = research["belief_waves"]
        self.assertFalse(beliefs.any_suppressed)
        total = [a + b for a, b in zip(expected(LEVELS_A), expected(LEVELS_B), strict=True)]
        self.assertEqual([c.value for c in beliefs.table.cells[-1]], total)
        rows = {r.label: r.cells[-1] for r in research["response_rows"]}
        assert rows["Silkeborg"] is not None and rows["Odder"] is not None
        self.assertEqual((rows["Silkeborg"].k, rows["Silkeborg"].n), (9, 10))
        self.assertEqual((rows["Odder"].k, rows["Odder"].n), (0, 1))  # unsuppressed although one caseworker

    def test_a_leader_in_two_municipalities_gets_a_section_for_each(self) -> None:
        leader = self.personas["team_leader"]
        Membership.objects.create(staff=leader, role=Role.KEY_PERSON, municipality=self.y, start=START)
        self.login("team_leader")
        sections = self.client.get(reverse("home")).context["leader_sections"]
        self.assertEqual([s["municipality"].code for s in sections], ["0727", "0740"])
        # Odder's section counts Odder's one caseworker only - and shows nothing resting on them alone.
        odder = sections[0]["response"]
        self.assertEqual((odder.invited, odder.table.counts), (True, []))  # one caseworker: never shown alone
        with override_settings(JOBTRO_DISCLOSURE_THRESHOLD=1):
            sections = self.client.get(reverse("home")).context["leader_sections"]
        self.assertEqual(sections[0]["response"].table.counts, [[0, 1]])

    def test_other_roles_get_no_leader_section(self) -> None:
        for persona in ("caseworker_a", "data_manager_y", "researcher", "administrator", "outsider"):
            with self.subTest(persona=persona):
                self.login(persona)
                self.assertNotIn("leader_sections", self.client.get(reverse("home")).context)


@fast_passwords
class DashboardQueriesTestCase(PersonaTestCase):
    """The page runs as many queries with twelve teams as with two."""

    def queries(self, persona: str) -> int:
        self.login(persona)
        self.client.get(reverse("home"))  # warm: session, content types, translations
        with CaptureQueriesContext(connection) as captured:
            self.assertEqual(self.client.get(reverse("home")).status_code, 200)
        return len(captured)

    def grow(self, teams: int, wave_number: int) -> None:
        """More teams in X, each with two caseworkers and their citizens, and a new open wave (freezing the grown
        caseloads) in which every caseworker added so far rates. Two caseworkers are too few for a team row of
        their own, so the leaders' belief table pools them (dashboard.pooled)."""
        centre = Unit.objects.get(municipality=self.x, kind=Unit.Kind.JOB_CENTRE)
        start = Unit.objects.filter(municipality=self.x, kind=Unit.Kind.TEAM).count()
        for t in range(start, start + teams):
            team = Unit.objects.create(municipality=self.x, parent=centre, kind=Unit.Kind.TEAM, name=f"Team x{t}")
            for c in range(2):
                staff = Staff.objects.create(username=f"cw-{t}-{c}")
                Membership.objects.create(
                    staff=staff, role=Role.CASEWORKER, municipality=self.x, unit=team, start=START
                )
                for _ in range(3):
                    new_citizen(self.x, staff)
        wave = open_wave_now(self.project, number=wave_number)
        for staff in Staff.objects.filter(username__startswith="cw-"):
            rate(wave, staff, [4, 3, None])

    def test_queries_do_not_grow_with_teams_caseworkers_and_citizens(self) -> None:
        self.grow(teams=3, wave_number=50)  # every part of every dashboard has something to show
        wave = Wave.objects.get(project=self.project, number=50)
        rate(wave, self.personas["caseworker_a"], [4, 5])
        personas = ("caseworker_a", "team_leader", "key_person", "researcher")
        before = {p: self.queries(p) for p in personas}
        self.grow(teams=10, wave_number=51)
        after = {p: self.queries(p) for p in personas}
        self.assertEqual(after, before)
        self.assertLess(max(after.values()), 60, after)
        self.login("team_leader")
        [section] = self.client.get(reverse("home")).context["leader_sections"]
        self.assertEqual(section["beliefs"].row_labels, ["Andre teams"])  # the pooled path was measured


BIP_RESULT: dict[str, Any] = {
    "n": {"rows": 400, "citizens": 120, "events": 45, "caseworkers": 12},
    "effects": [
        {"name": "belief", "hr": 1.31, "ci_low": 1.1, "ci_high": 1.56, "p": 0.002},
        {"name": "general", "hr": 1.2, "ci_low": 0.9, "ci_high": 1.6, "p": 0.2},
        {"name": "changed", "hr": None, "ci_low": None, "ci_high": None, "p": None, "reason": "too few events"},
    ],
    "municipalities": [
        {
            "code": "0740",
            "name": "Silkeborg",
            "n": {"citizens": 4},
            "effects": [{"name": "belief", "hr": 2.0, "ci_low": 1.0, "ci_high": 4.0}],
        },
    ],
}


@fast_passwords
class StoredAnalysesOnDashboardsTestCase(PersonaTestCase):
    def store(self, **fields: Any) -> Any:
        from jobtro.analysis.models import AnalysisResult

        defaults: dict[str, Any] = {"project": self.project, "kind": "bip", "state": "done", "fingerprint": "0" * 64}
        return AnalysisResult.objects.create(**{**defaults, **fields, "finished": timezone.now()})

    def test_leaders_see_the_bip_headline_with_cis_n_and_a_staleness_note(self) -> None:
        self.store(result=BIP_RESULT)  # its fingerprint is not the data's: stale
        self.login("team_leader")
        with (
            mock.patch.object(access, "can_view_bip", lambda user: True),
            mock.patch.object(access, "bip_municipalities", lambda user: {"0740"}),
        ):
            response = self.client.get(reverse("home"))
        [project] = response.context["bip"]  # Silkeborg's rests on 4 citizens: not shown to a leader
        self.assertEqual([e.name for e in project.effects], ["belief", "general"])  # "changed" has no estimate
        self.assertTrue(project.stale)
        self.assertContains(response, 'data-testid="bip-stale"')
        self.assertContains(response, "1,31")
        self.assertContains(response, "1,10–1,56")
        self.assertContains(response, "n = 120 borgere")

    def test_no_headline_without_access_or_without_a_result(self) -> None:
        self.login("team_leader")
        with mock.patch.object(access, "can_view_bip", lambda user: True):
            self.assertEqual(self.client.get(reverse("home")).context["bip"], [])
        self.store(result=BIP_RESULT)
        with mock.patch.object(access, "can_view_bip", lambda user: False):
            self.assertEqual(self.client.get(reverse("home")).context["bip"], [])

    def test_researchers_see_each_analysis_state_and_staleness(self) -> None:
        from jobtro.analysis import runs

        current, _inputs = runs.data_fingerprint(self.project)
        self.store(result=BIP_RESULT, fingerprint=current)
        self.store(kind="belief", result={}, fingerprint="1" * 64)
        self.store(kind="drivers", state="failed", error="Too few answers")
        self.login("researcher")
        rows = {r.kind: r for r in self.client.get(reverse("home")).context["research"]["analyses"]}
        self.assertEqual((rows["bip"].state, rows["bip"].stale), ("done", False))
        self.assertEqual((rows["belief"].state, rows["belief"].stale), ("done", True))
        self.assertEqual(
            (rows["drivers"].state, rows["drivers"].stale, rows["drivers"].error), ("failed", None, "Too few answers")
        )
        self.assertEqual((rows["calibration"].state, rows["calibration"].when), ("", None))


class PooledTestCase(SimpleTestCase):
    """Rows of answers resting on fewer caseworkers than the threshold (5) are pooled, smallest first."""

    def pool(self, sizes: list[int], researcher: bool = False) -> tuple[list[str], list[list[int]]] | None:
        labels = [f"T{i}" for i in range(len(sizes))]
        counts = [[size, 1] for size in sizes]
        people = [set(range(100 * i, 100 * i + size)) for i, size in enumerate(sizes)]
        with mock.patch.object(access, "aggregates_unsuppressed", lambda user: researcher):
            return dashboard.pooled(None, labels, counts, people)  # type: ignore[arg-type]

    def test_small_rows_are_pooled_when_together_they_are_enough(self) -> None:
        self.assertEqual(self.pool([6, 2, 3]), (["T0", "Andre teams"], [[6, 1], [5, 2]]))

    def test_a_pool_too_small_takes_in_the_smallest_other_row(self) -> None:
        self.assertEqual(self.pool([9, 6, 2]), (["T0", "Andre teams"], [[9, 1], [8, 2]]))

    def test_too_few_in_all_is_nothing(self) -> None:
        self.assertIsNone(self.pool([2, 2]))

    def test_researchers_see_every_row(self) -> None:
        self.assertEqual(self.pool([2, 1], researcher=True), (["T0", "T1"], [[2, 1], [1, 1]]))
