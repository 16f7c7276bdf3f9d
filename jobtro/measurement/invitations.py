"""Invitations to a wave: each caseworker's personal single-use link by e-mail, the reminders before
the wave closes, and the progress (started, finished) that reminders and response rates rest on.

The link carries a random token; only its SHA-256 digest is stored, so the database alone never holds
a working link. Sending, reminding and opening due waves are idempotent: run them as often as you like.
Writes go through the ORM's ``update()`` (so a token digest never reaches the audit log's change
details) and record their own audit event, one per invitation.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.measurement.actions import open_wave
from jobtro.measurement.models import Answer, CaseworkerAssignment, Invitation, Item, Wave, WaveCaseload
from jobtro.organisation import access
from jobtro.organisation.models import Membership, Role, Staff

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32
# Longer than any token_urlsafe(TOKEN_BYTES); anything longer is not worth hashing.
MAX_TOKEN_LENGTH = 100


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_digest(token)


def configured_base_url() -> str:
    """The site's address for links in e-mails sent without a request (commands, tasks)."""
    configured: str = getattr(settings, "JOBTRO_BASE_URL", "")
    if configured:
        return configured.rstrip("/")
    if settings.DEBUG:
        return "http://127.0.0.1:8000"
    raise ImproperlyConfigured("JOBTRO_BASE_URL is not set: e-mailed links need the site's address")


def command_base_url(option: str | None) -> str:
    """The base URL for a management command: its ``--base-url`` or the configured one."""
    from django.core.management.base import CommandError

    try:
        return option or configured_base_url()
    except ImproperlyConfigured as exc:
        raise CommandError(f"{exc}, or pass --base-url") from None


def link_url(token: str, base_url: str) -> str:
    return base_url.rstrip("/") + reverse("invitation_login", args=[token])


def rating_url(wave: Wave) -> str:
    """Where a used link leads: the wave's rating page. Reversed at call time, never at import; until
    the rating page's URL exists the home page stands in for it."""
    try:
        return reverse("rate_wave", args=[wave.pk])
    except NoReverseMatch:
        return reverse("home")


# --- progress: who has started and who has finished --------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """One caseworker's progress in one wave."""

    frozen: int  # citizens in the frozen caseload
    rated: int  # of them, those with every specific item answered ("ved ikke" is an answer)
    general_answered: int
    general_items: int
    started: bool  # at least one answer

    @property
    def complete(self) -> bool:
        return self.rated >= self.frozen and self.general_answered >= self.general_items


def _item_counts(versions: Iterable[int]) -> dict[tuple[int, str], int]:
    rows = (
        Item.objects.filter(version_id__in=set(versions))
        .order_by()
        .values("version_id", "scope")
        .annotate(n=Count("id"))
        .values_list("version_id", "scope", "n")
    )
    return {(version, scope): n for version, scope, n in rows}


