"""Exports obey disclosure control (issue 7, point 9). Today every download is row-level: the answer export is
for researchers only, the rest hand a user their own records. A module that starts serving a download must
either be listed in jobtro.reports.disclosure.DOWNLOADS with the reason it is safe, or build its numbers with
jobtro.reports.disclosure - this test finds every download in the code and fails otherwise."""

from __future__ import annotations

import re
from pathlib import Path

from django.test import override_settings
from django.urls import reverse

from jobtro.organisation import access
from jobtro.reports import disclosure
from jobtro.testing import PersonaTestCase

ROOT = Path(__file__).resolve().parents[3]
DOWNLOAD = re.compile(r"as_attachment\s*=\s*True|Content-Disposition")
USES_DISCLOSURE = re.compile(r"jobtro\.reports(\.disclosure| import [^\n]*\bdisclosure\b)")


def download_modules() -> dict[str, str]:
    found = {}
    for path in sorted((ROOT / "jobtro").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/tests/" in relative or "/migrations/" in relative:
            continue
        text = path.read_text(encoding="utf-8")
        if DOWNLOAD.search(text):
            found[relative] = text
    return found


def test_every_download_is_listed_or_applies_disclosure_control() -> None:
    modules = download_modules()
    assert "jobtro/measurement/export_views.py" in modules  # the scan finds what it should
    unsafe = [
        name for name, text in modules.items() if name not in disclosure.DOWNLOADS and not USES_DISCLOSURE.search(text)
    ]
    assert unsafe == [], (
        f"{unsafe} serve downloads: build aggregates with jobtro.reports.disclosure, or list the module in "
        "jobtro.reports.disclosure.DOWNLOADS with the reason it is safe"
    )


def test_listed_downloads_still_exist() -> None:
    modules = download_modules()
    assert [name for name in disclosure.DOWNLOADS if name not in modules] == []


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class ResearcherOnlyExportsTestCase(PersonaTestCase):
    """The row-level answer export (listed as researchers-only) refuses every other role."""

    def test_only_researchers_may_export_answers(self) -> None:
        url = reverse("answer_export")
        for persona, user in self.personas.items():
            with self.subTest(persona=persona):
                self.assertEqual(access.can_export_answers(user), persona == "researcher")
                self.login(persona)
                self.assertEqual(self.client.get(url).status_code, 200 if persona == "researcher" else 403)
