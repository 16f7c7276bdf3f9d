"""A caseworker's expectation feedback: only their own answers count (a citizen who moved from A to B counts
for A's answer and for B's later one), the numbers are those of a direct Kaplan-Meier computation, small
numbers are not shown as shares, and the project's pooled shares never let one colleague be read off.

The data go the whole path: belief answers and imported weekly status -> build_spells -> the feedback.
Outcomes (weeks after the answer week; no event = benefit for 60 weeks, followed past the horizon):

| caseworker | wave | level | citizens | outcomes                                                        |
|------------|------|-------|----------|-----------------------------------------------------------------|
| A          | 0    | 2     | 6 + moved| job in week 5, 10; 4 none; moved: job in week 30 -> 3 of 7       |
| A          | 0    | 4     | 5        | job in week 3, 8; censored after 20 weeks; 2 none -> KM 0.4      |
| A          | 0    | 5     | Anna     | none (1 citizen: too few)                                       |
| A          | 0    | ?     | Bo       | "Ved ikke", none (too few)                                      |
| B          | 0    | 2     | 6        | 5 jobs, 1 none -> 5 of 6                                        |
| B          | 0    | 4     | 5        | none                                                            |
| B          | 1    | 4     | moved    | job 17 weeks after B's answer                                   |
| C          | 0    | 2     | 5        | none                                                            |
| C          | 0    | 4     | 5        | jobs in weeks 1-5                                               |
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock

import polars as pl
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from statsmodels.stats.proportion import proportion_confint

from jobtro.analysis import calibration_live
from jobtro.lib.outcome_files import week_index, week_label
from jobtro.measurement.actions import default_instrument_version
from jobtro.measurement.identity import pseudonym_for
from jobtro.measurement.models import Answer, Citizen, Item, Wave
from jobtro.organisation import access
from jobtro.organisation.models import Membership, Municipality, Project, Role, Staff, Unit
from jobtro.outcomes.imports import import_status
from jobtro.outcomes.models import SpellBuild
from jobtro.outcomes.spells import build_spells
from jobtro.reports import feedback
from jobtro.stats.km import kaplan_meier
from jobtro.testing import START, PersonaTestCase, make_citizen

W0 = week_index(START)
# jobtro.testing's citizens: Anna Andersen and Bo Berg (A's), Erik Eriksen (moved from A to B)
ANNA_CPR, BO_CPR, MOVED_CPR = "0101901235", "0202851236", "0505701239"
NONE = "B" * 60  # on benefit for 60 weeks: no event, followed past the 52-week horizon


def job_in(week: int, length: int = 60) -> str:
    return "B" * week + "J" * (length - week)


@dataclass
class Built:
    """What :func:`build_feedback_data` made."""

    caseworker_c: Staff
    specific: Item
    general: Item
    wave0: Wave
    wave1: Wave
    rated: dict[str, set[int]]  # caseworker username -> citizen ids they rated
    build: SpellBuild


def answer(item: Item, wave: Wave, caseworker: Staff, citizen: Citizen | None, value: int | None, day: date) -> None:
    Answer.objects.create(
        wave=wave, item=item, caseworker=caseworker, citizen=citizen, value=value, dont_know=value is None,
        request_id=uuid.uuid4(), received_at=datetime.combine(day, clock(10), tzinfo=timezone.get_current_timezone()),
    )  # fmt: skip


def build_feedback_data(project: Project, personas: dict[str, Staff]) -> Built:
    """The table in the module docstring on top of jobtro.testing's personas (also for the browser test):
    answers, a weekly-status import for Silkeborg and a spell build."""
    x = Municipality.objects.get(code="0740")
    team = Unit.objects.get(municipality=x, name="Team 2")
    moved, anna, bo = (Citizen.objects.get(pseudonym=pseudonym_for(cpr)) for cpr in (MOVED_CPR, ANNA_CPR, BO_CPR))
    version = default_instrument_version()
    specific = version.items.get(key="specific_belief")
    general = version.items.get(key="general_share")
    wave0 = Wave.objects.create(
        project=project, number=0, name="0", opens_on=START, closes_on=START + timedelta(days=13),
        instrument_version=version,
    )  # fmt: skip
    wave1 = Wave.objects.create(
        project=project, number=1, name="1", opens_on=START + timedelta(weeks=13),
        closes_on=START + timedelta(weeks=15), instrument_version=version,
    )  # fmt: skip
    c = Staff.objects.create(username="caseworker_c", first_name="Caseworker_C")
    Membership.objects.create(staff=c, role=Role.CASEWORKER, municipality=x, unit=team, start=START)
    a, b = personas["caseworker_a"], personas["caseworker_b"]
    rated: dict[str, set[int]] = {"caseworker_a": set(), "caseworker_b": set(), "caseworker_c": set()}
    status: list[str] = []
    serial = iter(range(100, 999))

    def weeks(cpr: str, codes: str) -> None:
        status.extend(f"{cpr};{week_label(W0 + i)};{'job' if s == 'J' else 'benefit'}" for i, s in enumerate(codes))

    def citizen(caseworker: Staff, codes: str) -> Citizen:
        n = next(serial)
        cpr = f"{1 + n % 28:02d}0{1 + n % 9}80{n:04d}"
        weeks(cpr, codes)
        return make_citizen(x, cpr, f"Borger {n}", caseworker)

    def rate(wave: Wave, caseworker: Staff, person: Citizen, value: int | None, day: date) -> None:
        answer(specific, wave, caseworker, person, value, day)
        rated[caseworker.username].add(person.pk)

    wed = START + timedelta(days=2)
    # A
    for codes in (job_in(5), job_in(10), NONE, NONE, NONE, NONE):
        rate(wave0, a, citizen(a, codes), 2, wed)
    for codes in (job_in(3), job_in(8), "B" * 20, NONE, NONE):
        rate(wave0, a, citizen(a, codes), 4, wed)
    rate(wave0, a, anna, 5, wed)
    rate(wave0, a, bo, None, wed)
    rate(wave0, a, moved, 2, wed)
    weeks(ANNA_CPR, NONE)
    weeks(BO_CPR, NONE)
    weeks(MOVED_CPR, job_in(30))
    # B, and the moved citizen's later answer by B
    for codes in (job_in(1), job_in(2), job_in(4), job_in(6), job_in(9), NONE):
        rate(wave0, b, citizen(b, codes), 2, wed)
    for _ in range(5):
        rate(wave0, b, citizen(b, NONE), 4, wed)
    rate(wave1, b, moved, 4, wed + timedelta(weeks=13))
    # C
    for _ in range(5):
        rate(wave0, c, citizen(c, NONE), 2, wed)
    for week in range(1, 6):
        rate(wave0, c, citizen(c, job_in(week)), 4, wed)
    # Each caseworker's general share in wave 0 (for the calibration tests).
    for caseworker, share in ((a, 20), (b, 80), (c, 50)):
        answer(general, wave0, caseworker, None, share, wed)
    data = ("cpr;uge;status\n" + "\n".join(status) + "\n").encode()
    outcome = import_status(data, project=project, municipality=x)
    assert outcome.ok, outcome.problems
    return Built(c, specific, general, wave0, wave1, rated, build_spells(project))


class FeedbackData(PersonaTestCase):
    """The table in the module docstring, built through answers, a status import and build_spells."""

    caseworker_c: Staff
    specific: Item
    wave0: Wave
    wave1: Wave
    rated: dict[str, set[int]]
    build: SpellBuild

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        built = build_feedback_data(cls.project, cls.personas)
        cls.caseworker_c, cls.specific, cls.wave0, cls.wave1 = (
            built.caseworker_c,
            built.specific,
            built.wave0,
            built.wave1,
        )
        cls.rated, cls.build = built.rated, built.build

    def feedback_for(self, username: str) -> feedback.Feedback:
        user = self.caseworker_c if username == "caseworker_c" else self.personas[username]
        return feedback.own_feedback(self.build, user, self.project)


def _level(result: feedback.Feedback, level: int) -> feedback.LevelFeedback:
    return next(r for r in result.levels if r.level == level)


class OwnCitizensOnlyTest(FeedbackData):
    def test_it_holds_exactly_the_caseworkers_own_rated_citizens(self) -> None:
        for username in ("caseworker_a", "caseworker_b", "caseworker_c"):
            result = self.feedback_for(username)
            self.assertEqual(result.citizen_ids, frozenset(self.rated[username]), username)
        a, b = self.feedback_for("caseworker_a"), self.feedback_for("caseworker_b")
        # The citizen who moved from A to B counts for A's answer and for B's later one.
        self.assertIn(self.citizen_moved.pk, a.citizen_ids)
        self.assertIn(self.citizen_moved.pk, b.citizen_ids)
        self.assertNotIn(self.citizen_b.pk, a.citizen_ids)
        self.assertEqual(_level(a, 2).own.answers, 7)  # 6 + the moved citizen, at A's level 2
        self.assertEqual(_level(b, 4).own.answers, 6)  # 5 + the moved citizen, at B's level 4
        self.assertEqual(a.answers, 7 + 5 + 1 + 1)

    def test_the_page_shows_a_their_own_numbers_and_not_bs(self) -> None:
        self.login("caseworker_a")
        page = self.client.get(reverse("insight:feedback"))
        self.assertEqual(page.status_code, 200)
        own = self._cell(page.content.decode(), "own-2")
        self.assertIn("43\u00a0%", own)  # 3 of A's 7
        self.assertNotIn("83\u00a0%", page.content.decode())  # B's 5 of 6 appears nowhere on A's page
        self.assertContains(page, "Af de borgere, du vurderede „Nej, sandsynligvis ikke“, kom 43\u00a0% i job")
        self.assertContains(page, "I hele projektet: 44\u00a0%")  # A, B and C pooled: 8 of 18

        self.login("caseworker_b")
        page = self.client.get(reverse("insight:feedback"))
        self.assertIn("83\u00a0%", self._cell(page.content.decode(), "own-2"))
        self.assertNotIn("43\u00a0%", self._cell(page.content.decode(), "own-2"))

    def test_no_name_or_cpr_number_is_on_the_page(self) -> None:
        self.login("caseworker_a")
        page = self.client.get(reverse("insight:feedback")).content.decode()
        for secret in ("Anna", "Andersen", "Erik", "Borger 1", "0101901235", "010190-1235", MOVED_CPR):
            self.assertNotIn(secret, page)

    def test_only_caseworkers_have_feedback_and_only_their_own_answers(self) -> None:
        a = self.personas["caseworker_a"]
        self.assertTrue(access.can_view_own_feedback(a))
        for persona in ("team_leader", "key_person", "researcher", "administrator", "data_manager_y", "outsider"):
            self.assertFalse(access.can_view_own_feedback(self.personas[persona]), persona)
            self.assertFalse(access.feedback_answers(self.personas[persona]).exists(), persona)
        answers = access.feedback_answers(a)
        self.assertEqual(set(answers.values_list("caseworker_id", flat=True)), {a.pk})
        self.assertEqual(set(answers.values_list("item__key", flat=True)), {"specific_belief"})  # no general answers
        self.assertEqual(set(answers.values_list("citizen_id", flat=True)), self.rated["caseworker_a"])

    @staticmethod
    def _cell(page: str, testid: str) -> str:
        match = re.search(rf'data-testid="{testid}">(.*?)</td>', page, re.DOTALL)
        assert match is not None, testid
        return match.group(1)


class NumbersTest(FeedbackData):
    def test_shares_equal_a_direct_computation(self) -> None:
        a = self.feedback_for("caseworker_a")
        level2 = _level(a, 2).own
        self.assertTrue(level2.shown)
        self.assertAlmostEqual(level2.share or 0, 3 / 7, places=12)  # nobody censored: events / n
        self.assertEqual((level2.events, level2.citizens), (3, 7))
        # Wilson's score interval for 3 of 7, as statsmodels computes it.
        low, high = proportion_confint(3, 7, alpha=0.05, method="wilson")
        self.assertAlmostEqual(level2.ci_low or 0, low, places=10)
        self.assertAlmostEqual(level2.ci_high or 0, high, places=10)

        # Level 4 has a citizen censored after 20 weeks: Kaplan-Meier (jobtro.stats.km), time = duration + event.
        level4 = _level(a, 4).own
        direct = kaplan_meier(
            pl.DataFrame({"t": [4, 9, 20, 52, 52], "e": [1, 1, 0, 0, 0]}), duration="t", event="e"
        ).survival_at([52])
        self.assertAlmostEqual(level4.share or 0, 1 - direct["survival"][0], places=12)
        self.assertAlmostEqual(level4.share or 0, 0.4, places=12)
        self.assertAlmostEqual(level4.ci_low or 0, 1 - direct["upper"][0], places=12)
        self.assertAlmostEqual(level4.ci_high or 0, 1 - direct["lower"][0], places=12)

    def test_few_citizens_give_no_share(self) -> None:
        a = self.feedback_for("caseworker_a")
        for level in (5, calibration_live.DONT_KNOW):
            own = _level(a, level).own
            self.assertEqual((own.answers, own.shown, own.share, own.ci_low), (1, False, None, None))
        self.login("caseworker_a")
        page = self.client.get(reverse("insight:feedback"))
        self.assertContains(page, "Borgere, du vurderede „Ja, helt sikkert“: for få borgere endnu (1 borger).")

    def test_project_shares_pool_everyone_but_never_reveal_one_colleague(self) -> None:
        a = self.feedback_for("caseworker_a")
        pooled = _level(a, 2).project
        self.assertTrue(pooled.shown)
        self.assertAlmostEqual(pooled.share or 0, (3 + 5 + 0) / (7 + 6 + 5), places=12)
        self.assertEqual(pooled.citizens, 18)
        # Level 5: only A's own citizen -> nothing pooled to show.
        self.assertFalse(_level(a, 5).project.shown)
        # Without C, A's colleagues at level 2 are B alone: A could subtract and read B's share, so it is hidden
        # although B's six citizens are above the threshold.
        spells = calibration_live.spells_frame(self.build).filter(pl.col("caseworker_id") != self.caseworker_c.pk)
        without_c = feedback.own_feedback(self.build, self.personas["caseworker_a"], self.project, spells=spells)
        self.assertFalse(_level(without_c, 2).project.shown)
        self.assertIsNone(_level(without_c, 2).project.share)
        self.assertTrue(_level(without_c, 2).own.shown)

    def test_a_zero_share_has_a_wide_interval(self) -> None:
        b = self.feedback_for("caseworker_b")
        own = _level(b, 4).own  # 5 with no event, and the moved citizen 17 weeks after B's answer
        self.assertAlmostEqual(own.share or 0, 1 / 6, places=12)
        c = self.feedback_for("caseworker_c")
        zero = _level(c, 2).own  # 0 of 5, nobody censored: Wilson 0-43 %
        self.assertEqual(zero.share, 0.0)
        self.assertAlmostEqual(zero.ci_high or 0, proportion_confint(0, 5, alpha=0.05, method="wilson")[1], places=10)

    def test_it_is_cheap_enough_to_compute_per_request(self) -> None:
        started = time.perf_counter()
        for _ in range(5):
            self.feedback_for("caseworker_a")
        self.assertLess((time.perf_counter() - started) / 5, 1.0)


class FeedbackPageTest(FeedbackData):
    def test_it_draws_the_own_shares_with_a_text_alternative(self) -> None:
        self.login("caseworker_a")
        page = self.client.get(reverse("insight:feedback")).content.decode()
        self.assertIn('role="img"', page)
        self.assertIn('<figure class="jobtro-plot">', page)
        caption = re.search(r"<figcaption>(.*?)</figcaption>", page, re.DOTALL)
        assert caption is not None
        self.assertIn("43\u00a0%", caption.group(1))
        self.assertIn("for få borgere endnu", caption.group(1))

    def test_it_speaks_english_when_asked(self) -> None:
        self.login("caseworker_a")
        self.client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        page = self.client.get(reverse("insight:feedback"))
        self.assertContains(
            page, "Of the citizens you rated \u201cNo, probably not\u201d, 43\u00a0% got a job or education"
        )
        self.assertContains(page, "Citizens you rated \u201cYes, certainly\u201d: too few citizens yet (1 citizen).")

    def test_without_outcomes_it_says_so(self) -> None:
        SpellBuild.objects.all().delete()
        self.login("caseworker_a")
        page = self.client.get(reverse("insight:feedback"))
        self.assertContains(page, 'data-testid="no-outcomes"')
        self.assertNotContains(page, "<figure")

    def test_a_caseworker_without_rated_citizens_sees_a_calm_message(self) -> None:
        self.login("caseworker_a")
        Answer.objects.filter(caseworker=self.personas["caseworker_a"]).delete()
        page = self.client.get(reverse("insight:feedback"))
        self.assertContains(page, 'data-testid="no-own-outcomes"')

    def test_others_are_refused(self) -> None:
        for persona in ("team_leader", "researcher", "administrator", "outsider"):
            self.login(persona)
            self.assertEqual(self.client.get(reverse("insight:feedback")).status_code, 403, persona)
