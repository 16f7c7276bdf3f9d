"""Who sees what. The one place that decides it (DESIGN.md, "Who uses it"); every view asks here.

| role                       | sees                                                                  |
|----------------------------|-----------------------------------------------------------------------|
| caseworker                 | their own current caseload, identifiable; their municipality's org    |
| key person / team leader   | their municipality's organisation and aggregates; no single citizen   |
| municipal data manager     | their municipality's citizens, identifiable; no belief answers        |
| researcher                 | everything, pseudonymised: never a CPR number or a name; the audit log|
| administrator              | users and settings (organisation, staff), the audit log; no citizens  |
| no role ("outsider")       | nothing beyond their own home page                                    |

Scoping functions return querysets so views can filter further; an object outside the user's scope
is a 404 (its existence is not revealed), a view the user's roles never allow is a 403.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from functools import reduce

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from jobtro.collaboration.models import Activity, Participant
from jobtro.measurement.models import Answer, Citizen, WaveCaseload
from jobtro.organisation.models import MUNICIPAL_ROLES, Membership, Municipality, Role, Staff, Unit
from jobtro.outcomes.models import ImportJob

AnyUser = Staff | AnonymousUser


def memberships(user: AnyUser) -> list[Membership]:
    """The user's active role memberships, computed once per user object (i.e. per request)."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached: list[Membership] | None = getattr(user, "_jobtro_memberships", None)
    if cached is None:
        cached = list(Membership.objects.active().filter(staff=user).select_related("municipality", "unit"))
        user._jobtro_memberships = cached  # type: ignore[attr-defined]
    return cached


def roles(user: AnyUser) -> frozenset[Role]:
    return frozenset(Role(m.role) for m in memberships(user))


def has_role(user: AnyUser, *wanted: Role) -> bool:
    return not roles(user).isdisjoint(wanted)


def is_researcher(user: AnyUser) -> bool:
    return has_role(user, Role.RESEARCHER)


def is_administrator(user: AnyUser) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


def municipality_codes(user: AnyUser, among: Iterable[Role] = MUNICIPAL_ROLES) -> set[str]:
    """Municipalities in which the user holds one of the given municipal roles."""
    wanted = set(among)
    return {m.municipality_id for m in memberships(user) if m.role in wanted and m.municipality_id}


def _sees_whole_organisation(user: AnyUser) -> bool:
    return has_role(user, Role.RESEARCHER, Role.ADMINISTRATOR)


# --- organisation ---------------------------------------------------------------------------------


def can_view_project(user: AnyUser) -> bool:
    return bool(roles(user))


def municipalities(user: AnyUser) -> QuerySet[Municipality]:
    if _sees_whole_organisation(user):
        return Municipality.objects.all()
    return Municipality.objects.filter(code__in=municipality_codes(user))


def units(user: AnyUser) -> QuerySet[Unit]:
    if _sees_whole_organisation(user):
        return Unit.objects.all()
    return Unit.objects.filter(municipality__code__in=municipality_codes(user))


def staff(user: AnyUser) -> QuerySet[Staff]:
    """Staff the user may see listed: colleagues in their municipalities; everyone for the centre."""
    if _sees_whole_organisation(user):
        return Staff.objects.all()
    codes = municipality_codes(user)
    if not codes:
        return Staff.objects.none()
    active = Membership.objects.active().filter(municipality__code__in=codes)
    return Staff.objects.filter(pk__in=active.values("staff_id"))


def memberships_visible(user: AnyUser) -> QuerySet[Membership]:
    """Active role memberships the user may see: those in their municipalities, or all of them."""
    active = Membership.objects.active()
    if _sees_whole_organisation(user):
        return active
    return active.filter(municipality__code__in=municipality_codes(user))


# --- citizens -------------------------------------------------------------------------------------


