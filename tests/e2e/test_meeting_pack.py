"""A team leader downloads a meeting pack in the browser: the packs page lists their municipality's meetings,
the download is a PDF with the expected pages and text, and its first page, drawn as an image, is not blank
(the data of jobtro/reports/tests/test_packs.py)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from jobtro.organisation.models import Project
from jobtro.reports.tests.test_packs import build_pack_data, pdf_text

pytestmark = [pytest.mark.browser]
expect = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed").expect
pdfium = pytest.importorskip("pypdfium2")


def test_team_leader_downloads_the_meeting_pack(log_in: Any, org: SimpleNamespace, tmp_path: Path) -> None:
    data = build_pack_data(Project.objects.get(), org.personas)
    page = log_in("team_leader")
    page.goto("/insight/packs/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mødepakker")
    past = page.get_by_test_id("packs-past")
    expect(past).to_contain_text("Lokalt møde i Silkeborg")
    expect(past).to_contain_text("Erfaringsmøde")
    expect(page.locator("main")).not_to_contain_text("Lokalt møde i Odder")  # another municipality's meeting

    with page.expect_download() as download_info:
        past.get_by_role("link", name="Hent PDF (Lokalt møde i Silkeborg, 1. april 2025)").click()
    download = download_info.value
    assert download.suggested_filename == f"jobtro-modepakke-0740-2025-04-01-{data.local_x.pk}.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF")

    document = pdfium.PdfDocument(pdf)
    try:
        assert len(document) == 2
        image = document[0].render(scale=1).to_pil().convert("L")
    finally:
        document.close()
    pixels = image.width * image.height
    ink = sum(image.histogram()[:200])  # grey levels 0-199: text, lines, the plot
    assert ink / pixels > 0.02, f"page 1 looks blank: {ink} of {pixels} pixels are not white"

    text = pdf_text(pdf)
    for expected in ("Mødepakke: Silkeborg", "Lokalt møde i Silkeborg", "Besvarelse pr. måling", "Måling 2"):
        assert expected in text
    assert "Odder" not in text
