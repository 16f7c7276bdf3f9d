"""`jobtro send-reminders`: remind caseworkers who have not finished an open wave, on each of the wave's
reminder days, with a fresh single-use link.

Run it daily (cron, or the `send_reminders` task). Idempotent: a caseworker gets at most one reminder
per reminder day however often it runs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobtro.audit.context import Actor, acting_as
from jobtro.measurement import invitations


class Command(BaseCommand):
    help = "E-mail today's reminders to caseworkers who have not finished an open wave."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", help="the site's address for the links (default: JOBTRO_BASE_URL)")

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = invitations.command_base_url(options["base_url"])
        with acting_as(Actor(id=None, label="jobtro send-reminders", via="cli")):
            report = invitations.send_reminders(base_url=base_url)
        self.stdout.write(
            f"{report.sent} reminders sent, {report.not_sendable} caseworkers without an address or an active "
            f"caseworker role, {report.failed} failed (retried on the next run)."
        )
        if report.failed:
            raise CommandError(f"{report.failed} reminders could not be sent")
