"""Each role's dashboard in the browser (issue 7, Done-when: "Browser tests open each role's dashboard"): log in
as caseworker, team leader, key person, data manager, researcher and administrator through the Danish login
form and see the parts that role's home page is made of - the caseworker's open wave, the leaders' team tables
with hidden small cells, the researcher's response rates with a plot and its text alternative."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]
# Without Playwright (a dev dependency) the module is skipped, not an import error.
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


@pytest.fixture
def rated(org: SimpleNamespace) -> Any:
    """An open wave in which X's caseworkers have rated caseloads big enough for some cells to be shown and
    some hidden (jobtro.reports.tests.test_dashboard.build)."""
    from jobtro.organisation.models import Municipality, Project
    from jobtro.reports.tests.test_dashboard import build

    case = SimpleNamespace(
        personas=org.personas, x=Municipality.objects.get(code="0740"), project=Project.objects.get()
    )
    return build(case)


def test_caseworker_sees_the_open_wave_and_how_much_is_rated(log_in: Any, rated: Any) -> None:
    page = log_in("caseworker_a")
    section = page.get_by_test_id("home-caseworker")
    expect(section.get_by_role("heading", name="Din sagsstamme")).to_be_visible()
    wave = section.get_by_test_id("own-wave")
    expect(wave).to_contain_text("4 / 4")
    expect(wave).to_contain_text(f"borgere vurderet i {rated.name}")
    expect(wave).to_contain_text("10 dage tilbage.")
    section.get_by_test_id("rate-link").click()
    expect(page).to_have_url(re.compile(rf"/waves/{rated.pk}/rate/$"))


@pytest.mark.parametrize("persona", ["team_leader", "key_person"])
def test_leaders_see_team_tables_with_small_cells_hidden(log_in: Any, rated: Any, persona: str) -> None:
    page = log_in(persona)
    section = page.get_by_test_id("home-leader")
    expect(section.get_by_role("heading", name="Teams i Silkeborg")).to_be_visible()
    expect(section.get_by_role("heading", name=f"Specifik tro pr. team i {rated.name}")).to_be_visible()
    beliefs = section.get_by_test_id("leader-beliefs")
    expect(beliefs.get_by_role("columnheader", name="Ja, helt sikkert")).to_be_visible()
    expect(beliefs.get_by_role("row", name="Team 1")).to_contain_text("skjult")  # 2 "måske" and 1 "ved ikke"
    expect(beliefs.locator(".suppressed").first).to_have_attribute(
        "title", "Skjult: færre end 5 personer, eller ville afsløre sådan en celle."
    )
    # One caseworker per team: no response rate is shown, and the page says why.
    expect(section.get_by_test_id("leader-response-rates")).to_contain_text("for få til at vise")
    expect(section.get_by_role("heading", name="Næste møder")).to_be_visible()
    expect(section.get_by_role("heading", name="Tiltag")).to_be_visible()


def test_data_manager_sees_the_municipality_data(log_in: Any, rated: Any) -> None:
    page = log_in("data_manager_y")
    section = page.get_by_test_id("home-data-manager")
    expect(section.get_by_role("heading", name="Borgerdata for Odder")).to_be_visible()
    expect(section.get_by_test_id("home-outcomes-until")).to_have_text("Ingen registerdata endnu")
    expect(page.get_by_test_id("home-leader")).to_have_count(0)


def test_researcher_sees_response_rates_with_a_plot_and_its_text_alternative(log_in: Any, rated: Any) -> None:
    page = log_in("researcher")
    section = page.get_by_test_id("home-researcher")
    expect(section.get_by_role("heading", name="Besvarelse pr. kommune og måling")).to_be_visible()
    response = section.get_by_test_id("research-response")
    expect(response.get_by_role("row", name="Silkeborg")).to_contain_text("90 %")  # 9 of 10
    expect(response.get_by_role("row", name="Silkeborg")).to_contain_text("n = 10")
    figure = section.locator("figure.jobtro-plot").first
    expect(figure.locator("svg[role=img]")).to_be_visible()
    expect(figure.locator("figcaption")).to_contain_text("Silkeborg: 90 %")
    expect(section.get_by_role("img").first).to_be_visible()
    # The belief table per wave is whole for researchers: no hidden cell.
    expect(section.get_by_test_id("research-belief-waves").locator(".suppressed")).to_have_count(0)
    expect(section.get_by_role("heading", name="Datas aktualitet")).to_be_visible()
    expect(section.get_by_role("heading", name="Gemte analyser")).to_be_visible()


def test_administrator_sees_the_system(log_in: Any, rated: Any) -> None:
    page = log_in("administrator")
    section = page.get_by_test_id("home-administrator")
    expect(section.get_by_role("heading", name="System")).to_be_visible()
    expect(page.get_by_test_id("home-leader")).to_have_count(0)
    expect(page.get_by_test_id("home-researcher")).to_have_count(0)
