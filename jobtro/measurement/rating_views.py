"""The caseworker's rating page (the whole frozen caseload on one page, one tap or key per answer, each
answer saved at once) and their own answers over the waves.

Identities are decrypted in one pass per page and every shown one is written to the audit log
(identity.reveal). Every answer goes through actions.record_answer with the client's request id, so a
repeated request (double click, retry after a lost connection, the same form posted twice) is stored
once; the page works as plain forms without JavaScript and htmx makes each answer a partial update.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from jobtro.measurement import identity
from jobtro.measurement.actions import AnswerRejected, current_answers, record_answer
from jobtro.measurement.models import Answer, CaseworkerAssignment, Citizen, Item, Wave
from jobtro.organisation import access
from jobtro.organisation.models import Staff

DONT_KNOW = "dk"  # the form value of "ved ikke": missing, not a point on the scale
# Letters for yes/no besides the digits 1 and 0 (Danish j/n; y for English keyboards' habits).
YES_KEYS, NO_KEYS = "j y", "n"
# HTTP status per reason record_answer refuses an answer; all of them are final (a retry cannot help).
REJECTED_STATUS = {"closed": 409, "conflict": 409, "item": 400, "value": 400}


# --- what the pages show ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    keys: str  # space-separated keyboard shortcuts; the first is printed on the button
    pressed: bool


@dataclass(frozen=True)
class Group:
    """One question on the page: a general item, or a specific item about one citizen."""

    dom_id: str
    item: Item
    text: str
    citizen_id: int | None
    choices: tuple[Choice, ...]
    percent: int | None  # the current answer of a percentage item
    answered: bool
    request_id: str  # used by the plain form; the script sends its own id per click

    @property
    def buttons(self) -> SafeString:
        return _buttons(self.choices)


@lru_cache(maxsize=512)
def _buttons(choices: tuple[Choice, ...]) -> SafeString:
    """The answer buttons of one question. Built here, not in the template, and cached (they differ only
    in which one is pressed): a page of 60 citizens has 360 of them, and rendering them one template
    node at a time took most of the page's time."""
    html = []
    for c in choices:
        shortcut = badge = ""
        if c.keys:
            shortcut = f' aria-keyshortcuts="{escape(c.keys.upper())}" data-keys="{escape(c.keys)}"'
            badge = f'<span class="rating-key" aria-hidden="true">{escape(c.keys[:1].upper())}</span> '
        html.append(
            f'<button type="submit" name="value" value="{escape(c.value)}" class="rating-option" '
            f'aria-pressed="{"true" if c.pressed else "false"}"{shortcut}>{badge}'
            f'<span class="rating-label">{escape(c.label)}</span></button>'
        )
    return mark_safe("".join(html))  # noqa: S308 - every value in it is escaped above


@dataclass(frozen=True)
class CitizenRow:
    name: str
    birth_date: date
    born: str  # the birth date as Danes write it
    groups: list[Group]


@dataclass(frozen=True)
class Progress:
    total: int
    left: int


def _danish(lang: str | None) -> bool:
    return not lang or lang.startswith("da")


def _text(item: Item, danish: bool) -> str:
    return item.text_da if danish else item.text_en


def _option_label(option: dict[str, object], danish: bool) -> str:
    return str(option["label_da"] if danish else option["label_en"])


def _keys(item: Item, value: int) -> str:
    if item.kind == Item.Kind.YES_NO:
        return f"{YES_KEYS if value else NO_KEYS} {value}"
    return str(value) if 0 <= value <= 9 else ""


def dom_id(item_id: int, citizen_id: int | None) -> str:
    return f"q-{item_id}-{citizen_id or 'general'}"


def _group(item: Item, citizen_id: int | None, answer: Answer | None, danish: bool, dont_know_label: str) -> Group:
    current = None if answer is None else (DONT_KNOW if answer.dont_know else str(answer.value))
    choices: list[Choice] = []
    if item.kind != Item.Kind.PERCENT:
        values = [int(o["value"]) for o in item.options]
        choices = [
            Choice(str(v), _option_label(o, danish), _keys(item, v), current == str(v))
            for v, o in zip(values, item.options, strict=True)
        ]
        if item.has_dont_know:
            keys = "0 v" if 0 not in values else "v"
            choices.append(Choice(DONT_KNOW, dont_know_label, keys, current == DONT_KNOW))
    return Group(
        dom_id=dom_id(item.pk, citizen_id),
        item=item,
        text=_text(item, danish),
        citizen_id=citizen_id,
        choices=tuple(choices),
        percent=answer.value if answer is not None and item.kind == Item.Kind.PERCENT else None,
        answered=answer is not None,
        request_id=str(uuid.uuid4()),
    )


