"""The default belief instrument (DOMAIN.md): the wording is unconfirmed, so it ships as version 1
of an editable, versioned instrument."""

from __future__ import annotations

from typing import Any

DEFAULT_INSTRUMENT_NAME = "Troen på borgernes jobchance"

SCALE_OPTIONS: list[dict[str, Any]] = [
    {"value": 5, "label_da": "Ja, helt sikkert", "label_en": "Yes, certainly"},
    {"value": 4, "label_da": "Ja, sandsynligvis", "label_en": "Yes, probably"},
    {"value": 3, "label_da": "Måske", "label_en": "Maybe"},
    {"value": 2, "label_da": "Nej, sandsynligvis ikke", "label_en": "No, probably not"},
    {"value": 1, "label_da": "Nej, helt sikkert ikke", "label_en": "No, certainly not"},
]
YES_NO_OPTIONS: list[dict[str, Any]] = [
    {"value": 1, "label_da": "Ja", "label_en": "Yes"},
    {"value": 0, "label_da": "Nej", "label_en": "No"},
]

DEFAULT_ITEMS: list[dict[str, Any]] = [
    {
        "key": "general_believes",
        "scope": "general",
        "kind": "yes_no",
        "position": 1,
        "text_da": "Tror du generelt, at dine borgere kan komme i job inden for et år?",
        "text_en": "Do you generally believe that your citizens can get a job within a year?",
        "options": YES_NO_OPTIONS,
    },
    {
        "key": "general_share",
        "scope": "general",
        "kind": "percent",
        "position": 2,
        "text_da": (
            "Hvor stor en andel af de borgere, du har ansvaret for, tror du kommer i job eller uddannelse "
            "inden for det næste år?"
        ),
        "text_en": (
            "What share of the citizens you are responsible for do you think will get a job or start an "
            "education within the next year?"
        ),
        "options": [],
    },
    {
        "key": "specific_belief",
        "scope": "specific",
        "kind": "scale",
        "position": 3,
        "text_da": "Tror du, at borgeren kommer i job eller uddannelse inden for det næste år?",
        "text_en": "Do you believe the citizen will get a job or start an education within the next year?",
        "options": SCALE_OPTIONS,
    },
]
