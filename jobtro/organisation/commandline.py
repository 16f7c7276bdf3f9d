"""What the `jobtro` commands share: which project a command works on, and who ran it (for the audit log)."""

from __future__ import annotations

import getpass

from django.core.management.base import CommandError

from jobtro.audit.context import Actor
from jobtro.organisation.models import Project, current_project


def command_project(project_id: int | None) -> Project:
    """The project given by ``--project ID``, or the latest project; a one-line error if there is none."""
    projects = Project.objects.all()
    if project_id is not None:
        found = projects.filter(pk=project_id).first()
        if found is None:
            raise CommandError(f"--project: there is no project with id {project_id}", returncode=2)
        return found
    latest = current_project()
    if latest is None:
        raise CommandError(
            "there is no project yet: create one with `jobtro project create NAME --start DATE`", returncode=2
        )
    return latest


def operator() -> str:
    """Who ran the command; a container may have no name for its user id."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def command_actor(command: str) -> Actor:
    """The audit log's actor for a command run from the shell."""
    return Actor(id=None, label=f"jobtro {command} ({operator()})", via="cli")