def progress(waves: Sequence[Wave]) -> dict[tuple[int, int], Progress]:
    """Progress per (wave id, caseworker id) for every caseworker with a frozen caseload, in two
    aggregate queries (plus one for the item counts) whatever the number of caseworkers or answers.

    An answer counts once however often it was changed: distinct items, not answer rows.
    """
    if not waves:
        return {}
    wave_ids = [w.pk for w in waves]
    items = _item_counts(w.instrument_version_id for w in waves)
    specific = {w.pk: items.get((w.instrument_version_id, Item.Scope.SPECIFIC), 0) for w in waves}
    general = {w.pk: items.get((w.instrument_version_id, Item.Scope.GENERAL), 0) for w in waves}

    answered_items = (
        Answer.objects.filter(
            wave_id=OuterRef("wave_id"),
            caseworker_id=OuterRef("caseworker_id"),
            citizen_id=OuterRef("citizen_id"),
            item__scope=Item.Scope.SPECIFIC,
        )
        .order_by()
        .values("citizen_id")
        .annotate(n=Count("item_id", distinct=True))
        .values("n")[:1]
    )
    fully_rated = Q()
    for wave_id, needed in specific.items():
        fully_rated |= Q(wave_id=wave_id, answered_items__gte=needed)
    # A frozen citizen who left the caseworker while the wave was open (moved to a colleague, or
    # left for a job) is no longer on their rating page, so they do not count against completion;
    # the condition is the same for closed waves, so history does not shift as citizens move on later.
    still_theirs = CaseworkerAssignment.objects.filter(
        citizen_id=OuterRef("citizen_id"), caseworker_id=OuterRef("caseworker_id")
    ).filter(Q(end__isnull=True) | Q(end__gt=OuterRef("wave__closes_on")))
    caseloads = (
        WaveCaseload.objects.filter(wave_id__in=wave_ids)
        .filter(Exists(still_theirs))
        .annotate(answered_items=Coalesce(Subquery(answered_items, output_field=IntegerField()), 0))
        .order_by()
        .values("wave_id", "caseworker_id")
        .annotate(frozen=Count("id"), rated=Count("id", filter=fully_rated))
        .values_list("wave_id", "caseworker_id", "frozen", "rated")
    )
    answers = {
        (wave_id, caseworker_id): (n_general, n_any)
        for wave_id, caseworker_id, n_general, n_any in Answer.objects.filter(wave_id__in=wave_ids)
        .order_by()
        .values("wave_id", "caseworker_id")
        .annotate(
            n_general=Count("item_id", distinct=True, filter=Q(item__scope=Item.Scope.GENERAL)),
            n_any=Count("id"),
        )
        .values_list("wave_id", "caseworker_id", "n_general", "n_any")
    }
    result = {}
    for wave_id, caseworker_id, frozen, rated in caseloads:
        n_general, n_any = answers.get((wave_id, caseworker_id), (0, 0))
        result[(wave_id, caseworker_id)] = Progress(
            frozen=frozen, rated=rated, general_answered=n_general, general_items=general[wave_id], started=n_any > 0
        )
    return result


# --- response rates per wave, municipality and team ---------------------------------------------------


@dataclass
class Rate:
    """Response in one cell: caseworkers invited / started / completed, citizens rated / frozen."""

    invited: int = 0
    started: int = 0
    completed: int = 0
    citizens_rated: int = 0
    citizens_frozen: int = 0

    def add(self, p: Progress) -> None:
        self.invited += 1
        self.started += p.started
        self.completed += p.complete
        self.citizens_rated += p.rated
        self.citizens_frozen += p.frozen

    @property
    def completed_percent(self) -> float | None:
        return 100 * self.completed / self.invited if self.invited else None

    @property
    def started_percent(self) -> float | None:
        return 100 * self.started / self.invited if self.invited else None

    @property
    def citizens_percent(self) -> float | None:
        return 100 * self.citizens_rated / self.citizens_frozen if self.citizens_frozen else None


@dataclass
class WaveRates:
    wave: Wave
    total: Rate = field(default_factory=Rate)
    # (label, rate), sorted by label
    municipalities: list[tuple[str, Rate]] = field(default_factory=list)
    teams: list[tuple[str, Rate]] = field(default_factory=list)


NO_TEAM = "–"


def _placement(memberships: list[Membership], day: date) -> Membership | None:
    """The caseworker membership that places a caseworker in a wave: the one held on the day the wave
    opened, else the latest begun before it, else the first."""
    held = [m for m in memberships if m.start <= day and (m.end is None or m.end > day)]
    begun = [m for m in memberships if m.start <= day]
    chosen = held or begun or memberships[:1]
    return max(chosen, key=lambda m: m.start) if chosen else None


