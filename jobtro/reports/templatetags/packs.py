"""``{% pack_link activity %}``: the link to a meeting's pack, for those who may download it (the
activity page shows it; jobtro.reports.pack_views serves the PDF)."""

from __future__ import annotations

from typing import Any

from django import template

from jobtro.collaboration.models import Activity
from jobtro.organisation import access

register = template.Library()


@register.inclusion_tag("reports/packs/_activity_link.html", takes_context=True)
def pack_link(context: template.Context, activity: Activity) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    allowed = (
        user is not None
        and access.can_view_meeting_packs(user)
        and access.meeting_pack_activities(user).filter(pk=activity.pk).exists()
    )
    return {"activity": activity, "allowed": allowed}
