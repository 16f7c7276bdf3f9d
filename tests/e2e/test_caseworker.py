"""A caseworker's day in the browser: log in through the form, see the Danish home page and their own
citizens (and nobody else's), switch to English and stay there, log out."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]
# Without Playwright (a dev dependency) the module is skipped, not an import error.
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def test_caseworker_lands_on_danish_home_and_sees_only_own_citizens(log_in: Any, org: SimpleNamespace) -> None:
    page = log_in("caseworker_a")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Velkommen, Caseworker_A")
    expect(page.get_by_role("heading", name="Din sagsstamme")).to_be_visible()
    expect(page.get_by_test_id("home-caseworker")).to_contain_text("2")  # Anna and Bo; Erik has moved on
    expect(page.get_by_test_id("username")).to_have_text("Caseworker_A")

    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Borgere").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Borgere")
    table = page.get_by_test_id("citizen-table")
    expect(table.get_by_role("link", name="Anna Andersen")).to_be_visible()
    expect(table.get_by_role("link", name="Bo Berg")).to_be_visible()
    expect(table).not_to_contain_text("Carl Clausen")  # caseworker B's citizen
    expect(table).not_to_contain_text("Erik Eriksen")  # was A's, is B's now
    expect(table).not_to_contain_text("Dorte Dahl")  # another municipality
    expect(table.locator("tbody tr")).to_have_count(2)

    table.get_by_role("link", name="Anna Andersen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anna Andersen")
    expect(page.get_by_role("navigation", name="Du er her")).to_contain_text("Borgere")


def test_language_switch_to_english_sticks_across_pages(log_in: Any) -> None:
    page = log_in("caseworker_a")
    expect(page.get_by_role("heading", name="Din sagsstamme")).to_be_visible()

    page.get_by_role("button", name=re.compile("English")).click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Your caseload")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Caseworker_A")
    expect(page.get_by_role("button", name=re.compile("Dansk"))).to_be_visible()

    page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Citizens").click()
    expect(page).to_have_url(re.compile(r"/citizens/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Citizens")
    expect(page.get_by_role("columnheader", name="Target group")).to_be_visible()

    page.get_by_role("button", name=re.compile("Dansk")).click()
    expect(page.locator("html")).to_have_attribute("lang", "da")
    expect(page.get_by_role("heading", level=1)).to_have_text("Borgere")


def test_log_out_ends_the_session(log_in: Any) -> None:
    page = log_in("caseworker_a")
    expect(page.get_by_role("heading", name="Din sagsstamme")).to_be_visible()

    page.get_by_role("button", name="Log ud").click()

    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log ind")
    expect(page.get_by_test_id("username")).to_have_count(0)
    page.goto("/citizens/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/citizens/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log ind")
