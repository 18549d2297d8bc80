"""Deciding from a phone: the pending list and one page per request (admin pages under /admin/approvals/)."""

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from modules.core.businesses.admin_kit import admin_page
from modules.core.registry import registry
from modules.core.system.network import client_ip

from . import services
from .models import ApprovalRequest

Status = ApprovalRequest.Status


@admin_page(gettext_lazy("Approvals"), template="approvals/pending.html")
def pending_view(request):
    waiting = services.pending_for_user(request.user)
    mine = (ApprovalRequest.objects.filter(requested_by=request.user).select_related("business", "decided_by")
            .order_by("-requested_at")[:10])
    return {"waiting": waiting, "mine": mine, "asks": asks_for(request.user)}


def asks_for(user) -> list[tuple[str, str]]:
    """(label, add page) of each document the user may ask for, as the modules' rules declare them."""
    found = []
    for rule in registry.approval_rules():
        if rule.ask:
            opts = apps.get_model(rule.document)._meta
            if user.has_perm(f"{opts.app_label}.add_{opts.model_name}"):
                found.append((_(rule.ask), reverse(f"admin:{opts.app_label}_{opts.model_name}_add")))
    return found


def admin_link(document):
    if document is None:
        return ""
    opts = document._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[document.pk])
    except NoReverseMatch:
        return ""


@require_http_methods(["GET", "POST"])
@admin_page(template="approvals/decide.html")
def decide_view(request, pk):
    approval = get_object_or_404(ApprovalRequest.objects.select_related(
        "business", "document_type", "requested_by", "decided_by", "first_approved_by"), pk=pk)
    user = request.user
    if not services.can_view(user, approval):
        raise PermissionDenied
    rule = services._rule_of_request(approval)
    pending = approval.status == Status.PENDING
    can_decide = (pending and services.may_decide(user, approval.business, rule)
                  and user.pk not in (approval.requested_by_id, approval.first_approved_by_id))
    can_cancel = pending and approval.requested_by_id == user.pk
    if request.method == "POST":
        decision = request.POST.get("decision")
        comment = request.POST.get("comment", "").strip()[:1000]
        audit = {"comment": comment, "ip": client_ip(request), "device": request.META.get("HTTP_USER_AGENT", "")}
        try:
            if decision == "approve":
                approval = services.approve(approval, user, **audit)
                messages.success(request, _("Approved: %(summary)s.") % {"summary": approval.summary}
                                 if approval.status == Status.APPROVED
                                 else _("Your approval is recorded; a second approver must approve too."))
            elif decision == "reject":
                services.reject(approval, user, **audit)
                messages.success(request, _("Rejected: %(summary)s.") % {"summary": approval.summary})
            elif decision == "cancel":
                services.cancel(approval, user)
                messages.success(request, _("Cancelled: %(summary)s.") % {"summary": approval.summary})
            else:
                return HttpResponseBadRequest("decision must be approve, reject or cancel")
        except services.AlreadyDecided as error:
            messages.warning(request, " ".join(error.messages))
        except ValidationError as error:
            messages.error(request, _("Not done: %(why)s") % {"why": " ".join(error.messages)})
        except PermissionDenied as error:
            messages.error(request, str(error) or _("You may not decide this request."))
        return redirect("admin:approvals:decide", approval.pk)
    document = approval.document
    return {"title": _("Approval #%(pk)s") % {"pk": approval.pk}, "approval": approval,
            "kind": _(rule.label) if rule.label else approval.document_type.name,
            "details": document.approval_details() if hasattr(document, "approval_details") else [],
            "document_link": admin_link(document), "can_decide": can_decide, "can_cancel": can_cancel,
            "now": timezone.now()}


admin_urlpatterns = [
    path("approvals/pending/", pending_view, name="pending"),
    path("approvals/decide/<int:pk>/", decide_view, name="decide"),
]