def identifiable_citizens(user: AnyUser) -> QuerySet[Citizen]:
    """Citizens whose name and CPR number the user may see: a caseworker's current caseload and the
    citizens of a data manager's municipality. Researchers never appear here."""
    parts: list[Q] = []
    if has_role(user, Role.CASEWORKER):
        parts.append(Q(assignments__caseworker=user, assignments__end__isnull=True))
    managed = municipality_codes(user, among=[Role.DATA_MANAGER])
    if managed:
        parts.append(Q(municipality__code__in=managed))
    if not parts:
        return Citizen.objects.none()
    return Citizen.objects.filter(reduce(operator.or_, parts)).distinct()


def pseudonymised_citizens(user: AnyUser) -> QuerySet[Citizen]:
    """Citizens the user may see by pseudonym only (researchers: all of them)."""
    if is_researcher(user):
        return Citizen.objects.all()
    return Citizen.objects.none()


def can_list_citizens(user: AnyUser) -> bool:
    return has_role(user, Role.CASEWORKER, Role.DATA_MANAGER, Role.RESEARCHER)


def sees_identities(user: AnyUser) -> bool:
    """Whether citizen pages show names and CPR numbers to this user (never for researchers).

    A user who is both researcher and caseworker sees identities only through the caseworker role's
    scope; pages for such users show the identifiable view of what that scope allows.
    """
    return has_role(user, Role.CASEWORKER, Role.DATA_MANAGER)


# --- audit log and aggregates ----------------------------------------------------------------------


def can_view_audit_log(user: AnyUser) -> bool:
    # Researchers run the project; administrators answer for the system's security.
    return has_role(user, Role.RESEARCHER, Role.ADMINISTRATOR)


def aggregates_unsuppressed(user: AnyUser) -> bool:
    """Researchers see small cells; everyone else gets disclosure control (reports.disclosure)."""
    return is_researcher(user)


# --- the belief barometer (issue 3) ---------------------------------------------------------------


def can_plan_waves(user: AnyUser) -> bool:
    """Researchers plan and open waves, edit the instrument and follow response rates."""
    return is_researcher(user)


def can_export_answers(user: AnyUser) -> bool:
    """Pseudonymised answer exports are for researchers only."""
    return is_researcher(user)


def caseload_import_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """Municipalities whose caseloads the user may import: a data manager's own."""
    return Municipality.objects.filter(code__in=municipality_codes(user, among=[Role.DATA_MANAGER]))


def rating_caseload(user: AnyUser, wave_id: int) -> QuerySet[WaveCaseload]:
    """The frozen caseload a caseworker rates in a wave: their own, never anyone else's."""
    if not has_role(user, Role.CASEWORKER):
        return WaveCaseload.objects.none()
    return WaveCaseload.objects.filter(wave_id=wave_id, caseworker_id=user.pk)


def own_answers(user: AnyUser) -> QuerySet[Answer]:
    """A caseworker's own answers over all waves (for their own view; no colleagues')."""
    if not has_role(user, Role.CASEWORKER):
        return Answer.objects.none()
    return Answer.objects.filter(caseworker_id=user.pk)


# --- rating and the caseworker's own view (issue 3, points 5 and 6) --------------------------------


def can_rate(user: AnyUser) -> bool:
    """The rating page and the own-answers view are the caseworker's; every other role gets a 403."""
    return has_role(user, Role.CASEWORKER)


def rateable_caseload(user: AnyUser, wave_id: int) -> QuerySet[WaveCaseload]:
    """The part of the caseworker's frozen caseload they rate: citizens they are still the caseworker
    of. A citizen who has moved to a colleague since the wave opened is no longer shown to the former
    caseworker by name (identifiable_citizens), so the former caseworker neither sees nor rates them."""
    return rating_caseload(user, wave_id).filter(
        citizen__assignments__caseworker_id=user.pk, citizen__assignments__end__isnull=True
    )


# --- waves, invitations and response rates (issue 3, points 1, 3 and 4) ----------------------------


def can_edit_instrument(user: AnyUser) -> bool:
    """Editing the instrument (a new version) is part of running the waves: researchers."""
    return can_plan_waves(user)


def can_view_response_rates(user: AnyUser) -> bool:
    """Live response rates per municipality, team and wave, unsuppressed: researchers only."""
    return is_researcher(user)


