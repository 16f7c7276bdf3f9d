"""A caseworker's expectation feedback in the browser: their own citizens' shares in plain Danish, the plot
with its text alternative, and nobody else's numbers (the data of jobtro/reports/tests/test_feedback.py)."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from jobtro.organisation.models import Project
from jobtro.reports.tests.test_feedback import build_feedback_data

pytestmark = [pytest.mark.browser]
# Without Playwright (a dev dependency) the module is skipped, not an import error.
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def test_caseworker_sees_their_own_feedback_with_a_plot_and_its_text(log_in: Any, org: SimpleNamespace) -> None:
    build_feedback_data(Project.objects.get(), org.personas)
    page = log_in("caseworker_a")
    page.goto("/insight/feedback/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Min forventningsfeedback")
    sentences = page.get_by_test_id("feedback-sentences")
    expect(sentences).to_contain_text(
        "Af de borgere, du vurderede „Nej, sandsynligvis ikke“, kom 43\u00a0% i job eller uddannelse inden for et år"
    )
    expect(sentences).to_contain_text("Borgere, du vurderede „Ja, helt sikkert“: for få borgere endnu (1 borger).")

    figure = page.locator("figure.jobtro-plot")
    expect(figure).to_have_count(1)
    plot = figure.get_by_role("img")
    expect(plot).to_be_visible()
    # Its name is its own <title> then its <desc> (the numbers).
    expect(plot).to_have_accessible_name(re.compile(r"^Dine borgere i job eller uddannelse efter din vurdering .*43 %"))
    expect(figure.locator("figcaption")).to_contain_text("Nej, sandsynligvis ikke 43\u00a0%")
    expect(figure.locator("figcaption")).to_contain_text("for få borgere endnu")

    table = page.get_by_test_id("feedback-table")
    expect(table.get_by_test_id("own-2")).to_contain_text("43\u00a0%")
    expect(table.get_by_test_id("own-2")).to_contain_text("7 borgere")
    expect(table.get_by_test_id("project-2")).to_contain_text("44\u00a0%")  # A, B and C pooled: 8 of 18
    expect(page.locator("main")).not_to_contain_text("83\u00a0%")  # caseworker B's own share
    expect(page.locator("main")).not_to_contain_text("Erik Eriksen")  # no citizen is named
