"""A caseworker rates their whole caseload with the keyboard alone in real Chromium: no mouse after
logging in. Then the page is reloaded and the database must hold exactly one answer in force per
question, with the chosen values (and the changed answer's history)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from jobtro.measurement.instrument_defaults import STAFF_ITEMS  # pure: no Django needed

pytestmark = [pytest.mark.browser]
# Without Playwright (a dev dependency) the module is skipped, not an import error.
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

# Three more citizens for caseworker A, so the caseload (with Anna and Bo) is five; sorted by name.
MORE = [("0606901232", "Cecilie Carlsen"), ("0707881233", "Dan Dalgaard"), ("0808771234", "Ellen Eskildsen")]
S = len(STAFF_ITEMS)  # the staff questionnaire, asked between the general items and the citizens


def _focused(page: Any, script: str) -> Any:
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {script}; }})()")


def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches ``selector`` (as a keyboard user would)."""
    for _ in range(limit):
        if _focused(page, f"el && el.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def _focused_group(page: Any) -> str:
    return str(_focused(page, "el.closest('form.rating-group') ? el.closest('form.rating-group').id : ''"))


@pytest.fixture
def wave(org: SimpleNamespace) -> Any:
    from jobtro.measurement.tests.test_rating_fixtures import make_open_wave
    from jobtro.organisation.models import Municipality, Project
    from jobtro.testing import make_citizen

    a = org.personas["caseworker_a"]
    x = Municipality.objects.get(code="0740")
    for cpr, name in MORE:
        make_citizen(x, cpr, name, a)
    return make_open_wave(Project.objects.get())


def test_caseworker_rates_the_whole_caseload_with_the_keyboard_alone(
    log_in: Any, org: SimpleNamespace, wave: Any
) -> None:
    from jobtro.measurement.actions import current_answers
    from jobtro.measurement.models import Answer, Item

    page = log_in("caseworker_a")
    page.goto(f"/waves/{wave.pk}/rate/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Vurdér dine borgere: {wave.name}")
    left = page.get_by_test_id("rating-left")
    expect(left).to_have_text(f"{7 + S} af {7 + S} spørgsmål mangler svar.")  # 2 general, S staff, 5 citizens
    expect(page.get_by_text("Tasterne 1 til 5 vælger et svar")).to_be_attached()
    items = {item.key: item for item in Item.objects.filter(version=wave.instrument_version)}
    specific = items["specific_belief"]
    general_yes_no = f"q-{items['general_believes'].pk}-general"

    # From the top of the page: the skip link, then on into the first question.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Gå til indhold")).to_be_focused()
    page.keyboard.press("Enter")
    _tab_to(page, f"#{general_yes_no} .rating-option")
    page.keyboard.press("j")  # Ja; the focus moves on to the share
    expect(page.get_by_test_id("percent-input")).to_be_focused()
    page.keyboard.type("40")
    page.keyboard.press("Enter")  # saves the share; the focus moves on to the staff questionnaire

    # The staff questionnaire, one key per question in the page's order: V (ved ikke) on the first,
    # 4 (delvis enig) on the other agreement items and the third option of each background question.
    staff_groups = page.locator("[data-testid=rating-staff] form.rating-group").evaluate_all(
        "els => els.map(e => [e.id, e.dataset.kind])"
    )
    assert len(staff_groups) == S
    staff_answers: dict[int, tuple[int | None, bool]] = {}
    for n, (group_id, kind) in enumerate(staff_groups):
        assert _focused_group(page) == group_id
        key, answer = ("v", (None, True)) if n == 0 else ("4", (4, False)) if kind == "agree5" else ("3", (3, False))
        page.keyboard.press(key)
        staff_answers[int(group_id.split("-")[1])] = answer

    names = page.locator(".rating-name").all_inner_texts()
    assert names == ["Anna Andersen", "Bo Berg", "Cecilie Carlsen", "Dan Dalgaard", "Ellen Eskildsen"]
    citizen_ids = [int(i) for i in page.locator("fieldset[data-citizen]").evaluate_all(
        "els => els.map(e => e.dataset.citizen)"
    )]  # fmt: skip
    groups = [f"q-{specific.pk}-{c}" for c in citizen_ids]
    assert _focused_group(page) == groups[0]

    page.keyboard.press("4")  # Anna: Ja, sandsynligvis
    assert _focused_group(page) == groups[1]
    page.keyboard.press("v")  # Bo: Ved ikke
    assert _focused_group(page) == groups[2]
    # Cecilie with the arrows: from "5" two to the right is "3"; Space chooses it (the focus stays).
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    assert _focused_group(page) == groups[2]
    page.keyboard.press("Tab")  # one Tab stop per question: Tab goes to the next citizen
    assert _focused_group(page) == groups[3]
    page.keyboard.press("1")  # Dan
    assert _focused_group(page) == groups[4]
    page.keyboard.press("0")  # Ellen: Ved ikke (the last question: the focus stays)
    assert _focused_group(page) == groups[4]
    page.keyboard.press("Shift+Tab")  # back to Dan, to change his answer
    assert _focused_group(page) == groups[3]
    page.keyboard.press("2")

    expect(left).to_have_text(f"Alle {7 + S} spørgsmål er besvaret. Tak.")
    for group in [general_yes_no, f"q-{items['general_share'].pk}-general", *groups]:
        expect(page.locator(f"#{group} .rating-status")).to_have_text("✓ Gemt")
    focus_ring = _focused(page, "getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineWidth")
    assert focus_ring == "solid 3px", focus_ring

    page.reload()
    expect(left).to_have_text(f"Alle {7 + S} spørgsmål er besvaret. Tak.")
    chosen = [
        (general_yes_no, "1"),
        (groups[0], "4"),
        (groups[1], "dk"),
        (groups[2], "3"),
        (groups[3], "2"),
        (groups[4], "dk"),
    ]
    for group, value in chosen:
        expect(page.locator(f"#{group} .rating-option[aria-pressed=true]")).to_have_attribute("value", value)
    expect(page.get_by_test_id("percent-input")).to_have_value("40")

    # The database: exactly one answer in force per question, with the chosen values.
    answers = current_answers(wave, org.personas["caseworker_a"])
    assert len(answers) == 7 + S
    got = {key: (a.value, a.dont_know) for key, a in answers.items()}
    expected: dict[tuple[int, int | None], tuple[int | None, bool]] = {
        (items["general_believes"].pk, None): (1, False),
        (items["general_share"].pk, None): (40, False),
        (specific.pk, citizen_ids[0]): (4, False),
        (specific.pk, citizen_ids[1]): (None, True),
        (specific.pk, citizen_ids[2]): (3, False),
        (specific.pk, citizen_ids[3]): (2, False),
        (specific.pk, citizen_ids[4]): (None, True),
    }
    expected.update({(pk, None): answer for pk, answer in staff_answers.items()})
    assert got == expected
    # Every keystroke's answer was stored once (the share, saved by Enter and again on leaving the field,
    # only once); Dan's change is kept in the history.
    history = Answer.objects.filter(wave=wave, citizen_id=citizen_ids[3]).order_by("received_at", "id")
    assert [a.value for a in history] == [1, 2]
    assert Answer.objects.filter(wave=wave).count() == 8 + S
