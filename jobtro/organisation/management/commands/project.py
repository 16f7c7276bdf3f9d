"""`jobtro project`: set up the collaboration from the command line (for scripts and operators).

    jobtro project create "Troen på borgernes jobchance" --start 2026-01-05 [--months 24]
    jobtro project join 0740 --date 2026-01-05 [--project ID]
    jobtro project leave 0740 --date 2027-03-01 [--project ID]
    jobtro project show [--project ID]

Bad input (an unknown municipality code, a malformed date, leaving before joining) ends with one
line saying what is wrong and where, and nothing written.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from jobtro.audit.context import Actor, acting_as
from jobtro.lib.municipalities import normalise_code
from jobtro.organisation.models import Municipality, Participation, Project


def _date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: {text!r} is not a date (expected YYYY-MM-DD)") from None


def _municipality(text: str) -> Municipality:
    try:
        code = normalise_code(text)
    except ValueError as exc:
        raise CommandError(f"municipality: {exc} (expected one of the 98 codes, e.g. 0740 for Silkeborg)") from None
    return Municipality.objects.get(code=code)


def _project(project_id: int | None) -> Project:
    projects = Project.objects.all()
    if project_id is not None:
        found = projects.filter(pk=project_id).first()
        if found is None:
            raise CommandError(f"--project: there is no project with id {project_id}")
        return found
    latest = projects.order_by("-start_date").first()
    if latest is None:
        raise CommandError("there is no project yet: create one with `jobtro project create NAME --start DATE`")
    return latest


class Command(BaseCommand):
    help = "Create the collaboration project and record municipalities joining and leaving it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a project")
        create.add_argument("name")
        create.add_argument("--start", required=True, help="start date, YYYY-MM-DD")
        create.add_argument("--months", type=int, default=24, help="duration in months (default 24)")
        for name in ("join", "leave"):
            p = sub.add_parser(name, help=f"a municipality {name}s the project")
            p.add_argument("municipality", help="municipality code, e.g. 0740")
            p.add_argument("--date", required=True, help="YYYY-MM-DD")
            p.add_argument("--project", type=int, help="project id (default: the latest project)")
        show = sub.add_parser("show", help="show a project and its municipalities")
        show.add_argument("--project", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(Actor(id=None, label="jobtro project", via="cli")), transaction.atomic():
            getattr(self, f"_{options['action']}")(options)

    def _create(self, options: dict[str, Any]) -> None:
        if not 1 <= options["months"] <= 120:
            raise CommandError(f"--months: {options['months']} is out of range (1-120)")
        name = options["name"].strip()
        if not name:
            raise CommandError("name: the project needs a name")
        project = Project.objects.create(
            name=name, start_date=_date("--start", options["start"]), duration_months=options["months"]
        )
        self.stdout.write(f"Created project {project.pk}: {project.name}, {project.start_date} to {project.end_date}.")

    def _join(self, options: dict[str, Any]) -> None:
        project = _project(options["project"])
        municipality = _municipality(options["municipality"])
        joined = _date("--date", options["date"])
        if Participation.objects.filter(project=project, municipality=municipality).exists():
            raise CommandError(f"{municipality.name} ({municipality.code}) already takes part in {project.name}")
        Participation.objects.create(project=project, municipality=municipality, joined=joined)
        self.stdout.write(f"{municipality.name} joins {project.name} on {joined}.")

    def _leave(self, options: dict[str, Any]) -> None:
        project = _project(options["project"])
        municipality = _municipality(options["municipality"])
        left = _date("--date", options["date"])
        participation = Participation.objects.filter(project=project, municipality=municipality).first()
        if participation is None:
            raise CommandError(f"{municipality.name} ({municipality.code}) does not take part in {project.name}")
        if left <= participation.joined:
            joined = participation.joined
            raise CommandError(f"--date: {left} is not after the day {municipality.name} joined ({joined})")
        participation.left = left
        participation.save()
        self.stdout.write(f"{municipality.name} leaves {project.name} on {left}.")

    def _show(self, options: dict[str, Any]) -> None:
        project = _project(options["project"])
        self.stdout.write(f"{project.pk}: {project.name}, {project.start_date} to {project.end_date}")
        for p in project.participations.select_related("municipality"):
            self.stdout.write(f"  {p.municipality.code} {p.municipality.name}: {p.joined} – {p.left or ''}")
