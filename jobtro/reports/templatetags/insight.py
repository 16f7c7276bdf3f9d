"""``{% insight_nav %}``: the sub-navigation between the insight pages the person may open."""

from __future__ import annotations

from typing import Any

from django import template

from jobtro.reports.insight import sections_for

register = template.Library()


@register.inclusion_tag("reports/insight/_nav.html", takes_context=True)
def insight_nav(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    match = request.resolver_match
    current = f"{match.namespace}:{match.url_name}" if match and match.namespace else ""
    return {"insight_sections": sections_for(request.user), "current": current}
