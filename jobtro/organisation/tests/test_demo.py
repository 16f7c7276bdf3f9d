"""The demo loader (jobtro.organisation.demo): a whole simulated collaboration in four
municipalities, loaded once, consistent with the models' rules, with a working login per role."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.conf import settings
from django.db.models import Count, Q
from django.test import TestCase
from django.urls import reverse

from jobtro.audit.models import AuditEvent
from jobtro.lib.cpr import parse
from jobtro.lib.encryption import FieldCipher
from jobtro.measurement.identity import pseudonym_for
from jobtro.measurement.models import Answer, CaseworkerAssignment, Citizen, Wave
from jobtro.organisation.demo import DEMO_PASSWORD, PROJECT_NAME, DemoSummary, load_demo
from jobtro.organisation.models import Membership, Participation, Project, Role, Staff, Unit

TODAY = date(2026, 11, 27)  # a Friday
CODES = {"0740", "0727", "0540", "0147"}
MODELS = (Project, Participation, Unit, Staff, Membership, Citizen, CaseworkerAssignment, AuditEvent)
HOME_SECTION = {
    "sagsbehandler": "home-caseworker",
    "teamleder": "home-leader",
    "noegleperson": "home-leader",
    "datamanager": "home-data-manager",
    "forsker": "home-researcher",
    "admin": "home-administrator",
}


class DemoLoaderTestCase(TestCase):
    summary: DemoSummary
    project: Project

    @classmethod
    def setUpTestData(cls) -> None:
        # Only the BIP analysis: the others are their parts' tests, and the demo computes them all by default.
        cls.summary = load_demo(today=TODAY, analyses=["bip"])
        cls.project = cls.summary.project

    def test_it_creates_the_project_a_year_before_today(self) -> None:
        self.assertTrue(self.summary.created)
        self.assertEqual(Project.objects.get().name, PROJECT_NAME)
        # The Monday of today's week, 53 weeks earlier (so the month-12 wave is open today).
        self.assertEqual(self.project.start_date, date(2025, 11, 17))
        self.assertEqual(self.project.start_date.weekday(), 0)
        self.assertEqual(self.project.duration_months, 24)
        self.assertEqual(self.project.month_number(TODAY), 13)

    def test_it_lets_the_four_municipalities_take_part(self) -> None:
        participations = Participation.objects.filter(project=self.project)
        self.assertEqual({p.municipality_id for p in participations}, CODES)
        self.assertTrue(all(p.joined == self.project.start_date and p.left is None for p in participations))
        self.assertEqual(self.summary.counts["municipalities"], 4)

    def test_it_builds_a_job_centre_department_team_tree_in_each(self) -> None:
        for code in CODES:
            with self.subTest(code=code):
                units = list(Unit.objects.filter(municipality_id=code).select_related("parent"))
                [centre] = [u for u in units if u.kind == Unit.Kind.JOB_CENTRE]
                departments = [u for u in units if u.kind == Unit.Kind.DEPARTMENT]
                teams = [u for u in units if u.kind == Unit.Kind.TEAM]
                self.assertIsNone(centre.parent_id)
                self.assertTrue(departments and all(d.parent_id == centre.pk for d in departments))
                self.assertTrue(teams)
                self.assertTrue(all(t.parent is not None and t.parent.kind == Unit.Kind.DEPARTMENT for t in teams))
                for unit in units:
                    unit.clean()  # the loader obeys the tree's rules
        self.assertFalse(Unit.objects.exclude(municipality_id__in=CODES).exists())
        self.assertEqual(Unit.objects.filter(kind=Unit.Kind.TEAM).count(), self.summary.counts["teams"])

    def test_it_places_every_caseworker_in_a_team_of_their_municipality(self) -> None:
        memberships = Membership.objects.filter(role=Role.CASEWORKER).select_related("unit")
        self.assertEqual(memberships.count(), self.summary.counts["caseworkers"])
        self.assertEqual(memberships.values("staff").distinct().count(), self.summary.counts["caseworkers"])
        for m in memberships:
            self.assertEqual(m.unit.kind, Unit.Kind.TEAM)
            self.assertEqual(m.unit.municipality_id, m.municipality_id)
            self.assertEqual(m.start, self.project.start_date)
            self.assertIsNone(m.end)
        self.assertEqual(Counter(m.municipality_id for m in memberships).keys(), CODES)

    def test_it_stores_citizens_pseudonymised_with_encrypted_identities(self) -> None:
        box = FieldCipher(settings.JOBTRO_ENCRYPTION_KEYS)
        citizens = list(Citizen.objects.all())
        self.assertEqual(len(citizens), self.summary.counts["citizens"])
        self.assertGreater(len(citizens), 100)
        for citizen in citizens:
            self.assertFalse(citizen.cpr_encrypted[:20].isdigit())
            cpr = parse(box.decrypt(citizen.cpr_encrypted))
            self.assertEqual(citizen.pseudonym, pseudonym_for(cpr.number))
            self.assertEqual((citizen.birth_year, citizen.female), (cpr.birth_date.year, cpr.female))
            self.assertNotIn(cpr.number, citizen.name_encrypted)
            self.assertTrue(box.decrypt(citizen.name_encrypted).strip())
        self.assertEqual({c.municipality_id for c in citizens}, CODES)

    def test_it_gives_every_citizen_a_caseworker_history(self) -> None:
        no_history = Citizen.objects.filter(assignments__isnull=True)
        self.assertEqual(list(no_history.values_list("pseudonym", flat=True)), [])
        self.assertEqual(CaseworkerAssignment.objects.count(), self.summary.counts["assignments"])

    def test_it_gives_a_citizen_at_most_one_current_caseworker(self) -> None:
        several = Citizen.objects.annotate(n=Count("assignments", filter=Q(assignments__end__isnull=True))).filter(
            n__gt=1
        )
        self.assertFalse(several.exists())
        self.assertTrue(CaseworkerAssignment.objects.current().exists())

    def test_it_loads_no_future(self) -> None:
        self.assertFalse(CaseworkerAssignment.objects.filter(start__gt=TODAY).exists())
        self.assertFalse(CaseworkerAssignment.objects.filter(end__gt=TODAY).exists())
        self.assertFalse(CaseworkerAssignment.objects.filter(start__lt=self.project.start_date).exists())

    def test_it_assigns_citizens_to_caseworkers_of_their_own_municipality(self) -> None:
        home = dict(Membership.objects.filter(role=Role.CASEWORKER).values_list("staff_id", "municipality_id"))
        pairs = CaseworkerAssignment.objects.values_list("caseworker_id", "citizen__municipality_id")
        self.assertTrue(all(home[caseworker] == code for caseworker, code in pairs))

    def test_it_lets_each_demo_login_in_to_its_role_home(self) -> None:
        self.assertEqual({login.username for login in self.summary.logins}, set(HOME_SECTION))
        for username, section in HOME_SECTION.items():
            with self.subTest(username=username):
                self.client.logout()
                response = self.client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
                self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)
                response = self.client.get(reverse("home"))
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, f'data-testid="{section}"')
        self.client.logout()
        self.client.post(reverse("login"), {"username": "sagsbehandler", "password": DEMO_PASSWORD})
        self.assertGreater(self.client.get(reverse("home")).context["caseload_size"], 0)

    def test_it_gives_the_simulated_caseworkers_no_usable_password(self) -> None:
        usable = [s.username for s in Staff.objects.all() if s.has_usable_password()]
        self.assertEqual(sorted(usable), sorted(HOME_SECTION))

    def test_it_writes_bulk_events_for_what_it_loads_in_bulk(self) -> None:
        [event] = AuditEvent.objects.filter(action=AuditEvent.Action.BULK, detail__loaded="demo collaboration")
        self.assertEqual((event.object_type, event.object_id), ("organisation.Project", str(self.project.pk)))
        self.assertEqual(event.detail["citizens"], self.summary.counts["citizens"])
        self.assertEqual(event.detail["loaded"], "demo collaboration")
        # Bulk inserts bypass the per-row events: the citizens are covered by the one BULK event.
        self.assertFalse(AuditEvent.objects.filter(object_type="measurement.Citizen").exists())

        [waves] = AuditEvent.objects.filter(action=AuditEvent.Action.BULK, detail__loaded="demo waves")
        # The belief items' answers; the staff questionnaire's come in their own BULK event (staff_demo).
        self.assertEqual(waves.detail["answers"], Answer.objects.exclude(item__scope="staff").count())

    def test_it_has_closed_waves_answered_and_one_open_wave_partly_answered(self) -> None:
        waves = list(Wave.objects.filter(project=self.project).order_by("number"))
        self.assertEqual(len(waves), 9)  # baseline, then every 3 months for 24 months
        closed = [w for w in waves if w.closes_on < TODAY]
        [open_wave] = [w for w in waves if w.opens_on <= TODAY <= w.closes_on]
        self.assertEqual([w.number for w in closed], [0, 1, 2, 3])
        self.assertIsNotNone(open_wave.opened_at)
        for wave in closed:
            frozen = wave.caseload.count()
            answered = wave.answers.filter(item__key="specific_belief").count()
            self.assertGreater(answered, 0.8 * frozen, wave)  # most caseworkers answered
            self.assertLessEqual(answered, frozen)
        frozen = open_wave.caseload.count()
        answered = open_wave.answers.filter(item__key="specific_belief").count()
        self.assertTrue(0.2 * frozen < answered < 0.7 * frozen, (answered, frozen))  # realistic partial response
        started = open_wave.answers.values("caseworker").distinct().count()
        invited = open_wave.caseload.values("caseworker").distinct().count()
        self.assertTrue(0 < started < invited)
        # The demo caseworker has started but not finished.
        demo = Staff.objects.get(username="sagsbehandler")
        mine = open_wave.answers.filter(caseworker=demo, item__key="specific_belief").count()
        self.assertTrue(0 < mine < open_wave.caseload.filter(caseworker=demo).count())
        # Every answer is about a citizen in the answering caseworker's frozen caseload.
        for answer in open_wave.answers.filter(item__key="specific_belief"):
            self.assertTrue(open_wave.caseload.filter(caseworker=answer.caseworker, citizen=answer.citizen).exists())

    def test_it_creates_nothing_the_second_time(self) -> None:
        before = {model: model.objects.count() for model in MODELS}
        again = load_demo(today=TODAY)
        self.assertFalse(again.created)
        self.assertEqual(again.project, self.project)
        self.assertEqual({login.username for login in again.logins}, set(HOME_SECTION))
        self.assertEqual({model: model.objects.count() for model in MODELS}, before)

    def test_it_invited_every_caseworker_with_a_frozen_caseload(self) -> None:
        from jobtro.measurement.invitations import response_rates

        waves = list(Wave.objects.filter(project=self.project, opened_at__isnull=False))
        for wave in waves:
            invited = set(wave.invitations.filter(sent_at__isnull=False).values_list("caseworker_id", flat=True))
            self.assertEqual(invited, set(wave.caseload.values_list("caseworker_id", flat=True)))
        rates = response_rates(waves)
        open_wave = next(w for w in waves if w.closes_on >= TODAY)
        total = rates[open_wave.pk].total
        self.assertTrue(0 < total.completed < total.started < total.invited, total)

    def test_it_gives_every_citizen_the_simulated_prior_weeks_on_benefit(self) -> None:
        from dataclasses import replace

        from jobtro.stats.simulate import demo_config, simulate

        sim = simulate(replace(demo_config(), start=self.project.start_date))
        expected = {
            pseudonym_for(cpr): weeks for cpr, weeks in sim.citizens.select("cpr", "prior_weeks_on_benefit").iter_rows()
        }
        stored = dict(Citizen.objects.values_list("pseudonym", "prior_weeks_on_benefit"))
        self.assertEqual(stored, expected)

    def test_it_ends_by_computing_the_analyses(self) -> None:
        from jobtro.analysis import runs

        result = runs.latest(self.project, "bip")
        assert result is not None
        self.assertFalse(runs.is_stale(result))
        self.assertEqual(self.summary.counts["analyses computed"], 1)


class DemoAnalysesTestCase(TestCase):
    def test_by_default_the_demo_computes_every_installed_analysis(self) -> None:
        from unittest import mock

        from jobtro.analysis import runs

        computed: list[str] = []

        def run_now(project: Project, kind: str, **kwargs: object) -> object:
            computed.append(kind)
            return mock.Mock(state="done", State=mock.Mock(DONE="done"))

        with (
            mock.patch.object(runs, "available_kinds", return_value=["bip", "drivers"]),
            mock.patch.object(runs, "run_now", run_now),
        ):
            summary = load_demo(today=TODAY)
        self.assertEqual(computed, ["bip", "drivers"])
        self.assertEqual(summary.counts["analyses computed"], 2)