def _progress(
    items: Sequence[Item], citizen_ids: Iterable[int], answered: Iterable[tuple[int, int | None]]
) -> Progress:
    """How many questions the page asks and how many of them have no answer yet."""
    shown = set(citizen_ids)
    # The staff questionnaire is asked once per caseworker and wave, like the general items.
    general = {i.pk for i in items if i.scope in (Item.Scope.GENERAL, Item.Scope.STAFF)}
    specific = {i.pk for i in items if i.scope == Item.Scope.SPECIFIC}
    total = len(general) + len(specific) * len(shown)
    done = sum(
        1
        for item_id, citizen_id in set(answered)
        if (citizen_id is None and item_id in general) or (item_id in specific and citizen_id in shown)
    )
    return Progress(total=total, left=total - done)


def _wave_state(wave: Wave, today: date) -> str:
    if wave.opened_at is None or today < wave.opens_on:
        return "not_open"
    if today > wave.closes_on:
        return "closed"
    return "open"


def _name_key(name: str) -> str:
    # Danish alphabetical order: æ, ø, å after z (Unicode puts å before æ).
    return name.casefold().replace("æ", "z\x01").replace("ø", "z\x02").replace("å", "z\x03")


# --- the rating page -------------------------------------------------------------------------------


@never_cache  # names on it, and answers change: never from a cache or the back button's memory
@login_required
def rate_wave(request: HttpRequest, wave_id: int) -> HttpResponse:
    user = request.user
    if not access.can_rate(user):
        raise PermissionDenied
    assert isinstance(user, Staff)
    wave = get_object_or_404(Wave, pk=wave_id)
    today = timezone.localdate()
    state = _wave_state(wave, today)
    context: dict[str, object] = {"wave": wave, "state": state, "today": today}
    if state != "open":
        return render(request, "measurement/rate_wave.html", context)

    # One query for the frozen caseload, marking who is still the caseworker's own (and so shown).
    still_mine = CaseworkerAssignment.objects.current().filter(citizen_id=OuterRef("citizen_id"), caseworker_id=user.pk)
    frozen = list(
        access.rating_caseload(user, wave.pk).select_related("citizen").annotate(still_mine=Exists(still_mine))
    )
    if not frozen:
        context["state"] = "no_caseload"
        return render(request, "measurement/rate_wave.html", context)
    citizens: list[Citizen] = [row.citizen for row in frozen if row.still_mine]
    who = identity.reveal(user, citizens, purpose="rating page")
    items = list(Item.objects.filter(version_id=wave.instrument_version_id).order_by("position", "pk"))
    answers = current_answers(wave, user)

    danish = _danish(get_language())
    dont_know = pgettext("rating", "Don't know")
    general = [
        _group(item, None, answers.get((item.pk, None)), danish, dont_know)
        for item in items
        if item.scope == Item.Scope.GENERAL
    ]
    staff = [
        _group(item, None, answers.get((item.pk, None)), danish, dont_know)
        for item in items
        if item.scope == Item.Scope.STAFF
    ]
    specific_items = [item for item in items if item.scope == Item.Scope.SPECIFIC]
    rows = [
        CitizenRow(
            name=who[c.pk].name,
            birth_date=(born := date.fromisoformat(who[c.pk].birth_date)),
            born=born.strftime("%d.%m.%Y"),
            groups=[_group(item, c.pk, answers.get((item.pk, c.pk)), danish, dont_know) for item in specific_items],
        )
        for c in citizens
    ]
    rows.sort(key=lambda row: (_name_key(row.name), row.birth_date))
    context.update(
        general=general,
        staff=staff,
        rows=rows,
        specific_items=[(item, _text(item, danish)) for item in specific_items],
        many_specific=len(specific_items) > 1,
        answer_url=reverse("rate_answer", args=[wave.pk]),
        moved=len(frozen) - len(citizens),
        progress=_progress(items, (c.pk for c in citizens), answers.keys()),
    )
    return render(request, "measurement/rate_wave.html", context)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _outcome(
    request: HttpRequest,
    outcome: str,
    *,
    status: int = 200,
    message: str = "",
    value: str = "",
    progress: Progress | None = None,
) -> HttpResponse:
    """The fragment htmx swaps into the question's status line (and, out of band, the progress)."""
    response = render(
        request,
        "measurement/rate_outcome.html",
        {"outcome": outcome, "message": message, "value": value, "progress": progress},
        status=status,
    )
    # The script swaps only responses that carry this header; anything else (a 404 page, a proxy's
    # error page) is treated as a failed attempt.
    response["X-Rating-Outcome"] = outcome
    return response


def _refused(request: HttpRequest, wave_id: int, message: str, status: int, outcome: str = "rejected") -> HttpResponse:
    if _is_htmx(request):
        return _outcome(request, outcome, status=status, message=message)
    messages.error(request, message)
    return HttpResponseRedirect(reverse("rate_wave", args=[wave_id]))


