"""The demo's staff-questionnaire answers: for every caseworker who answered the general items in a
closed wave, answers to that wave's staff items, generated so that two themes - colleagues and sparring,
and knowledge of the labour market and companies' needs - go with the caseworker's own general-belief
answer in that wave (level and change), and the other themes are a stable trait plus noise. So the
demo's drivers page shows a real pattern, and the null themes show what "no association" looks like.

Deterministic given the seed; written with bulk_create and one BULK audit event.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from jobtro.audit.actions import record
from jobtro.audit.models import AuditEvent
from jobtro.measurement.instrument_defaults import BACKGROUND_PREFIX, THEMES, theme_of
from jobtro.measurement.models import Answer, Item, Wave
from jobtro.organisation.models import Project

DRIVEN_THEMES = ("colleagues", "market")  # go with general belief in the demo
DRIVE = 1.0  # latent SDs per SD of the general share
DONT_KNOW = 0.03
YEARS_WEIGHTS = (0.08, 0.17, 0.3, 0.25, 0.2)  # bands of bg_years
EDUCATION_WEIGHTS = (0.6, 0.2, 0.12, 0.08)  # social worker, other bachelor, graduate, other


@transaction.atomic
def load_staff_answers(project: Project, seed: int) -> dict[str, int]:
    """Create the staff answers of the project's closed waves (none if any exist already)."""
    waves = _closed_waves(project)
    if not waves or Answer.objects.filter(wave__in=waves, item__scope=Item.Scope.STAFF).exists():
        return {"staff answers": 0}
    rng = np.random.default_rng(seed)

    # The general-belief share in force per (wave, caseworker), and when it was given.
    shares: dict[tuple[int, int], tuple[int, datetime]] = {}
    for wave_id, caseworker_id, given, at in (
        Answer.objects.filter(wave__in=waves, item__key="general_share", dont_know=False, value__isnull=False)
        .order_by("received_at", "pk")
        .values_list("wave_id", "caseworker_id", "value", "received_at")
    ):
        shares[(wave_id, caseworker_id)] = (int(given or 0), at)
    if not shares:
        return {"staff answers": 0}
    values = np.array([v for v, _ in shares.values()], dtype=np.float64)
    mean, sd = float(values.mean()), float(values.std()) or 1.0

    caseworkers = sorted({c for _, c in shares})
    trait = {c: rng.normal(0.0, 0.5, len(THEMES)) for c in caseworkers}
    years = {c: int(rng.choice(5, p=YEARS_WEIGHTS)) + 1 for c in caseworkers}
    education = {c: int(rng.choice(4, p=EDUCATION_WEIGHTS)) + 1 for c in caseworkers}

    rows: list[Answer] = []
    for wave in waves:
        items = list(
            Item.objects.filter(version_id=wave.instrument_version_id, scope=Item.Scope.STAFF).order_by("position")
        )
        for caseworker in caseworkers:
            if (wave.pk, caseworker) not in shares:
                continue
            share, at = shares[(wave.pk, caseworker)]
            z = (share - mean) / sd
            latent = trait[caseworker] + rng.normal(0.0, 0.3, len(THEMES))
            for i, name in enumerate(THEMES):
                if name in DRIVEN_THEMES:
                    latent[i] += DRIVE * z
            for item in items:
                theme = theme_of(item.key)
                dont_know = False
                value: int
                if theme is not None:
                    level = latent[THEMES.index(theme)]
                    value = int(np.clip(np.rint(3.3 + 0.8 * level + rng.normal(0.0, 0.5)), 1, 5))
                    dont_know = bool(rng.random() < DONT_KNOW)
                elif item.key == f"{BACKGROUND_PREFIX}years":
                    value = years[caseworker]
                elif item.key == f"{BACKGROUND_PREFIX}education":
                    value = education[caseworker]
                else:
                    continue  # an item the demo does not know how to answer
                rows.append(
                    Answer(
                        wave=wave,
                        item=item,
                        caseworker_id=caseworker,
                        citizen=None,
                        value=None if dont_know else value,
                        dont_know=dont_know,
                        request_id=uuid.UUID(bytes=rng.bytes(16), version=4),
                        received_at=at + timedelta(minutes=int(rng.integers(1, 10))),
                    )
                )
    Answer.objects.bulk_create(rows, batch_size=2000)
    record(AuditEvent.Action.BULK, project, detail={"loaded": "demo staff questionnaire", "answers": len(rows)})
    return {"staff answers": len(rows)}


def _closed_waves(project: Project) -> list[Wave]:
    today = timezone.localdate()
    return list(project.waves.filter(opened_at__isnull=False, closes_on__lt=today).order_by("number"))
