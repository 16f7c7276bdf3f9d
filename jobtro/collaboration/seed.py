"""The seed's four focus areas and their sub-topics, in Danish (the seed's words) and English.

``ensure_focus_areas(project)`` gives a project these areas once; researchers add more in the admin or
on the focus-area pages.
"""

from __future__ import annotations

from typing import Final

from django.db import transaction

from jobtro.collaboration.models import FocusArea, SubTopic
from jobtro.organisation.models import Project

# key, Danish name, English name, [(Danish sub-topic, English sub-topic), ...]
SEED_FOCUS_AREAS: Final = (
    (
        "communication",
        "Kommunikation om borger",
        "Communication about the citizen",
        (
            (
                "Hvordan ledelse og beskæftigelsesmedarbejdere taler om borgerne",
                "How leaders and staff talk about citizens",
            ),
            ("Hvordan sagsfremstillingen laves", "How case summaries are written"),
            (
                "Hvordan borgeren beskrives ved visitering til tilbud",
                "How the citizen is described when referred to an offer",
            ),
            (
                "Kommunikationen med en potentiel arbejdsgiver om borgerens potentialer, kompetencer og udfordringer",
                "Communicating the citizen's potential, competences and challenges to a potential employer",
            ),
        ),
    ),
    (
        "relation",
        "Relation og samarbejde med borger",
        "Relation and collaboration with the citizen",
        (
            ("Samtaler", "Conversations"),
            ("Responser", "Responses"),
            ("Mindset", "Mindset"),
            ("Forforståelser", "Preconceptions"),
            ("Empowerment", "Empowerment"),
            ("Ressourcer", "Resources"),
        ),
    ),
    (
        "sparring",
        "Sparringskultur og ledelse",
        "Sparring culture and leadership",
        (
            (
                "Hvordan en sparringskultur understøtter et ressource- og potentialebaseret fokus på borgeren",
                "How a culture of sparring supports a resource- and potential-based focus on the citizen",
            ),
            (
                "Balancen mellem at tro på udviklingspotentiale og den faglige vurdering af ingen eller meget "
                "begrænset arbejdsevne",
                "The balance between believing in development potential and the professional assessment of no or "
                "very limited work capacity",
            ),
        ),
    ),
    (
        "labour_market",
        "Viden om arbejdsmarkedet",
        "Knowledge of the labour market",
        (
            ("Hvordan viden opsamles og indhentes", "How the knowledge is gathered"),
            (
                "Hvordan opdateret viden spredes og deles i organisationen",
                "How up-to-date knowledge is spread and shared in the organisation",
            ),
            ("Tilgange til virksomheder", "Approaches to companies"),
            (
                "Matchet mellem konkrete arbejdsopgaver og funktioner på virksomheden og borgerens kompetencer",
                "Matching concrete tasks and functions at a company with the citizen's competences",
            ),
        ),
    ),
)


@transaction.atomic
def ensure_focus_areas(project: Project) -> int:
    """Give ``project`` the seed's focus areas (those it lacks, by key); returns how many were added."""
    added = 0
    for position, (key, name_da, name_en, subtopics) in enumerate(SEED_FOCUS_AREAS):
        area, created = FocusArea.objects.get_or_create(
            project=project, key=key, defaults={"name_da": name_da, "name_en": name_en, "position": position}
        )
        if created:
            added += 1
            SubTopic.objects.bulk_create(
                SubTopic(focus_area=area, text_da=da, text_en=en, position=i) for i, (da, en) in enumerate(subtopics)
            )
    return added