@require_POST
def rate_answer(request: HttpRequest, wave_id: int) -> HttpResponse:
    """Store one answer from the rating page: htmx gets a fragment, a plain form a redirect back."""
    user = request.user
    if not user.is_authenticated:
        if _is_htmx(request):
            # A redirect to the login page would be followed by htmx and swapped in as the "answer".
            message = _("You have been logged out. Log in again in another tab, then press Try again.")
            return _outcome(request, "logged_out", status=401, message=message)
        return redirect_to_login(reverse("rate_wave", args=[wave_id]))
    if not access.can_rate(user):
        raise PermissionDenied
    assert isinstance(user, Staff)
    wave = get_object_or_404(Wave, pk=wave_id)
    try:
        item_id = int(request.POST["item"])
        citizen_id = int(request.POST["citizen"]) if request.POST.get("citizen") else None
        request_id = uuid.UUID(request.POST["request_id"])
        raw = request.POST["value"].strip()
        dont_know = raw == DONT_KNOW
        value = None if dont_know else int(raw)
    except (KeyError, ValueError):
        return _refused(request, wave.pk, _("The answer was not understood and was not saved."), 400)

    # All of the wave's items at once: the one answered, and the rest for the progress line.
    items = list(Item.objects.filter(version_id=wave.instrument_version_id).order_by())
    item = next((i for i in items if i.pk == item_id), None)
    if item is None:
        raise Http404
    citizen: Citizen | None = None
    if item.scope == Item.Scope.SPECIFIC:
        # Only a citizen of the caseworker's own frozen caseload; anyone else's is not found.
        if citizen_id is None:
            raise Http404
        citizen = get_object_or_404(
            access.rateable_caseload(user, wave.pk).select_related("citizen"), citizen_id=citizen_id
        ).citizen
    elif citizen_id is not None or not access.rating_caseload(user, wave.pk).exists():
        raise Http404

    try:
        saved = record_answer(
            wave=wave,
            item=item,
            caseworker=user,
            citizen=citizen,
            value=value,
            dont_know=dont_know,
            request_id=request_id,
        )
    except AnswerRejected as exc:
        return _refused(request, wave.pk, _rejection_message(exc.code), REJECTED_STATUS.get(exc.code, 400))

    if not _is_htmx(request):
        return HttpResponseRedirect(reverse("rate_wave", args=[wave.pk]) + "#" + dom_id(item.pk, citizen_id))
    answer = saved.answer
    return _outcome(
        request,
        "saved",
        value=DONT_KNOW if answer.dont_know else str(answer.value),
        progress=_progress_now(user, wave, items),
    )


def _rejection_message(code: str) -> str:
    if code == "closed":
        return _("The wave is closed, so the answer was not saved.")
    if code == "conflict":
        return _("This answer was sent before with different content. Reload the page and answer again.")
    return _("The answer is not one of the options and was not saved.")


def _progress_now(user: Staff, wave: Wave, items: Sequence[Item]) -> Progress:
    citizen_ids = access.rateable_caseload(user, wave.pk).values_list("citizen_id", flat=True)
    answered = (
        Answer.objects.filter(wave=wave, caseworker=user).values_list("item_id", "citizen_id").order_by().distinct()
    )
    return _progress(items, list(citizen_ids), list(answered))


# --- the caseworker's own answers --------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    label: str
    value: str  # an option's value, or DONT_KNOW


@dataclass(frozen=True)
class Distribution:
    wave: Wave
    counts: list[int]  # one per step, in the steps' order
    n: int


@dataclass(frozen=True)
class OwnTable:
    """One specific item (by variable name, so across instrument versions): the caseworker's answers
    per citizen and wave, and per wave the distribution over the scale."""

    key: str
    text: str
    waves: list[Wave]
    rows: list[tuple[str, list[str]]]  # (citizen, label per wave)
    steps: list[Step]
    distributions: list[Distribution]


