"""Background tasks of the barometer (Django's tasks API, run by the django-tasks-db worker): opening
due waves and sending reminders. Each is idempotent, so a scheduler may enqueue it as often as it likes;
`jobtro open-due-waves` and `jobtro send-reminders` do the same from cron."""

from __future__ import annotations

from django_tasks import task

from jobtro.audit.context import Actor, acting_as
from jobtro.measurement import invitations


@task()
def open_due_waves() -> dict[str, int]:
    with acting_as(Actor(id=None, label="task open-due-waves", via="task")):
        opened, report = invitations.open_due_waves(base_url=invitations.configured_base_url())
    return {"opened": len(opened), "sent": report.sent, "not_sendable": report.not_sendable, "failed": report.failed}


@task()
def send_reminders() -> dict[str, int]:
    with acting_as(Actor(id=None, label="task send-reminders", via="task")):
        report = invitations.send_reminders(base_url=invitations.configured_base_url())
    return {"sent": report.sent, "not_sendable": report.not_sendable, "failed": report.failed}