def response_rates(waves: Sequence[Wave]) -> dict[int, WaveRates]:
    """Response per wave, and per municipality and team within it (the caseworker's team on the day
    the wave opened). A constant number of queries, whatever the size of the project."""
    rates = {w.pk: WaveRates(w) for w in waves}
    if not waves:
        return rates
    done = progress(waves)
    invited = list(Invitation.objects.filter(wave_id__in=rates).order_by().values_list("wave_id", "caseworker_id"))
    placements: dict[int, list[Membership]] = defaultdict(list)
    for m in (
        Membership.objects.filter(
            role=Role.CASEWORKER, staff_id__in=Invitation.objects.filter(wave_id__in=rates).values("caseworker_id")
        )
        .select_related("municipality", "unit")
        .order_by("start", "pk")
    ):
        placements[m.staff_id].append(m)

    municipal: dict[int, dict[str, Rate]] = defaultdict(lambda: defaultdict(Rate))
    teams: dict[int, dict[str, Rate]] = defaultdict(lambda: defaultdict(Rate))
    for wave_id, caseworker_id in invited:
        wave = rates[wave_id].wave
        day = timezone.localdate(wave.opened_at) if wave.opened_at else wave.opens_on
        p = done.get((wave_id, caseworker_id), Progress(0, 0, 0, 0, False))
        placed = _placement(placements[caseworker_id], day)
        municipality = placed.municipality.name if placed and placed.municipality else NO_TEAM
        team = f"{placed.unit.name}, {municipality}" if placed and placed.unit else f"{NO_TEAM} ({municipality})"
        rates[wave_id].total.add(p)
        municipal[wave_id][municipality].add(p)
        teams[wave_id][team].add(p)
    for wave_id, wave_rates in rates.items():
        wave_rates.municipalities = sorted(municipal[wave_id].items())
        wave_rates.teams = sorted(teams[wave_id].items())
    return rates


# --- sending invitations and reminders ----------------------------------------------------------------


@dataclass
class SendReport:
    sent: int = 0
    not_sendable: int = 0  # no e-mail address, or an account that may not use a link
    failed: int = 0  # the mail server refused; retried on the next run

    def __iadd__(self, other: SendReport) -> SendReport:
        self.sent += other.sent
        self.not_sendable += other.not_sendable
        self.failed += other.failed
        return self


def due_reminder_days(wave: Wave, today: date) -> list[int]:
    """The wave's reminder days (days before closing) that have come by ``today``, largest first."""
    if not wave.opens_on <= today <= wave.closes_on:
        return []
    left = (wave.closes_on - today).days
    return sorted({int(d) for d in wave.reminder_days if int(d) >= left}, reverse=True)


def _sendable(caseworker: Staff) -> bool:
    return bool(caseworker.email) and access.can_use_invitation(caseworker)


def _message(
    kind: str,
    *,
    invitation: Invitation,
    wave: Wave,
    token: str,
    base_url: str,
    citizens: int,
    missing: int = 0,
    connection: BaseEmailBackend,
) -> EmailMessage:
    caseworker = invitation.caseworker
    context = {
        "name": caseworker.get_full_name() or caseworker.get_username(),
        "wave": wave,
        "project": wave.project,
        "citizens": citizens,
        "missing": missing,
        "link": link_url(token, base_url),
        "login_url": base_url.rstrip("/") + reverse("login"),
    }
    # The e-mails are Danish whatever the language of the request that happened to send them.
    with translation.override("da"):
        subject = " ".join(render_to_string(f"measurement/email/{kind}_subject.txt", context).split())
        body = render_to_string(f"measurement/email/{kind}.txt", context)
    return EmailMessage(subject, body, to=[caseworker.email], connection=connection)


def _citizens_per_caseworker(wave: Wave) -> dict[int, int]:
    return dict(
        WaveCaseload.objects.filter(wave=wave)
        .order_by()
        .values("caseworker_id")
        .annotate(n=Count("id"))
        .values_list("caseworker_id", "n")
    )


def create_invitations(wave: Wave) -> int:
    """An invitation for every caseworker with a frozen caseload in the wave who has none yet.

    Each gets a placeholder digest of a token nobody knows; sending replaces it with the real one.
    """
    caseworkers = set(WaveCaseload.objects.filter(wave=wave).values_list("caseworker_id", flat=True))
    caseworkers -= set(wave.invitations.values_list("caseworker_id", flat=True))
    if not caseworkers:
        return 0
    new = [Invitation(wave=wave, caseworker_id=c, token_digest=_new_token()[1]) for c in sorted(caseworkers)]
    Invitation.objects.bulk_create(new, ignore_conflicts=True)  # a concurrent run may have made some
    record(AuditEvent.Action.BULK, wave, detail={"invitations_created": len(new)})
    return len(new)


