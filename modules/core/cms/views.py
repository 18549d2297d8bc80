"""The staff's request page (one tap makes the job or delivery) and robots.txt."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from modules.core.businesses.services import can_see_business

from . import services
from .models import CustomerRequest


def _request(request, pk, permission) -> CustomerRequest:
    found = get_object_or_404(CustomerRequest.objects.select_related("business", "item", "handled_by"), pk=pk)
    if not request.user.has_perm(permission) or not can_see_business(request.user, found.business.code):
        raise PermissionDenied
    return found


def request_page(request, pk):
    customer_request = _request(request, pk, "cms.view_customerrequest")
    return TemplateResponse(request, "cms/admin/request.html", {
        **admin.site.each_context(request), "title": customer_request.kind_label, "r": customer_request,
        "spec": customer_request.kind_spec, "can_act": request.user.has_perm("cms.change_customerrequest")})


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
