"""approval.requested / approval.decided turned into notifications (run after the event's commit)."""

from django.urls import reverse

from .models import ApprovalRequest
from .services import _name, _rule_of_request, approvers


def _send(kind, to, request, message):
    try:
        from modules.core.notifications import services as notifications
    except ImportError:  # notifications not installed: nothing to announce
        return
    if to:
        notifications.send(kind, to=to, business=request.business.code, obj=request, message=message,
                           link=reverse("admin:approvals:decide", args=[request.pk]))


def on_requested(*, request_id, **_):
    """Everyone who may decide it, except whoever asked (and a first approver, for step two)."""
    request = ApprovalRequest.objects.select_related("business", "requested_by", "first_approved_by").filter(
        pk=request_id, status=ApprovalRequest.Status.PENDING).first()
    if request is None:
        return
    skip = {request.requested_by_id, request.first_approved_by_id}
    to = [u for u in approvers(request.business, _rule_of_request(request)) if u.pk not in skip]
    who = _name(request.requested_by)
    step = " (second approval)" if request.first_approved_by_id else ""
    _send("approvals.requested", to, request,
          f"Approve{step}: {request.summary} · KES {request.amount:,} · asked by {who}")


def on_decided(*, request_id, **_):
    """The requester learns the decision."""
    request = ApprovalRequest.objects.select_related("business", "requested_by", "decided_by").filter(
        pk=request_id).first()
    if request is None or request.requested_by is None or request.decided_by_id == request.requested_by_id:
        return
    verdict = request.get_status_display().lower()
    comment = f": “{request.comment}”" if request.comment else ""
    _send("approvals.decided", [request.requested_by], request,
          f"{request.summary} {verdict} by {_name(request.decided_by)}{comment}")
