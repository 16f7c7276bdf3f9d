"""`jobtro demo`: load the simulated demo collaboration and print a login for each role."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from jobtro.audit.context import Actor, acting_as
from jobtro.organisation.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load the simulated demo collaboration (four municipalities) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="simulation seed (default 2026)")

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(Actor(id=None, label="jobtro demo", via="cli")):
            summary = load_demo(seed=options["seed"])
        if summary.created:
            counts = ", ".join(f"{v} {k}" for k, v in summary.counts.items())
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo collaboration: {counts}."))
        else:
            self.stdout.write(f"The demo collaboration is already loaded ({summary.project.name}).")
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
        for login in summary.logins:
            self.stdout.write(f"  {login.username:<14} {login.role.label} ({login.where})")
