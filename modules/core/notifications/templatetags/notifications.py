from django import template

from ..views import bell_context

register = template.Library()


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notification_bell(context):
    """The header's bell, rendered with the page; htmx then polls ``admin:notifications:bell``."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return {"show": False}
    return {"show": True, "request": request, **bell_context(request, since=None)}
