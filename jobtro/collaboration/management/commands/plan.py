"""`jobtro plan PROJECT_ID`: generate the seed's activity plan for a project (only what it lacks)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobtro.audit.context import Actor, acting_as
from jobtro.collaboration.planning import apply_plan
from jobtro.organisation.models import Project


class Command(BaseCommand):
    help = "Create a project's generated meetings (start-up, local, experience) that it lacks; never moves any."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("project", type=int, help="the project's id")

    def handle(self, *args: Any, **options: Any) -> None:
        project = Project.objects.filter(pk=options["project"]).first()
        if project is None:
            raise CommandError(f"no project with id {options['project']}")
        with acting_as(Actor(id=None, label="jobtro plan", via="cli")):
            created = apply_plan(project)
        self.stdout.write(self.style.SUCCESS(f"{project}: {created} activities created."))
