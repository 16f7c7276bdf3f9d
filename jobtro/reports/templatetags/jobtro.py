from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from jobtro.lib.disclosure import Cell
from jobtro.reports.disclosure import threshold

register = template.Library()


@register.simple_tag
def cell(value: Cell) -> SafeString:
    """A disclosure-controlled count: the number, or a marker saying why it is hidden."""
    if value.suppressed:
        reason = _("Hidden: fewer than %(n)s persons, or would reveal such a cell.") % {"n": threshold()}
        return format_html('<span class="suppressed" title="{}">{}</span>', reason, _("hidden"))
    return format_html("{}", value.value)
