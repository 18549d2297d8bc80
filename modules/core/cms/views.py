"""The staff's request page (one tap makes the job or delivery) and robots.txt."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from modules.core.businesses.admin_kit import admin_page, scoped_or_403

from . import services
from .models import CustomerRequest


def _request(request, pk, *permissions) -> CustomerRequest:
    return scoped_or_403(request, CustomerRequest.objects.select_related("business", "item", "handled_by"),
                         *permissions, pk=pk)


@admin_page(permission="cms.view_customerrequest", template="cms/admin/request.html")
def request_page(request, pk):
    customer_request = _request(request, pk)
    return {"title": customer_request.kind_label, "r": customer_request, "spec": customer_request.kind_spec,
            "can_act": request.user.has_perm("cms.change_customerrequest")}


@require_POST
def take(request, pk):
    customer_request = _request(request, pk, "cms.change_customerrequest")
    try:
        link = services.take_request(customer_request, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("admin:cms:request", pk)
    if not url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect("admin:cms:request", pk)
    return redirect(link)


@require_POST
def dismiss(request, pk):
    customer_request = _request(request, pk, "cms.change_customerrequest")
    try:
        services.dismiss_request(customer_request, request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Request dismissed.")
    return redirect("admin:cms:request", pk)


@require_GET
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    """Everything public may be indexed; the back office, the editor and private links may not."""
    lines = ["User-agent: *"]
    lines += [f"Disallow: {prefix}" for prefix in ("/admin/", "/cms/", "/r/", "/payments/", "/simulator/",
                                                   "/health/", "/documents/")]
    lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


admin_urlpatterns = [
    path("requests/<int:pk>/", request_page, name="request"),
    path("requests/<int:pk>/take/", take, name="take"),
    path("requests/<int:pk>/dismiss/", dismiss, name="dismiss"),
]
