"""Meeting packs (jobtro.reports.packs, pack_views): the PDF is made, holds the municipality's numbers,
hides small cells whoever downloads it, keeps to the log-sharing rules, and only the right people get it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pypdfium2 as pdfium
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from jobtro.audit.models import AuditEvent
from jobtro.collaboration.models import Activity, Experience, FocusArea, FocusAreaChoice, Initiative, LogSharing
from jobtro.collaboration.seed import ensure_focus_areas
from jobtro.measurement.actions import default_instrument_version
from jobtro.measurement.models import Answer, CaseworkerAssignment, Citizen, Invitation, Item, Wave, WaveCaseload
from jobtro.organisation.models import Membership, Municipality, Project, Role, Staff, Unit
from jobtro.reports import packs
from jobtro.testing import START, PersonaTestCase

fast_passwords = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])

# Specific belief of X's 30 frozen citizens, levels 1..5 then "don't know": 2 and 2 are small cells.
LEVEL_COUNTS = [0, 2, 10, 10, 6, 2]
MEETING_DAY = date(2025, 4, 1)


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


def _citizen(municipality: Municipality, n: int) -> Citizen:
    # The pack reads no identity: opaque stand-ins for the sealed CPR number and name are enough.
    return Citizen.objects.create(
        municipality=municipality,
        pseudonym=f"P{municipality.code}{n:04d}",
        cpr_encrypted="x",
        name_encrypted="x",
        birth_year=1980,
        female=bool(n % 2),
    )


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


@dataclass
class PackObjects:
    wave: Wave
    local_x: Activity
    local_y: Activity
    cross: Activity


def build_pack_data(project: Project, personas: dict[str, Staff]) -> PackObjects:
    """The data of these tests on top of the personas' organisation (jobtro.testing), also used by the browser
    test (tests/e2e/test_meeting_pack.py)."""
    x, y = Municipality.objects.get(code="0740"), Municipality.objects.get(code="0727")
    team_x1 = Unit.objects.get(municipality=x, name="Team 1")
    caseworker_y = Staff.objects.get(username="caseworker_y")
    citizen_y = Citizen.objects.get(municipality=y)
    version = default_instrument_version()
    wave = Wave.objects.create(
        project=project,
        number=1,
        name="Måling 2",
        opens_on=date(2025, 3, 3),
        closes_on=date(2025, 3, 16),
        instrument_version=version,
        opened_at=_at(date(2025, 3, 3)),
    )
    items = {i.key: i for i in Item.objects.filter(version=version)}
    levels = [v for v, k in zip([1, 2, 3, 4, 5, None], LEVEL_COUNTS, strict=True) for _ in range(k)]
    answers = []
    for w in range(10):
        caseworker = Staff.objects.create(username=f"cw{w}")
        Membership.objects.create(staff=caseworker, role=Role.CASEWORKER, municipality=x, unit=team_x1, start=START)
        Invitation.objects.create(wave=wave, caseworker=caseworker, token_digest=f"{w:064d}")
        for key, general in (("general_believes", 1), ("general_share", 50)):
            answers.append(Answer(wave=wave, item=items[key], caseworker=caseworker, value=general))
        for c in range(3):
            citizen = _citizen(x, 3 * w + c)
            CaseworkerAssignment.objects.create(citizen=citizen, caseworker=caseworker, start=START)
            WaveCaseload.objects.create(wave=wave, caseworker=caseworker, citizen=citizen)
            value = levels[3 * w + c]
            answers.append(
                Answer(
                    wave=wave,
                    item=items["specific_belief"],
                    caseworker=caseworker,
                    citizen=citizen,
                    value=value,
                    dont_know=value is None,
                )
            )
    # Y: one caseworker invited, with one frozen citizen, who has not answered.
    Invitation.objects.create(wave=wave, caseworker=caseworker_y, token_digest="y" * 64)
    WaveCaseload.objects.create(wave=wave, caseworker=caseworker_y, citizen=citizen_y)
    for answer in answers:
        answer.request_id = uuid.uuid4()
        answer.received_at = _at(date(2025, 3, 5))
    Answer.objects.bulk_create(answers)

    def meeting(title: str, municipality: Municipality | None, day: date, **extra: Any) -> Activity:
        return Activity.objects.create(
            project=project,
            kind=Activity.Kind.LOCAL if municipality else Activity.Kind.EXPERIENCE,
            format=Activity.Format.HALF_DAY,
            municipality=municipality,
            title=title,
            day=day,
            venue=Activity.Venue.MUNICIPALITY,
            **extra,
        )

    meeting("Første lokale møde i Silkeborg", x, date(2025, 2, 3))
    local_x = meeting("Lokalt møde i Silkeborg", x, MEETING_DAY, agenda="1. Velkomst\n2. Tallene siden sidst")
    local_y = meeting("Lokalt møde i Odder", y, MEETING_DAY)
    cross = meeting("Erfaringsmøde", None, date(2025, 4, 15))

    ensure_focus_areas(project)
    area = FocusArea.objects.filter(project=project).first()
    assert area is not None
    FocusAreaChoice.objects.create(project=project, municipality=x, focus_area=area, start=date(2025, 2, 1))
    initiative_x = Initiative.objects.create(
        project=project,
        municipality=x,
        focus_area=area,
        title="Sparringsmøder om troen",
        what="Hver uge",
        start=date(2025, 2, 10),
    )
    initiative_y = Initiative.objects.create(
        project=project,
        municipality=y,
        focus_area=area,
        title="Odders lukkede tiltag",
        what="x",
        start=date(2025, 2, 10),
    )
    author = personas["key_person"]
    for text, day in (
        ("Sparring gav nyt mod", date(2025, 3, 10)),
        ("Gammel erfaring fra januar", date(2025, 1, 20)),
    ):
        Experience.objects.create(
            project=project, municipality=x, author=author, initiative=initiative_x, day=day, text=text
        )
    Experience.objects.create(
        project=project,
        municipality=y,
        author=personas["data_manager_y"],
        initiative=initiative_y,
        day=date(2025, 3, 11),
        text="Odders lukkede erfaring",
    )
    LogSharing.objects.create(project=project, municipality=x, open=True)
    return PackObjects(wave, local_x, local_y, cross)


class PackData(PersonaTestCase):
    """A wave in which ten caseworkers in X (Silkeborg) rate 30 citizens and finish, Y's one caseworker does
    not start; meetings of X, of Y and a cross-municipal one; initiatives and log entries in X and Y."""

    wave: Wave
    local_x: Activity
    local_y: Activity
    cross: Activity

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        built = build_pack_data(cls.project, cls.personas)
        cls.wave, cls.local_x, cls.local_y, cls.cross = built.wave, built.local_x, built.local_y, built.cross


def _cells(pack: packs.Pack, title: str) -> list[list[str]]:
    section = next(s for s in pack.sections if s.title == title)
    return section.tables[0].rows


@fast_passwords
class PackContentTest(PackData):
    def test_a_local_pack_has_the_municipalitys_numbers_since_the_last_meeting(self) -> None:
        with translation.override("en"):
            pack = packs.meeting_pack(self.local_x, self.personas["team_leader"])
        self.assertEqual(pack.kind, "local")
        response = _cells(pack, "Response per wave")
        # 10 invited, 10 finished (100 %), 30 citizens frozen and rated; Y's caseworker is not counted here.
        self.assertEqual(response[0][:3], ["Måling 2 *", "10", "10"])
        self.assertTrue(response[0][3].startswith("100 %"))
        self.assertEqual(response[0][4:6], ["30", "30"])
        facts = dict(pack.facts)
        self.assertEqual(facts["Municipality"], "Silkeborg")
        self.assertIn("3, 2025", facts["Numbers since"])  # the previous meeting of X, 3 February

    def test_it_hides_small_cells_even_when_a_researcher_downloads(self) -> None:
        for persona in ("researcher", "team_leader"):
            with self.subTest(persona=persona), translation.override("en"):
                pack = packs.meeting_pack(self.local_x, self.personas[persona])
                belief = _cells(pack, "Specific belief per wave")[0]
                # levels 1..5, don't know, total: 2 and 2 are hidden, 0 is not (it reveals nobody).
                self.assertEqual(belief[1:], ["0", packs.HIDDEN, "10", "10", "6", packs.HIDDEN, "30"])
                section = next(s for s in pack.sections if s.title == "Specific belief per wave")
                self.assertEqual(section.plots, [], "a plot would give the hidden cells away")

    def test_the_experience_log_keeps_to_the_period_and_the_sharing_rules(self) -> None:
        with translation.override("en"):
            local = packs.meeting_pack(self.local_x, self.personas["researcher"])
            cross = packs.meeting_pack(self.cross, self.personas["researcher"])
        texts = [e.text for s in local.sections for e in s.entries]
        self.assertIn("Sparring gav nyt mod", texts)
        self.assertNotIn("Gammel erfaring fra januar", texts, "before the last meeting")
        cross_texts = [e.text for s in cross.sections for e in s.entries]
        cross_titles = [e.heading for s in cross.sections for e in s.entries]
        self.assertIn("Sparringsmøder om troen", cross_titles, "X has opened its log")
        self.assertNotIn("Odders lukkede erfaring", cross_texts, "Y's log is closed, even for a researcher")
        self.assertNotIn("Odders lukkede tiltag", cross_titles)

    def test_a_cross_municipal_pack_compares_the_municipalities(self) -> None:
        with translation.override("en"):
            pack = packs.meeting_pack(self.cross, self.personas["key_person"])
        self.assertEqual(pack.kind, "cross")
        rows = {r[0]: r[1:] for r in _cells(pack, "Response per municipality")}
        # Odder's one caseworker is hidden; with two municipalities Silkeborg's counts would give it away from
        # the project's totals (shown elsewhere, e.g. in the final report), so they are hidden too.
        self.assertEqual(rows, {"Silkeborg": [packs.HIDDEN], "Odder": [packs.HIDDEN]})
        belief = {r[0]: r[1:] for r in _cells(pack, "Specific belief per municipality, Måling 2")}
        self.assertEqual(belief, {"Silkeborg": ["0", packs.HIDDEN, "10", "10", "6", packs.HIDDEN, "30"]})
        areas = _cells(pack, "Focus areas chosen")
        self.assertEqual(areas[0][0], "Silkeborg")

    def test_it_says_when_an_analysis_is_not_yet_computed(self) -> None:
        with translation.override("en"):
            pack = packs.meeting_pack(self.local_x, self.personas["team_leader"])
        empty = {s.title: s.empty for s in pack.sections}
        self.assertEqual(empty["Belief and jobs (BIP): Silkeborg"], "Not yet computed.")

    def test_it_shows_a_stored_bip_result_and_hides_one_resting_on_too_few(self) -> None:
        from jobtro.analysis.models import AnalysisResult

        effects = [
            {"name": "belief", "hr": 1.31, "ci_low": 1.1, "ci_high": 1.56, "p": 0.01},
            {"name": "general", "hr": None, "ci_low": None, "ci_high": None, "p": None, "reason": "too few events"},
        ]
        result = {
            "n": {"rows": 900, "citizens": 300, "events": 120, "caseworkers": 20},
            "effects": effects,
            "municipalities": [
                {
                    "code": "0740",
                    "name": "Silkeborg",
                    "n": {"citizens": 200, "events": 80, "caseworkers": 12},
                    "effects": effects,
                },
                {
                    "code": "0727",
                    "name": "Odder",
                    "n": {"citizens": 4, "events": 1, "caseworkers": 1},
                    "effects": effects,
                },
            ],
        }
        AnalysisResult.objects.create(
            project=self.project, kind="bip", state="done", fingerprint="0" * 64, result=result, finished=timezone.now()
        )
        with translation.override("en"):
            local = packs.meeting_pack(self.local_x, self.personas["team_leader"])
            cross = packs.meeting_pack(self.cross, self.personas["team_leader"])
        bip = next(s for s in local.sections if s.title == "Belief and jobs (BIP): Silkeborg")
        self.assertEqual(bip.tables[0].rows[0], ["Specific belief, one step higher", "1.31 (1.10\u20131.56)"])
        self.assertEqual(bip.tables[0].rows[1][1], "too few events")
        self.assertEqual(len(bip.plots), 1)
        self.assertIn("The result was computed before the newest data; run the analysis again.", bip.notes)
        across = {r[0]: r[1] for r in _cells(cross, "Belief and jobs (BIP) per municipality")}
        self.assertEqual(across, {"Silkeborg": "1.31 (1.10\u20131.56)", "Odder": "too few to show"})

    def test_the_pdf_holds_the_municipality_and_its_numbers(self) -> None:
        with translation.override("en"):
            pdf = packs.render_pdf(packs.meeting_pack(self.local_x, self.personas["team_leader"]))
        self.assertTrue(pdf.startswith(b"%PDF"))
        text = pdf_text(pdf)
        for expected in (
            "Meeting pack: Silkeborg",
            "Lokalt møde i Silkeborg",
            "Tallene siden sidst",
            "Måling 2",
            "Sparring gav nyt mod",
        ):
            self.assertIn(expected, text)
        self.assertIn("researchers too", text)  # the disclosure note on the first page
        self.assertNotIn("Odder", text)


@fast_passwords
class PackViewTest(PackData):
    def test_it_lists_the_leaders_meetings_only(self) -> None:
        self.login("team_leader")
        page = self.client.get(reverse("insight:packs")).content.decode()
        self.assertIn(reverse("insight:pack_activity", args=[self.local_x.pk]), page)
        self.assertIn(reverse("insight:pack_activity", args=[self.cross.pk]), page)
        self.assertNotIn(reverse("insight:pack_activity", args=[self.local_y.pk]), page)
        self.assertIn(reverse("insight:pack_final"), page)

    def test_it_downloads_a_pack_and_logs_the_download(self) -> None:
        user = self.login("key_person")
        response = self.client.get(reverse("insight:pack_activity", args=[self.local_x.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertIn("attachment", response["Content-Disposition"])
        self.assertIn("Silkeborg", pdf_text(response.content))
        event = AuditEvent.objects.filter(actor_id=user.pk, object_type="collaboration.Activity").latest("at")
        self.assertEqual(event.detail["download"], "meeting pack")
        self.assertEqual(event.municipality_code, "0740")

    def test_it_refuses_other_municipalities_and_other_roles(self) -> None:
        url_y = reverse("insight:pack_activity", args=[self.local_y.pk])
        for persona in ("team_leader", "key_person"):
            self.login(persona)
            self.assertEqual(self.client.get(url_y).status_code, 404)
        for persona in ("caseworker_a", "data_manager_y", "administrator", "outsider"):
            self.login(persona)
            for url in (reverse("insight:packs"), url_y, reverse("insight:pack_final")):
                self.assertEqual(self.client.get(url).status_code, 403, f"{persona} {url}")

    def test_the_final_report_is_made(self) -> None:
        self.login("researcher")
        response = self.client.get(reverse("insight:pack_final"))
        self.assertEqual(response.status_code, 200)
        text = pdf_text(response.content)
        self.assertIn("Silkeborg", text)
        self.assertIn(self.project.name, text)

    def test_the_activity_page_links_to_the_pack_for_those_who_may_download_it(self) -> None:
        url = reverse("collaboration:activity_detail", args=[self.local_x.pk])
        pack = reverse("insight:pack_activity", args=[self.local_x.pk])
        self.login("team_leader")
        self.assertIn(pack, self.client.get(url).content.decode())
        self.login("caseworker_a")
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertNotIn(pack, page.content.decode())


def _trajectory(points: list[tuple[int, float, int, int]]) -> dict[str, Any]:
    """A stored belief trajectory: (wave number, mean, citizens, caseworkers) per point."""
    return {
        "points": [
            {
                "wave": w,
                "mean": m,
                "se": 0.1,
                "ci_low": m - 0.2,
                "ci_high": m + 0.2,
                "n": c,
                "citizens": c,
                "caseworkers": k,
            }
            for w, m, c, k in points
        ]
    }


@fast_passwords
class FinalReportTest(PackData):
    """The final report on stored BIP and belief results: what rests on too few persons is left out."""

    def setUp(self) -> None:
        from jobtro.analysis.models import AnalysisResult

        def km(level: int, n: int) -> dict[str, Any]:
            return {
                "belief": level,
                "n": n,
                "time": [0, 10, 20],
                "share": [0, 0.1, 0.2],
                "low": [0, 0.05, 0.1],
                "high": [0, 0.15, 0.3],
            }

        bip = {
            "n": {"rows": 900, "citizens": 300, "events": 120, "caseworkers": 20},
            "effects": [{"name": "belief", "hr": 1.33, "ci_low": 1.12, "ci_high": 1.58, "p": 0.001}],
            "not_believing": {"share": 0.48, "ci_low": 0.36, "ci_high": 0.6, "n": 60, "wave": 1},
            "implied": [
                {"belief": b, "share": 0.1 * b, "ci_low": 0.1 * b - 0.02, "ci_high": 0.1 * b + 0.02}
                for b in range(1, 6)
            ],
            "observed": [
                {
                    "belief": b,
                    "share": 0.1 * b,
                    "ci_low": 0.1 * b - 0.05,
                    "ci_high": 0.1 * b + 0.05,
                    "n": 3 if b == 5 else 50,
                }
                for b in range(1, 6)
            ],
            "km": [km(b, 3 if b == 5 else 50) for b in range(1, 6)],
            "municipalities": [],
        }
        belief = {
            "waves": [{"number": 1, "name": "Måling 2"}, {"number": 2, "name": "Måling 3"}],
            "trajectories": {"project": _trajectory([(1, 3.1, 30, 10), (2, 3.3, 4, 2)]), "municipalities": []},
            "general": {"project": [], "municipalities": []},
            "did": {
                "first": {
                    "estimable": True,
                    "clusters": 4,
                    "overall": {"estimate": 0.21, "ci_low": -0.1, "ci_high": 0.5},
                }
            },
        }
        for kind, result in (("bip", bip), ("belief", belief)):
            AnalysisResult.objects.create(
                project=self.project,
                kind=kind,
                state="done",
                fingerprint="0" * 64,
                result=result,
                finished=timezone.now(),
            )

    def test_it_reports_the_analyses_and_leaves_out_what_rests_on_too_few(self) -> None:
        with translation.override("en"):
            pack = packs.final_report(self.project, self.personas["key_person"])
        self.assertEqual(pack.kind, "final")
        sections = {s.title: s for s in pack.sections}
        bip = sections["Belief and jobs (BIP)"]
        self.assertEqual(bip.tables[0].rows, [["Specific belief, one step higher", "1.33 (1.12\u20131.58)"]])
        self.assertIn("48 % (36\u201360 %) of 60 caseworkers", " ".join(bip.notes))
        implied = sections["What the hazard ratios mean: the share in a job or education within a year"].tables[0].rows
        self.assertEqual(implied[0], ["1", "10 % (8\u201312 %)", "10 % (5\u201315 %)", "50"])
        self.assertEqual(implied[4][2:], ["too few to show", packs.HIDDEN])  # 3 citizens at belief 5
        km = sections["Share in a job or education by specific belief"].plots[0]
        self.assertIn("Belief 4 (n = 50)", km.svg)
        self.assertNotIn("Belief 5", km.svg)
        trajectory = sections["Belief over the waves"].plots[0]
        self.assertIn("Måling 2 3.10", trajectory.alt)
        self.assertNotIn("Måling 3 3", trajectory.alt, "the second point rests on 2 caseworkers")
        did = sections["Did the focus areas move belief?"]
        self.assertEqual(did.tables[0].rows, [["0.21", "-0.10\u20130.50", "4"]])
        self.assertIn("Methods", sections)


def test_only_weasyprints_warnings_about_svg_properties_are_dropped() -> None:
    import logging

    from jobtro.reports.packs import _SvgStyleNoise

    def kept(message: str) -> bool:
        return _SvgStyleNoise().filter(logging.LogRecord("weasyprint", logging.WARNING, "", 0, message, None, None))

    assert not kept("Ignored `fill: #1a1a1a` at 1:137, unknown property.")
    assert not kept("Ignored `text-anchor: middle` at 1:100, unknown property.")
    assert kept("Ignored `colour: red` at 3:1, unknown property.")  # a real mistake in our own CSS
    assert kept("Failed to load image at 'x.png'")
