"""A data manager's register upload in the browser: a file with mistakes shows every problem with its
row and column (and downloads them all), the corrected file is imported with its counts; a job that is
still running shows its progress and turns into the result by itself."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jobtro.outcomes.tests.test_views import BAD_STATUS, GOOD_STATUS

pytestmark = [pytest.mark.browser]
# Without Playwright (a dev dependency) the module is skipped, not an import error.
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _upload(page: Any, name: str, data: bytes) -> None:
    page.get_by_label("Ugentlig status").check()
    page.get_by_label("Kommune").select_option("0727")
    page.get_by_label("Fil (CSV, Parquet eller XLSX)").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    page.get_by_role("button", name="Upload og indlæs").click()


def test_data_manager_sees_every_problem_then_imports_the_corrected_file(
    log_in: Any, org: SimpleNamespace, settings: Any, tmp_path: Path
) -> None:
    settings.TASKS = IMMEDIATE  # the live server runs the import before it redirects to the job page
    page = log_in("data_manager_y")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Indlæs registerdata").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Indlæs registerdata")

    _upload(page, "uge7-fejl.csv", BAD_STATUS)

    expect(page).to_have_url(re.compile(r"/outcomes/jobs/[0-9a-f-]{36}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("uge7-fejl.csv")
    expect(page.get_by_test_id("import-errors")).to_contain_text("Filen har 5 problemer. Intet er gemt.")
    table = page.get_by_test_id("import-error-table")
    expect(table.locator("tbody tr")).to_have_count(5)
    first = table.locator("tbody tr").first
    expect(first.locator("td").nth(0)).to_have_text("3")
    expect(first.locator("td").nth(1)).to_have_text("cpr")
    expect(first.locator("td").nth(2)).to_have_text("12345")
    expect(first.locator("td").nth(3)).to_have_text("Ikke et gyldigt CPR-nummer.")
    expect(table).to_contain_text("Statuskoden står ikke på projektets statuskodeliste")

    with page.expect_download() as download:
        page.get_by_test_id("problems-download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "uge7-fejl-problemer.csv"
    lines = saved.read_text(encoding="utf-8-sig").strip().splitlines()
    assert lines[0] == "Række;Kolonne;Værdi;Hvad er galt"
    assert len(lines) == 6

    page.get_by_role("link", name="Upload en anden fil").click()
    _upload(page, "uge7.csv", GOOD_STATUS)

    summary = page.get_by_test_id("import-summary")
    expect(summary).to_contain_text("Filen er indlæst for Odder.")
    expect(summary).to_contain_text("Rækker i filen: 4")
    expect(summary).to_contain_text("Borgere i filen: 3")
    expect(summary).to_contain_text("Borgeruger tilføjet: 4")
    expect(page.get_by_test_id("import-errors")).to_have_count(0)

    page.get_by_role("link", name="Upload en anden fil").click()
    imported = page.get_by_test_id("import-table")
    expect(imported).to_contain_text("uge7.csv")
    expect(imported).to_contain_text("2025-W07 – 2025-W08")
    expect(imported).not_to_contain_text("uge7-fejl.csv")  # nothing of the bad file was imported


def test_a_running_job_shows_its_progress_and_then_its_result(log_in: Any, org: SimpleNamespace, settings: Any) -> None:
    from jobtro.outcomes.models import ImportJob
    from jobtro.outcomes.tasks import progress_reporter, run_import_job

    settings.TASKS = DUMMY  # nobody runs the job until the test does
    page = log_in("data_manager_y")
    page.goto("/outcomes/import/")
    _upload(page, "uge7.csv", GOOD_STATUS)

    running = page.get_by_test_id("job-running")
    expect(running).to_contain_text("Venter på, at indlæsningen begynder.")
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    progress_reporter(job.pk, job.kind)("check")
    expect(running).to_contain_text("Trin 2 af 6: Kontrollerer hver værdi")
    expect(page.get_by_test_id("job-progress-bar")).to_have_attribute("value", "17")

    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.QUEUED)
    run_import_job.call(str(job.pk))  # what the worker does; the page reloads itself when the job ends
    expect(page.get_by_test_id("import-summary")).to_contain_text("Borgeruger tilføjet: 4")
    expect(page.get_by_test_id("job-running")).to_have_count(0)
