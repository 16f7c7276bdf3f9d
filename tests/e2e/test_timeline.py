"""The activity plan in the browser: a researcher opens the timeline from the main menu and moves a meeting
to another working day; a weekend is refused with the Danish message."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = [pytest.mark.browser]
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect


def test_researcher_moves_a_meeting_on_the_timeline(log_in: Any, org: SimpleNamespace) -> None:
    from jobtro.collaboration.models import Activity
    from jobtro.organisation.models import Municipality, Project

    meeting = Activity.objects.create(
        project=Project.objects.get(),
        kind=Activity.Kind.LOCAL,
        format=Activity.Format.HALF_DAY,
        municipality=Municipality.objects.get(code="0740"),
        title="Lokalt møde Silkeborg",
        day=date(2025, 3, 4),
        venue=Activity.Venue.RESEARCH_CENTRE,
        generated=True,
    )
    page = log_in("researcher")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Aktivitetsplan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aktivitetsplan")

    row = page.get_by_test_id(f"activity-{meeting.pk}")
    expect(row.get_by_test_id("activity-day")).to_contain_text("4. marts 2025")
    row.get_by_label("Ny dato").fill("2025-03-08")  # a Saturday
    row.get_by_role("button", name="Flyt").click()
    expect(page.get_by_role("alert")).to_contain_text("er ikke en arbejdsdag")

    row = page.get_by_test_id(f"activity-{meeting.pk}")
    row.get_by_label("Ny dato").fill("2025-03-11")
    row.get_by_role("button", name="Flyt").click()
    expect(page.get_by_role("status").filter(has_text="er flyttet til")).to_contain_text("tirsdag 11. marts 2025")
    expect(page).to_have_url(re.compile(rf"/plan/#activity-{meeting.pk}$"))
    expect(page.get_by_test_id(f"activity-{meeting.pk}").get_by_test_id("activity-day")).to_contain_text(
        "11. marts 2025"
    )

    meeting.refresh_from_db()
    assert (meeting.day, meeting.sequence, meeting.generated) == (date(2025, 3, 11), 1, True)
