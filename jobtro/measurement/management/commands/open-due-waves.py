"""`jobtro open-due-waves`: open every wave whose opening day has come, and send the invitations.

Run it daily (cron, or the `open_due_waves` task). Idempotent: a wave opens once, an invitation is sent
once; invitations that could not be sent before (no address then, mail server down) go out now.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobtro.audit.context import Actor, acting_as
from jobtro.measurement import invitations


class Command(BaseCommand):
    help = "Open the waves whose opening day has come and e-mail each caseworker their personal link."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--base-url", help="the site's address for the links (default: JOBTRO_BASE_URL)")

    def handle(self, *args: Any, **options: Any) -> None:
        base_url = invitations.command_base_url(options["base_url"])
        with acting_as(Actor(id=None, label="jobtro open-due-waves", via="cli")):
            opened, report = invitations.open_due_waves(base_url=base_url)
        for wave in opened:
            self.stdout.write(f"Opened {wave.name} ({wave.project}), closing {wave.closes_on}.")
        self.stdout.write(
            f"{len(opened)} waves opened; {report.sent} invitations sent, {report.not_sendable} caseworkers "
            f"without an address or an active caseworker role, {report.failed} failed (retried on the next run)."
        )
        if report.failed:
            raise CommandError(f"{report.failed} invitations could not be sent")
