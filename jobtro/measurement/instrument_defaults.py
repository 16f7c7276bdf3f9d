"""The default belief instrument (DOMAIN.md): the wording is unconfirmed, so it ships as version 1
of an editable, versioned instrument.

It includes the staff questionnaire (issue 7): 5-point agreement items on what the seed says shapes
belief, grouped in themes, plus background. A staff item's theme is the prefix of its key
(``colleagues_sparring`` is in ``colleagues``): the key is the one thing an instrument edit keeps for
an item, so a theme cannot get lost or drift between versions, and an item a researcher adds with a
theme's prefix joins that theme. Items starting ``bg_`` are background, in no theme. No Django here.
"""

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

# --- the staff questionnaire (issue 7) ---------------------------------------------------------------

AGREE5_OPTIONS: list[dict[str, Any]] = [
    {"value": 5, "label_da": "Helt enig", "label_en": "Strongly agree"},
    {"value": 4, "label_da": "Delvis enig", "label_en": "Somewhat agree"},
    {"value": 3, "label_da": "Hverken enig eller uenig", "label_en": "Neither agree nor disagree"},
    {"value": 2, "label_da": "Delvis uenig", "label_en": "Somewhat disagree"},
    {"value": 1, "label_da": "Helt uenig", "label_en": "Strongly disagree"},
]
YEARS_OPTIONS: list[dict[str, Any]] = [
    {"value": 1, "label_da": "Under 1 år", "label_en": "Less than 1 year"},
    {"value": 2, "label_da": "1-2 år", "label_en": "1-2 years"},
    {"value": 3, "label_da": "3-5 år", "label_en": "3-5 years"},
    {"value": 4, "label_da": "6-10 år", "label_en": "6-10 years"},
    {"value": 5, "label_da": "Over 10 år", "label_en": "More than 10 years"},
]
EDUCATION_OPTIONS: list[dict[str, Any]] = [
    {"value": 1, "label_da": "Socialrådgiver", "label_en": "Social worker"},
    {"value": 2, "label_da": "Anden professionsbachelor", "label_en": "Other professional bachelor"},
    {"value": 3, "label_da": "Akademiker (kandidat)", "label_en": "University graduate (master's)"},
    {"value": 4, "label_da": "Andet", "label_en": "Other"},
]

# The seed's influences on belief, in the order the staff questionnaire asks about them.
THEMES: tuple[str, ...] = ("own", "colleagues", "leadership", "organisation", "market")
THEME_LABELS: dict[str, tuple[str, str]] = {  # short: they label plot rows
    "own": ("Egen opfattelse og erfaring", "Own view and experience"),
    "colleagues": ("Kolleger og sparring", "Colleagues and sparring"),
    "leadership": ("Ledelse", "Leadership"),
    "organisation": ("Organisering (sagsstamme, tid)", "Organisation (caseload, time)"),
    "market": ("Viden om arbejdsmarkedet", "Knowledge of the labour market"),
}
BACKGROUND_PREFIX = "bg_"


def theme_of(key: str) -> str | None:
    """The theme of a staff item by its key's prefix; None for background and unknown prefixes."""
    return next((theme for theme in THEMES if key.startswith(theme + "_")), None)


def _agree(key: str, position: int, text_da: str, text_en: str) -> dict[str, Any]:
    return {
        "key": key,
        "scope": "staff",
        "kind": "agree5",
        "position": position,
        "text_da": text_da,
        "text_en": text_en,
        "options": AGREE5_OPTIONS,
    }


STAFF_ITEMS: list[dict[str, Any]] = [
    _agree(
        "own_progress",
        10,
        "Jeg oplever, at borgerne i min sagsstamme flytter sig tættere på job eller uddannelse.",
        "I see the citizens in my caseload move closer to a job or an education.",
    ),
    _agree(
        "own_experience",
        11,
        "Jeg har selv oplevet borgere, som andre havde opgivet, komme i job eller uddannelse.",
        "I have seen citizens whom others had given up on get a job or start an education.",
    ),
    _agree(
        "own_potential",
        12,
        "Jeg tager udgangspunkt i borgerens ressourcer og potentiale frem for begrænsningerne.",
        "I start from the citizen's resources and potential rather than the limitations.",
    ),
    _agree(
        "colleagues_sparring",
        20,
        "Jeg kan altid få sparring hos mine kolleger om en borger, jeg er i tvivl om.",
        "I can always get sparring from my colleagues about a citizen I am in doubt about.",
    ),
    _agree(
        "colleagues_talk",
        21,
        "Vi taler om borgerne i teamet på en måde, der fremhæver deres ressourcer og muligheder.",
        "In the team we talk about the citizens in a way that brings out their resources and possibilities.",
    ),
    _agree(
        "colleagues_share",
        22,
        "Vi deler erfaringer i teamet om, hvad der har hjulpet borgere i job eller uddannelse.",
        "In the team we share experience of what has helped citizens into a job or an education.",
    ),
    _agree(
        "leadership_expects",
        30,
        "Min leder forventer, at vi arbejder ud fra, at borgerne kan komme i job eller uddannelse.",
        "My manager expects us to work from the view that the citizens can get a job or an education.",
    ),
    _agree(
        "leadership_backs",
        31,
        "Min leder bakker mig op, når jeg prøver nye veje med en borger.",
        "My manager backs me when I try new ways with a citizen.",
    ),
    _agree(
        "organisation_caseload",
        40,
        "Min sagsstamme har en størrelse, så jeg kan nå det, borgerne har brug for.",
        "My caseload is of a size that lets me do what the citizens need.",
    ),
    _agree(
        "organisation_time",
        41,
        "Jeg har tid nok til den enkelte borger til at lære vedkommende ordentligt at kende.",
        "I have enough time for each citizen to get to know them properly.",
    ),
    _agree(
        "market_overview",
        50,
        "Jeg har et godt overblik over, hvor der mangler arbejdskraft i vores område.",
        "I have a good overview of where labour is in short supply in our area.",
    ),
    _agree(
        "market_company_needs",
        51,
        "Jeg kender virksomhedernes behov godt nok til at matche konkrete opgaver med borgerens kompetencer.",
        "I know companies' needs well enough to match concrete tasks with the citizen's competences.",
    ),
    _agree(
        "market_contacts",
        52,
        "Jeg har kontakt til virksomheder, hvor jeg kan bringe en borger i spil.",
        "I have contacts at companies where I can put a citizen forward.",
    ),
    {
        "key": "bg_years",
        "scope": "staff",
        "kind": "choice",
        "position": 60,
        "text_da": "Hvor længe har du arbejdet med beskæftigelse af ledige borgere?",
        "text_en": "How long have you worked with employment services for unemployed citizens?",
        "options": YEARS_OPTIONS,
    },
    {
        "key": "bg_education",
        "scope": "staff",
        "kind": "choice",
        "position": 61,
        "text_da": "Hvad er din uddannelse?",
        "text_en": "What is your education?",
        "options": EDUCATION_OPTIONS,
    },
]

# The default instrument asks the staff questionnaire beside the belief items.
DEFAULT_ITEMS.extend(STAFF_ITEMS)
