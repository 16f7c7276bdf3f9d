"""What the login form and the citizens page show to whom, seen in the browser: a wrong password gets
the Danish error, a researcher sees pseudonyms and never a name."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]
# Without Playwright (a dev dependency) the module is skipped, not an import error.
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

NAMES = ["Anna Andersen", "Bo Berg", "Carl Clausen", "Dorte Dahl", "Erik Eriksen"]


def test_wrong_password_shows_the_danish_error(log_in: Any) -> None:
    page = log_in("caseworker_a", password="not-the-password")

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("alert")).to_have_text("Brugernavn eller adgangskode er forkert. Prøv igen.")
    expect(page.get_by_label("Brugernavn")).to_have_value("caseworker_a")
    expect(page.get_by_label("Adgangskode")).to_have_value("")
    expect(page.get_by_test_id("username")).to_have_count(0)


def test_researcher_sees_pseudonyms_and_no_names(log_in: Any, org: SimpleNamespace) -> None:
    page = log_in("researcher")
    expect(page.get_by_test_id("home-researcher")).to_be_visible()

    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Borgere").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Borgere (pseudonymiseret)")
    table = page.get_by_test_id("citizen-table")
    for citizen in (org.citizen_a, org.citizen_b, org.citizen_y, org.citizen_moved):
        expect(table.get_by_role("link", name=citizen.pseudonym)).to_be_visible()
    body = page.locator("body")
    for name in NAMES:
        expect(body).not_to_contain_text(name)
    expect(page.get_by_role("columnheader", name="CPR-nummer")).to_have_count(0)

    table.get_by_role("link", name=org.citizen_a.pseudonym).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(org.citizen_a.pseudonym)
    for name in NAMES:
        expect(body).not_to_contain_text(name)