def send_invitations(wave: Wave, *, base_url: str, now: datetime | None = None) -> SendReport:
    """Send every invitation of the wave not sent yet (a fresh single-use link each)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = SendReport()
    pending = list(wave.invitations.filter(sent_at__isnull=True).select_related("caseworker").order_by("pk"))
    if not pending:
        return report
    citizens = _citizens_per_caseworker(wave)
    # Reminder days already past when the invitation goes out are covered by the invitation itself.
    covered = due_reminder_days(wave, today)
    with _Mailer() as mailer:
        for invitation in pending:
            if not _sendable(invitation.caseworker):
                report.not_sendable += 1
                continue

            def send(connection: BaseEmailBackend, invitation: Invitation = invitation) -> bool:
                token, digest = _new_token()
                updated = Invitation.objects.filter(pk=invitation.pk, sent_at__isnull=True).update(
                    token_digest=digest,
                    sent_at=now,
                    used_at=None,
                    reminders_sent=sorted(set(invitation.reminders_sent) | set(covered), reverse=True),
                )
                if not updated:
                    return False  # another run sent it meanwhile
                message = _message(
                    "invitation",
                    invitation=invitation,
                    wave=wave,
                    token=token,
                    base_url=base_url,
                    citizens=citizens.get(invitation.caseworker_id, 0),
                    connection=connection,
                )
                message.send()
                record(AuditEvent.Action.UPDATE, invitation, detail={"invitation_sent": True})
                return True

            mailer.run(invitation, send, report)
    return report


def send_reminders(*, base_url: str, now: datetime | None = None) -> SendReport:
    """One reminder, with a fresh single-use link, to each caseworker in an open wave who has not
    finished, on each of the wave's reminder days. Never two for the same reminder day: the days are
    recorded in ``Invitation.reminders_sent`` in the same transaction as the sending. A run that
    missed a reminder day catches up with one reminder, not one per missed day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = SendReport()
    waves = Wave.objects.filter(opened_at__isnull=False, opens_on__lte=today, closes_on__gte=today).select_related(
        "project"
    )
    for wave in waves.order_by("pk"):
        due = due_reminder_days(wave, today)
        if not due:
            continue
        done = progress([wave])
        candidates = [
            invitation
            for invitation in wave.invitations.filter(sent_at__isnull=False).select_related("caseworker").order_by("pk")
            if not set(due) <= set(invitation.reminders_sent)
            and (wave.pk, invitation.caseworker_id) in done
            and not done[(wave.pk, invitation.caseworker_id)].complete
        ]
        if not candidates:
            continue
        with _Mailer() as mailer:
            for invitation in candidates:
                if not _sendable(invitation.caseworker):
                    report.not_sendable += 1
                    continue
                so_far = done[(wave.pk, invitation.caseworker_id)]

                def send(
                    connection: BaseEmailBackend,
                    invitation: Invitation = invitation,
                    p: Progress = so_far,
                    wave: Wave = wave,
                    due: list[int] = due,
                ) -> bool:
                    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
                    days = sorted(set(locked.reminders_sent) | set(due), reverse=True)
                    if days == sorted(set(locked.reminders_sent), reverse=True):
                        return False  # another run reminded meanwhile
                    token, digest = _new_token()
                    Invitation.objects.filter(pk=locked.pk).update(
                        token_digest=digest, used_at=None, reminders_sent=days
                    )
                    message = _message(
                        "reminder",
                        invitation=invitation,
                        wave=wave,
                        token=token,
                        base_url=base_url,
                        citizens=p.frozen,
                        missing=p.frozen - p.rated,
                        connection=connection,
                    )
                    message.send()
                    record(AuditEvent.Action.UPDATE, locked, detail={"reminder_sent": max(due), "days_left": min(due)})
                    return True

                mailer.run(invitation, send, report)
    return report