def can_use_invitation(staff: Staff) -> bool:
    """Whom an e-mailed single-use link may log in: an active caseworker, and never an account with
    administrative rights (a mailbox must not be the key to the admin)."""
    return (
        staff.is_active
        and not staff.is_superuser
        and has_role(staff, Role.CASEWORKER)
        and not has_role(staff, Role.ADMINISTRATOR)
    )


# --- caseload import (issue 3, point 2) ------------------------------------------------------------


def can_import_caseload(user: AnyUser) -> bool:
    """Whether the import page (and its menu item) is open to the user: a data manager of any
    municipality. Which municipalities they may import for is caseload_import_municipalities."""
    return bool(municipality_codes(user, among=[Role.DATA_MANAGER]))


# --- outcomes (issue 4) ----------------------------------------------------------------------------


def can_import_outcomes(user: AnyUser) -> bool:
    """Whether the register upload page (and its menu item) is open to the user: a data manager of any
    municipality. Which municipalities they may upload for is outcome_import_municipalities."""
    return bool(municipality_codes(user, among=[Role.DATA_MANAGER]))


def outcome_import_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """Municipalities whose register data the user may upload and whose imports they see listed: a
    data manager's own."""
    return Municipality.objects.filter(code__in=municipality_codes(user, among=[Role.DATA_MANAGER]))


def outcome_import_jobs(user: AnyUser) -> QuerySet[ImportJob]:
    """Upload jobs whose page (progress, every problem with its value, counts) the user may see: their
    own, and every job of a municipality they are the data manager of. Problems quote the file's
    values, CPR numbers among them, so nobody else - researchers included - sees a job (404)."""
    if not user.is_authenticated or not user.is_active:
        return ImportJob.objects.none()
    managed = municipality_codes(user, among=[Role.DATA_MANAGER])
    return ImportJob.objects.filter(Q(requested_by_id=user.pk) | Q(municipality__code__in=managed))


# --- activities: the collaboration's meetings and visits (issue 6) ---------------------------------
#
# | role                         | activities seen                                                   |
# |------------------------------|-------------------------------------------------------------------|
# | researcher, administrator    | every activity                                                    |
# | municipal staff              | cross-municipal ones and their own municipality's                 |
# | anyone invited (participant) | also the activities they are invited to                           |
#
# Names of those invited: the centre sees all; municipal staff see their own municipality's people and
# themselves, the rest only as a count per municipality. Only researchers move or edit activities.


def activities(user: AnyUser) -> QuerySet[Activity]:
    if not user.is_authenticated or not user.is_active:
        return Activity.objects.none()
    if _sees_whole_organisation(user):
        return Activity.objects.all()
    scope = Q(participants__staff_id=user.pk)
    codes = municipality_codes(user)
    if codes:
        scope |= Q(municipality__isnull=True) | Q(municipality__code__in=codes)
    return Activity.objects.filter(pk__in=Activity.objects.filter(scope).values("pk"))


def can_view_timeline(user: AnyUser) -> bool:
    """The project's timeline and a person's calendar: anyone with a role, or invited to an activity."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(roles(user)) or Participant.objects.filter(staff_id=user.pk).exists()


def can_move_activities(user: AnyUser) -> bool:
    return is_researcher(user)


def can_edit_activities(user: AnyUser) -> bool:
    """Adding an activity, editing it (minutes, cancelling), inviting, recording attendance and km, and the
    expert talks: researchers only, like moving. Which activity is then ``activities(user)``'s decision (an
    unknown one is a 404)."""
    return can_move_activities(user)


def sees_participant_name(user: AnyUser, participant: Participant) -> bool:
    """Whether the user sees who this invited person is (else only that their municipality sent someone)."""
    if _sees_whole_organisation(user) or participant.staff_id == user.pk:
        return True
    return participant.municipality_id is not None and participant.municipality_id in municipality_codes(user)


def calendar_feed_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """Municipalities whose calendar feed the user may subscribe to: those they hold a municipal role in."""
    return Municipality.objects.filter(code__in=municipality_codes(user))


# --- focus areas, initiatives and the experience log (issue 6) -------------------------------------
#
# The collaboration's own record is for the project's participants: municipal staff (every municipal role)
# and researchers; administrators and people without a role are refused. What each municipality has chosen
# to work on (focus-area choices over time, and whose experience it builds on) is visible to every
# participant: the seed wants the municipalities to learn from each other, and "builds on" needs to know
# who works on what. Initiatives and the experience log are the municipality's own: another municipality
# sees them only once the log is opened (LogSharing.open) to the project's other municipalities.

from django.db.models import Exists, OuterRef  # noqa: E402

from jobtro.collaboration.models import Experience, FocusAreaChoice, Initiative, LogSharing  # noqa: E402
from jobtro.organisation.models import Participation  # noqa: E402


def can_view_collaboration(user: AnyUser) -> bool:
    """The focus-area, initiative and experience-log pages: municipal staff and researchers."""
    return is_researcher(user) or bool(municipality_codes(user))


def can_add_focus_area(user: AnyUser) -> bool:
    """New focus areas (with sub-topics, Danish and English) are the researchers'."""
    return is_researcher(user)


