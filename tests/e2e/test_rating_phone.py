"""The rating page in real Chromium beyond the keyboard: on a 390 px phone with taps, through a lost
connection (the answer reached the server but its reply did not; the browser was offline), a double
click (every answer is stored exactly once, because a retry reuses its request id), and with
JavaScript off (plain forms)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs

import pytest

from jobtro.measurement.instrument_defaults import STAFF_ITEMS  # pure: no Django needed

pytestmark = [pytest.mark.browser]
# Without Playwright (a dev dependency) the module is skipped, not an import error.
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

ANSWER_URL = "**/rate/answer/"

S = len(STAFF_ITEMS)  # the staff questionnaire is asked on the same page, once per caseworker


@pytest.fixture
def wave(org: SimpleNamespace) -> Any:
    from jobtro.measurement.tests.test_rating_fixtures import make_open_wave
    from jobtro.organisation.models import Project

    return make_open_wave(Project.objects.get())


@pytest.fixture
def phone(chromium: Any, live_server: Any, org: SimpleNamespace) -> Iterator[Any]:
    """A phone-sized touch screen (390 × 844, as an iPhone 12-15), logged in as caseworker A."""
    context = chromium.new_context(
        base_url=live_server.url,
        locale="da-DK",
        timezone_id="Europe/Copenhagen",
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.goto("/login/")
    tab.get_by_label("Brugernavn").fill("caseworker_a")
    tab.get_by_label("Adgangskode").fill(org.password)
    tab.locator("main").get_by_role("button", name="Log ind").tap()
    expect(tab).to_have_url(re.compile(r"/$"))  # logged in: on the home page
    yield tab
    context.close()


def _group(page: Any, name: str) -> Any:
    return page.locator("form.rating-group").filter(has=page.locator(".rating-name", has_text=name))


def _posted(request: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.post_data or "").items()}


def test_caseworker_rates_on_a_phone_with_taps(phone: Any, wave: Any, org: SimpleNamespace) -> None:
    from jobtro.measurement.models import Answer

    phone.goto(f"/waves/{wave.pk}/rate/")
    expect(phone.get_by_test_id("rating-left")).to_have_text(f"{4 + S} af {4 + S} spørgsmål mangler svar.")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    sizes = phone.locator(".rating-option").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert sizes and all(w >= 120 and h >= 44 for w, h in sizes), sizes  # large touch targets

    anna = _group(phone, "Anna Andersen")
    anna.get_by_role("button", name="Ja, sandsynligvis").tap()
    expect(anna.locator(".rating-status")).to_have_text("✓ Gemt")
    expect(anna.get_by_role("button", name="Ja, sandsynligvis")).to_have_attribute("aria-pressed", "true")
    expect(phone.get_by_test_id("rating-left")).to_have_text(f"{3 + S} af {4 + S} spørgsmål mangler svar.")
    answer = Answer.objects.get(wave=wave)
    assert (answer.citizen_id, answer.value) == (org.citizen_a.pk, 4)


def test_a_lost_reply_is_retried_with_the_same_request_id_and_stored_once(
    log_in: Any, wave: Any, org: SimpleNamespace
) -> None:
    from jobtro.measurement.models import Answer

    page = log_in("caseworker_a")
    page.goto(f"/waves/{wave.pk}/rate/")
    sent: list[dict[str, str]] = []

    def lose_the_first_reply(route: Any) -> None:
        sent.append(_posted(route.request))
        if len(sent) == 1:
            route.fetch()  # the server gets the answer and stores it ...
            route.abort("connectionreset")  # ... but the reply never arrives
        else:
            route.continue_()

    page.route(ANSWER_URL, lose_the_first_reply)
    bo = _group(page, "Bo Berg")
    bo.get_by_role("button", name="Måske").click()
    # The retry runs by itself after a moment; the answer shows as saved.
    expect(bo.locator(".rating-status")).to_have_text("✓ Gemt")
    assert len(sent) == 2
    assert sent[0]["request_id"] == sent[1]["request_id"]
    assert Answer.objects.filter(wave=wave, citizen=org.citizen_a2).count() == 1


def test_an_answer_given_offline_is_sent_when_the_connection_returns(
    log_in: Any, page: Any, wave: Any, org: SimpleNamespace
) -> None:
    from jobtro.measurement.models import Answer

    log_in("caseworker_a")
    page.goto(f"/waves/{wave.pk}/rate/")
    anna = _group(page, "Anna Andersen")
    page.context.set_offline(True)
    anna.get_by_role("button", name="Nej, sandsynligvis ikke").click()
    expect(anna.locator(".rating-status")).to_contain_text("Ikke gemt endnu")
    expect(anna.get_by_role("button", name="Prøv igen")).to_be_visible()
    expect(anna.get_by_role("button", name="Nej, sandsynligvis ikke")).to_have_attribute("aria-pressed", "true")
    assert Answer.objects.count() == 0
    page.context.set_offline(False)
    expect(anna.locator(".rating-status")).to_have_text("✓ Gemt")
    assert list(Answer.objects.values_list("citizen_id", "value")) == [(org.citizen_a.pk, 2)]


def test_a_double_click_is_stored_once(log_in: Any, wave: Any, org: SimpleNamespace) -> None:
    from jobtro.measurement.models import Answer

    page = log_in("caseworker_a")
    page.goto(f"/waves/{wave.pk}/rate/")
    sent: list[dict[str, str]] = []
    page.on("request", lambda r: sent.append(_posted(r)) if r.method == "POST" else None)
    anna = _group(page, "Anna Andersen")
    anna.get_by_role("button", name="Ja, helt sikkert").dblclick()
    expect(anna.locator(".rating-status")).to_have_text("✓ Gemt")
    page.wait_for_load_state("networkidle")
    assert len(sent) >= 2, json.dumps(sent)  # both clicks were sent ...
    assert len({s["request_id"] for s in sent}) == 1  # ... as the same request
    assert Answer.objects.filter(wave=wave).count() == 1


def test_the_page_works_as_plain_forms_without_javascript(
    chromium: Any, live_server: Any, wave: Any, org: SimpleNamespace
) -> None:
    from jobtro.measurement.models import Answer

    context = chromium.new_context(base_url=live_server.url, locale="da-DK", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/login/")
        page.get_by_label("Brugernavn").fill("caseworker_a")
        page.get_by_label("Adgangskode").fill(org.password)
        page.locator("main").get_by_role("button", name="Log ind").click()
        expect(page).to_have_url(re.compile(r"/$"))
        page.goto(f"/waves/{wave.pk}/rate/")
        bo = _group(page, "Bo Berg")
        bo.get_by_role("button", name="Nej, helt sikkert ikke").click()
        expect(page).to_have_url(re.compile(r"/rate/#q-\d+-\d+$"))  # back on the page, at the question
        expect(bo.get_by_role("button", name="Nej, helt sikkert ikke")).to_have_attribute("aria-pressed", "true")
        expect(bo.locator(".rating-status")).to_have_text("✓ Gemt")
        expect(page.get_by_test_id("rating-left")).to_have_text(f"{3 + S} af {4 + S} spørgsmål mangler svar.")
        page.get_by_test_id("percent-input").fill("55")
        page.get_by_role("button", name="Gem").click()
        expect(page.get_by_test_id("percent-input")).to_have_value("55")
        assert sorted(Answer.objects.values_list("value", flat=True)) == [1, 55]
    finally:
        context.close()
