from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .dashboard import widget_context


@require_GET
@never_cache
def widget(request, key):
    """One widget's body, fetched by htmx on load and then every `refresh_seconds`."""
    _, context = widget_context(request, key)
    return TemplateResponse(request, "backoffice/widget_body.html", context)