_LEADING_ROLES = (Role.KEY_PERSON, Role.TEAM_LEADER)


def collaboration_manage_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """Municipalities whose focus-area choices and initiatives the user manages: a key person's or team
    leader's own; every municipality for researchers."""
    if is_researcher(user):
        return Municipality.objects.all()
    return Municipality.objects.filter(code__in=municipality_codes(user, among=_LEADING_ROLES))


def can_manage_collaboration(user: AnyUser) -> bool:
    """Whether the user manages choices and initiatives anywhere (the forms and their menu links)."""
    return is_researcher(user) or bool(municipality_codes(user, among=_LEADING_ROLES))


def experience_post_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """Municipalities in whose experience log the user may post: any municipal role, own municipality."""
    return Municipality.objects.filter(code__in=municipality_codes(user))


def log_sharing_municipalities(user: AnyUser) -> QuerySet[Municipality]:
    """Municipalities whose log the user may open or close: a key person's or team leader's own."""
    return Municipality.objects.filter(code__in=municipality_codes(user, among=_LEADING_ROLES))


def _own_or_opened(user: AnyUser) -> Q | None:
    """Rows (with ``project`` and ``municipality``) of the user's own municipalities, or of a municipality
    that has opened its log in a project the user's municipality takes part in; None: all rows."""
    if is_researcher(user):
        return None
    codes = municipality_codes(user)
    if not codes:
        return Q(pk__in=[])
    opened = LogSharing.objects.filter(project=OuterRef("project"), municipality=OuterRef("municipality"), open=True)
    takes_part = Participation.objects.filter(project=OuterRef("project"), municipality__code__in=codes)
    return Q(municipality__code__in=codes) | (Exists(opened) & Exists(takes_part))


def initiatives(user: AnyUser) -> QuerySet[Initiative]:
    """Initiatives the user may see: their municipality's, others' once opened, all for researchers."""
    scope = _own_or_opened(user)
    return Initiative.objects.all() if scope is None else Initiative.objects.filter(scope)


def experiences(user: AnyUser) -> QuerySet[Experience]:
    """Experience-log entries (and their attachments) the user may see, as for initiatives."""
    scope = _own_or_opened(user)
    return Experience.objects.all() if scope is None else Experience.objects.filter(scope)


def focus_area_choices(user: AnyUser) -> QuerySet[FocusAreaChoice]:
    """Every participant sees every municipality's choices (so they can learn from each other)."""
    if not can_view_collaboration(user):
        return FocusAreaChoice.objects.none()
    return FocusAreaChoice.objects.all()


# --- costs: shared costs, fees and resource use (issue 6) -------------------------------------------
#
# | role                                    | sees on the costs page                                   |
# |-----------------------------------------|----------------------------------------------------------|
# | researcher                              | everything; adds and removes shared costs, sets km rate  |
# | administrator                           | everything (read only)                                   |
# | key person, team leader, data manager   | the shared costs total, current fees and fee history of  |
# |                                         | every municipality; resource use of their own only        |
# | caseworker, no role                     | nothing (403)                                            |
#
# Fees are the same for every municipality and are what each one pays, so all participants may see them;
# a municipality's hours and kilometres are its own business.

