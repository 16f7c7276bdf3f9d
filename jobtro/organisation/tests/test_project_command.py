from __future__ import annotations

from io import StringIO

from django.core.management import CommandError, call_command
from django.test import TestCase

from jobtro.audit.models import AuditEvent
from jobtro.organisation.models import Participation, Project


def _run(*args: str) -> str:
    out = StringIO()
    call_command("project", *args, stdout=out)
    return out.getvalue()


class ProjectCommandTest(TestCase):
    def test_it_creates_a_project_and_records_joining_and_leaving(self) -> None:
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        _run("create", "Troen på borgernes jobchance", "--start", "2026-01-05")
        project = Project.objects.get()
        self.assertEqual(project.duration_months, 24)
        _run("join", "740", "--date", "2026-01-05")
        _run("leave", "0740", "--date", "2027-02-01")
        participation = Participation.objects.get()
        self.assertEqual(participation.municipality_id, "0740")
        self.assertEqual(str(participation.left), "2027-02-01")
        self.assertIn("0740 Silkeborg: 2026-01-05", _run("show"))
        # Every change is in the audit log, done by the command.
        events = AuditEvent.objects.filter(id__gt=before)
        self.assertEqual(set(events.values_list("actor_label", "via")), {("jobtro project", "cli")})
        self.assertEqual(events.filter(action="create").count(), 2)
        self.assertEqual(events.filter(action="update").count(), 1)

    def test_it_names_an_unknown_municipality_code_and_writes_nothing(self) -> None:
        _run("create", "P", "--start", "2026-01-05")
        with self.assertRaisesMessage(CommandError, "unknown municipality code: '9999'"):
            _run("join", "9999", "--date", "2026-01-05")
        with self.assertRaisesMessage(CommandError, "not a municipality code: 'abc'"):
            _run("join", "abc", "--date", "2026-01-05")
        self.assertFalse(Participation.objects.exists())

    def test_it_names_a_bad_date(self) -> None:
        with self.assertRaisesMessage(CommandError, "--start: '2026-13-01' is not a date"):
            _run("create", "P", "--start", "2026-13-01")
        self.assertFalse(Project.objects.exists())

    def test_it_refuses_leaving_before_joining(self) -> None:
        _run("create", "P", "--start", "2026-01-05")
        _run("join", "0740", "--date", "2026-03-01")
        with self.assertRaisesMessage(CommandError, "is not after the day Silkeborg joined"):
            _run("leave", "0740", "--date", "2026-02-01")
        self.assertIsNone(Participation.objects.get().left)

    def test_it_needs_a_project_first(self) -> None:
        with self.assertRaisesMessage(CommandError, "there is no project yet"):
            _run("join", "0740", "--date", "2026-01-05")