@never_cache
@login_required
def my_answers(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not access.can_rate(user):
        raise PermissionDenied
    assert isinstance(user, Staff)
    danish = _danish(get_language())
    dont_know = pgettext("rating", "Don't know")

    # The answer in force per (wave, item, citizen): the latest received (the history is kept).
    latest: dict[tuple[int, int, int | None], Answer] = {}
    for answer in access.own_answers(user).select_related("wave", "item", "citizen").order_by("received_at", "id"):
        latest[(answer.wave_id, answer.item_id, answer.citizen_id)] = answer
    answers = sorted(latest.values(), key=lambda a: (a.wave.project_id, a.wave.number, a.item.position))

    specific = [a for a in answers if a.citizen is not None]
    mine = {c.pk for c in access.identifiable_citizens(user).filter(pk__in={a.citizen_id for a in specific})}
    citizens = {a.citizen_id: a.citizen for a in specific if a.citizen_id in mine and a.citizen is not None}
    who = identity.reveal(user, list(citizens.values()), purpose="own answers")

    tables = [_own_table(key, group, who, danish, dont_know) for key, group in _by_key(specific).items()]
    general = _own_general([a for a in answers if a.item.scope == Item.Scope.GENERAL], danish)
    staff = _own_staff([a for a in answers if a.item.scope == Item.Scope.STAFF], danish)
    today = timezone.localdate()
    open_waves = [
        w
        for w in Wave.objects.filter(caseload__caseworker=user, opened_at__isnull=False).distinct().order_by("opens_on")
        if _wave_state(w, today) == "open"
    ]
    return render(
        request,
        "measurement/my_answers.html",
        {
            "tables": tables,
            "general": general,
            "staff": staff,
            "open_waves": open_waves,
            "has_answers": bool(answers),
        },
    )


def _by_key(answers: Iterable[Answer]) -> dict[str, list[Answer]]:
    grouped: dict[str, list[Answer]] = defaultdict(list)
    for answer in answers:
        grouped[answer.item.key].append(answer)
    return grouped


def _label(answer: Answer, danish: bool, dont_know: str) -> str:
    """The answer's label as its own item version worded it (an instrument edit never changes it)."""
    if answer.dont_know:
        return dont_know
    if answer.item.kind == Item.Kind.PERCENT:
        return f"{answer.value} %"
    for option in answer.item.options:
        if int(option["value"]) == answer.value:
            return _option_label(option, danish)
    return str(answer.value)


def _own_table(
    key: str, answers: list[Answer], who: dict[int, identity.Identity], danish: bool, dont_know: str
) -> OwnTable:
    waves = sorted({a.wave_id: a.wave for a in answers}.values(), key=lambda w: (w.project_id, w.number))
    column = {w.pk: i for i, w in enumerate(waves)}
    newest = answers[-1].item  # the newest wording and options name the scale's steps
    steps = [Step(_option_label(o, danish), str(o["value"])) for o in newest.options]
    if newest.kind == Item.Kind.SCALE:
        steps.append(Step(dont_know, DONT_KNOW))

    cells: dict[int, list[str]] = {}
    former: dict[int, int] = {}
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for a in answers:
        assert a.citizen_id is not None
        cells.setdefault(a.citizen_id, [""] * len(waves))[column[a.wave_id]] = _label(a, danish, dont_know)
        counts[a.wave_id][DONT_KNOW if a.dont_know else str(a.value)] += 1
        if a.citizen_id not in who:
            former.setdefault(a.citizen_id, len(former) + 1)
    named = sorted(
        ((who[c].name, labels) for c, labels in cells.items() if c in who), key=lambda row: _name_key(row[0])
    )
    unnamed = [(_("Former citizen %(n)s") % {"n": former[c]}, labels) for c, labels in cells.items() if c in former]
    distributions = [Distribution(w, [counts[w.pk][s.value] for s in steps], sum(counts[w.pk].values())) for w in waves]
    return OwnTable(key, _text(newest, danish), waves, named + unnamed, steps, distributions)


def _own_general(answers: Iterable[Answer], danish: bool) -> dict[str, object]:
    """The caseworker's general-belief answers: waves down, items across."""
    general = [a for a in answers if a.citizen_id is None]
    waves = sorted({a.wave_id: a.wave for a in general}.values(), key=lambda w: (w.project_id, w.number))
    keys: dict[str, str] = {}
    for a in general:
        keys[a.item.key] = _text(a.item, danish)
    cell = {(a.wave_id, a.item.key): _label(a, danish, "") for a in general}
    return {
        "headers": list(keys.values()),
        "rows": [(w, [cell.get((w.pk, k), "") for k in keys]) for w in waves],
    }


def _own_staff(answers: Sequence[Answer], danish: bool) -> dict[str, object]:
    """The caseworker's staff-questionnaire answers: items down (by variable name, newest wording),
    waves across - fifteen items do not fit as columns on a phone."""
    waves = sorted({a.wave_id: a.wave for a in answers}.values(), key=lambda w: (w.project_id, w.number))
    texts: dict[str, tuple[int, str]] = {}
    for a in answers:
        texts[a.item.key] = (a.item.position, _text(a.item, danish))
    dont_know = pgettext("rating", "Don't know")
    cell = {(a.wave_id, a.item.key): _label(a, danish, dont_know) for a in answers}
    keys = sorted(texts, key=lambda k: texts[k])
    return {"waves": waves, "rows": [(texts[k][1], [cell.get((w.pk, k), "") for w in waves]) for k in keys]}