_COST_ROLES = (Role.KEY_PERSON, Role.TEAM_LEADER, Role.DATA_MANAGER)


def can_view_costs(user: AnyUser) -> bool:
    """The costs page (and its link on the timeline)."""
    return _sees_whole_organisation(user) or bool(municipality_codes(user, among=_COST_ROLES))


def can_manage_costs(user: AnyUser) -> bool:
    """Adding and removing shared costs and setting the transport rate: researchers."""
    return is_researcher(user)


def sees_cost_items(user: AnyUser) -> bool:
    """The shared costs one by one (by category); the rest see only the total."""
    return _sees_whole_organisation(user)


def sees_project_resource_use(user: AnyUser) -> bool:
    """Every municipality's resource use and the project's total."""
    return _sees_whole_organisation(user)


def resource_use_municipalities(user: AnyUser) -> set[str]:
    """Codes of the municipalities whose resource use the user sees (when not the whole project's)."""
    return municipality_codes(user, among=_COST_ROLES)


# --- insight (issue 7): most pages are the researchers' and the municipal leaders' ----------------


def _researcher_or_leader(user: AnyUser) -> bool:
    """Researchers, and key persons and team leaders of any municipality."""
    return is_researcher(user) or bool(municipality_codes(user, among=_LEADING_ROLES))


def _leader_scope(user: AnyUser) -> set[str]:
    """The municipalities whose own breakdown the user sees: every one for researchers, a key person's or
    team leader's own otherwise."""
    if is_researcher(user):
        return set(Municipality.objects.values_list("code", flat=True))
    return municipality_codes(user, among=_LEADING_ROLES)


# --- expectation feedback and calibration (issue 7, point 5) ---------------------------------------
#
# A caseworker sees how the citizens fared whom they themselves rated (Answer.caseworker), whoever the
# citizen's caseworker is now, beside the project's pooled shares - never a colleague's numbers. The
# calibration of the beliefs (per belief level and per band of the general share, no person named) is
# the researchers'.


def can_view_own_feedback(user: AnyUser) -> bool:
    """The expectation-feedback page: caseworkers, on their own answers."""
    return has_role(user, Role.CASEWORKER)


def feedback_answers(user: AnyUser) -> QuerySet[Answer]:
    """The specific-belief answers the user gave themselves (each about one citizen), in every wave: the
    only answers their feedback rests on. A citizen who has since moved to a colleague stays in it (the
    answer was the user's); the colleague's later answers about that citizen are the colleague's."""
    from jobtro.outcomes.spells import SPECIFIC_BELIEF

    if not can_view_own_feedback(user):
        return Answer.objects.none()
    return Answer.objects.filter(caseworker_id=user.pk, item__key=SPECIFIC_BELIEF, citizen__isnull=False)


def can_view_calibration(user: AnyUser) -> bool:
    """The calibration page (shares per belief level, Brier scores, C-index): researchers."""
    return is_researcher(user)


# --- has belief moved? belief over the waves and the focus areas' estimated effect (issue 7, point 3) --
#
# | role                        | sees on the belief page                                                |
# |-----------------------------|------------------------------------------------------------------------|
# | researcher                  | everything: every municipality and team, small groups unsuppressed     |
# | key person, team leader     | the project, their own municipality and its teams; disclosure control  |
# | caseworker, data manager,   | nothing (403): a caseworker's own answers are on the feedback page     |
# | administrator, no role      |                                                                        |


def can_view_belief_trends(user: AnyUser) -> bool:
    """The belief-over-time page: researchers, team leaders and key persons."""
    return _researcher_or_leader(user)


def belief_trend_scope(user: AnyUser) -> set[str]:
    """Codes of the municipalities whose own breakdown (municipality, teams) the user sees on the belief
    page: every municipality for researchers, a key person's or team leader's own otherwise."""
    return _leader_scope(user)