class _Mailer:
    """One mail-server connection for a batch; each send in its own transaction, so a message the
    server refuses leaves its invitation as it was (to be retried on the next run)."""

    def __enter__(self) -> _Mailer:
        self.connection = get_connection()
        self.opened = False
        return self

    def __exit__(self, *exc: object) -> None:
        if self.opened:
            self.connection.close()

    def run(self, invitation: Invitation, send: _Send, report: SendReport) -> None:
        try:
            if not self.opened:
                self.connection.open()
                self.opened = True
            with transaction.atomic():
                if send(self.connection):
                    report.sent += 1
        except OSError:  # smtplib's errors are OSErrors too
            logger.exception("could not send the e-mail for invitation %s", invitation.pk)
            report.failed += 1


class _Send(Protocol):
    """Sends one invitation's e-mail inside the caller's transaction; False if there was nothing to do."""

    def __call__(self, connection: BaseEmailBackend) -> bool: ...


# --- opening waves ------------------------------------------------------------------------------------


class WaveNotOpenable(ValueError):
    pass


@dataclass
class OpenReport:
    frozen: int
    invited: int
    sending: SendReport


def open_and_invite(wave: Wave, *, base_url: str, now: datetime | None = None) -> OpenReport:
    """Open a wave (freezing the caseloads), invite every caseworker with a frozen caseload and send
    the invitations. A wave opened before its planned day opens today. Idempotent: on an open wave it
    only sends what has not been sent."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    wave.refresh_from_db()
    if wave.opened_at is None:
        if today > wave.closes_on:
            raise WaveNotOpenable("the wave's closing day has passed")
        if wave.opens_on > today:
            wave.opens_on = today
            wave.save(update_fields=["opens_on"])  # the audit log's signals record the change
        open_wave(wave, now=now)
        wave.refresh_from_db()
    frozen = wave.caseload.count()
    create_invitations(wave)
    sending = send_invitations(wave, base_url=base_url, now=now)
    return OpenReport(frozen=frozen, invited=wave.invitations.count(), sending=sending)


def open_due_waves(*, base_url: str, now: datetime | None = None) -> tuple[list[Wave], SendReport]:
    """Open the waves whose opening day has come (and whose closing day has not passed), and send any
    invitation of an open wave still unsent (an address added since, or a mail server that was down)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    opened = []
    report = SendReport()
    due = Wave.objects.filter(opened_at__isnull=True, opens_on__lte=today, closes_on__gte=today).order_by("opens_on")
    for wave in due:
        report += open_and_invite(wave, base_url=base_url, now=now).sending
        opened.append(wave)
    still_open = Wave.objects.filter(opened_at__isnull=False, closes_on__gte=today).exclude(
        pk__in=[w.pk for w in opened]
    )
    for wave in still_open.order_by("pk"):
        create_invitations(wave)
        report += send_invitations(wave, base_url=base_url, now=now)
    return opened, report


# --- using a link -------------------------------------------------------------------------------------


class LinkState(StrEnum):
    READY = "ready"
    USED = "used"
    CLOSED = "closed"
    INVALID = "invalid"  # unknown, replaced by a newer link, or an account that may not use one


@dataclass(frozen=True)
class Link:
    state: LinkState
    invitation: Invitation | None = None


def look_up(token: str, *, today: date) -> Link:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return Link(LinkState.INVALID)
    invitation = (
        Invitation.objects.select_related("wave", "caseworker").filter(token_digest=token_digest(token)).first()
    )
    if invitation is None or not access.can_use_invitation(invitation.caseworker):
        return Link(LinkState.INVALID)
    if today > invitation.wave.closes_on:
        return Link(LinkState.CLOSED, invitation)
    if invitation.used_at is not None:
        return Link(LinkState.USED, invitation)
    return Link(LinkState.READY, invitation)


def redeem(token: str, *, now: datetime | None = None) -> Link:
    """Spend a link: READY exactly once per token, even for two requests at the same instant."""
    now = now or timezone.now()
    link = look_up(token, today=timezone.localdate(now))
    if link.state != LinkState.READY or link.invitation is None:
        return link
    invitation = link.invitation
    claimed = Invitation.objects.filter(
        pk=invitation.pk, token_digest=token_digest(token), used_at__isnull=True
    ).update(used_at=now)
    if not claimed:
        return Link(LinkState.USED, invitation)
    invitation.used_at = now
    record(AuditEvent.Action.UPDATE, invitation, detail={"link_used": True})
    return link
