from django.http import HttpRequest

from jobtro.organisation import access


def roles(request: HttpRequest) -> dict[str, object]:
    """What the navigation needs to know; the views still check for themselves."""
    user = request.user
    return {
        "nav": {
            "project": access.can_view_project(user),
            "citizens": access.can_list_citizens(user),
            "audit": access.can_view_audit_log(user),
            "admin": access.is_administrator(user) and user.is_staff,
            "my_answers": access.can_rate(user),
            "caseload_import": access.can_import_caseload(user),
            "outcome_import": access.can_import_outcomes(user),
            "waves": access.can_plan_waves(user),
            "instrument": access.can_edit_instrument(user),
            "export": access.can_export_answers(user),
            "areas": access.can_view_collaboration(user),
            "plan": access.can_view_timeline(user),
            "costs": access.can_view_costs(user),
            "insight": access.can_view_insight(user),
        }
    }
