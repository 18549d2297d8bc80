from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .dashboard import widget_context


@require_GET
@never_cache
def widget(request, key):
    """One widget's body, fetched by the live poll (theme/static/biashara/live.js) when its data moved."""
    _, context = widget_context(request, key)
    return TemplateResponse(request, "backoffice/widget_body.html", context)


@require_GET
def service_worker(request):
    """The PWA's service worker (theme/static/biashara/sw.js with store.js before it), served under
    /admin/ so that its scope is the back office. Never cached long: a new version must arrive."""
    source = "\n".join(Path(finders.find(f"biashara/{name}")).read_text() for name in ("store.js", "sw.js"))
    return HttpResponse(source, content_type="text/javascript", headers={"Cache-Control": "no-cache"})


@require_GET
def offline(request):
    """What the service worker shows for a page that needs the network when there is none."""
    return TemplateResponse(request, "backoffice/offline.html", {"quick_sale": reverse("admin:sales:quick_sale")})