# --- meeting packs (issue 7, point 8) --------------------------------------------------------------
#
# | role                        | packs they may download                                                |
# |-----------------------------|------------------------------------------------------------------------|
# | researcher                  | every meeting's, and the final report                                  |
# | key person, team leader     | their own municipality's meetings and the cross-municipal ones; final  |
# | caseworker, data manager,   | none (403): packs are prepared for those who run the meetings; the     |
# | administrator, no role      | numbers a caseworker needs are on their own dashboard                  |
#
# A pack is handed out at the meeting, so its content is disclosure-controlled for every reader
# (jobtro.reports.packs.READER) and does not depend on who downloads it.


def can_view_meeting_packs(user: AnyUser) -> bool:
    """The meeting-pack page (and its insight menu entry): researchers, key persons and team leaders."""
    return _researcher_or_leader(user)


def meeting_pack_activities(user: AnyUser) -> QuerySet[Activity]:
    """Meetings whose pack the user may download: start-up, local and experience meetings (not research
    visits or other activities), not cancelled; all of them for researchers, a key person's or team
    leader's own municipality's and the cross-municipal ones otherwise."""
    meetings = Activity.objects.filter(
        kind__in=[Activity.Kind.STARTUP, Activity.Kind.LOCAL, Activity.Kind.EXPERIENCE], cancelled=False
    )
    if is_researcher(user):
        return meetings
    codes = municipality_codes(user, among=[Role.KEY_PERSON, Role.TEAM_LEADER])
    if not codes:
        return Activity.objects.none()
    return meetings.filter(Q(municipality__isnull=True) | Q(municipality__code__in=codes))


def can_download_final_report(user: AnyUser) -> bool:
    """The end-of-project report: researchers, key persons and team leaders."""
    return can_view_meeting_packs(user)


# --- stored analyses and the live BIP analysis (issue 7, points 1 and 2) ---------------------------
#
# | role                        | sees                                                                   |
# |-----------------------------|------------------------------------------------------------------------|
# | researcher                  | the stored analyses (run, progress, errors); the BIP page, every       |
# |                             | municipality, small numbers included                                   |
# | key person, team leader     | the BIP page: the project's rows and their own municipality's, under   |
# |                             | disclosure control (a statistic on fewer than the threshold is hidden) |
# | caseworker, data manager,   | none (403)                                                             |
# | administrator, no role      |                                                                        |


def can_view_analyses(user: AnyUser) -> bool:
    """The list of stored analyses and their runs (state, progress, error messages): researchers."""
    return is_researcher(user)


def can_run_analyses(user: AnyUser) -> bool:
    """Requesting a new run of an analysis: researchers."""
    return is_researcher(user)


def can_view_bip(user: AnyUser) -> bool:
    """The BIP page (belief and time to job): researchers, team leaders and key persons."""
    return _researcher_or_leader(user)


def bip_municipalities(user: AnyUser) -> set[str]:
    """Codes of the municipalities whose own BIP breakdown the user sees: every one for researchers, a
    team leader's or key person's own otherwise (the project's rows are for everyone who sees the page)."""
    return _leader_scope(user)


# --- what shapes belief: the staff questionnaire and the drivers analysis (issue 7, point 4) -------
#
# | role                        | sees on the drivers page                                              |
# |-----------------------------|-----------------------------------------------------------------------|
# | researcher                  | everything: project estimates, theme means per municipality and team  |
# | team leader, key person     | project-level estimates and theme means only (no per-team breakdown)  |
# | caseworker, others          | nothing (403); a caseworker answers the questionnaire on the rating page |


def can_view_drivers(user: AnyUser) -> bool:
    """The drivers page (what shapes belief): researchers, team leaders and key persons."""
    return _researcher_or_leader(user)


def sees_driver_breakdown(user: AnyUser) -> bool:
    """Theme scores per municipality and team (small groups, unsuppressed): researchers only."""
    return is_researcher(user)


def can_view_insight(user: AnyUser) -> bool:
    """The insight pages share one main-menu item, shown to whoever may open at least one of them."""
    from jobtro.reports.insight import sections_for

    return bool(sections_for(user))
