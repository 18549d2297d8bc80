"""Public surface of approvals: ask for, grant and refuse approval of any document.

    from modules.core.approvals import services as approvals
    request = approvals.request_approval(expense, expense.amount, user, "Fuel for the van")
    approvals.approve(request, owner, comment="OK", ip="41.90.1.2", device="Mozilla/5.0 …")
    approvals.status_for(expense)   # "approved"
    approvals.is_approved(expense)  # True

Rules are declared per document type by the module owning the document
(``Module.approval_rules = (ApprovalRule("purchasing.PurchaseOrder", threshold="50000.01", …),)``):
an amount at or above the threshold needs an approval by a user holding the rule's permission who
may see the document's business. With ``second_approver`` a second, different approver is needed.

* **Exactly once.** ``approve`` and ``reject`` lock the request row (SELECT … FOR UPDATE): of any
  number of concurrent clicks, one decides and the others get ``AlreadyDecided``. The rule's
  ``on_approved(document, request)`` runs inside the same transaction as the decision, so the
  decision and its follow-up (payment, posting, transfer) commit together or not at all.
* **Nobody approves their own request.** A requester who may approve (the owner) is their own
  authority: their request is approved as it is made (or counts as the first of two approvals).
* **A rejected document cannot proceed**: ``gate`` and ``request_approval`` refuse it.
* Events ``approval.requested`` and ``approval.decided`` (JSON-safe payloads) are published after
  commit; the module subscribes its notification handlers to them.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from modules.core.businesses.models import Business
from modules.core.businesses.services import can_see_business
from modules.core.ledger import chart
from modules.core.registry import events, registry
from modules.core.registry.contract import ApprovalRule
from modules.core.registry.refusals import Refusal

from . import hooks
from .models import ApprovalDecision, ApprovalRequest, ExpenseRequest

Status = ApprovalRequest.Status
Action = ApprovalDecision.Action
DEFAULT_PERMISSION = "approvals.decide_approvalrequest"
DEFAULT_RULE = ApprovalRule(document="", threshold="0")
SELF_APPROVED = "Asked for by someone who may approve: approved as it was made."


class ApprovalError(Refusal):
    """An approval step refused; the message is written for the person who tried it."""


class AlreadyDecided(ApprovalError):
    """The request is no longer pending (someone else decided first, or it was cancelled)."""


class ApprovalRequired(ApprovalError):
    """The action needs an approval that has not been given."""


class ApprovalPending(ApprovalRequired):
    """An approval request is waiting for a decision."""


class ApprovalRejected(ApprovalRequired):
    """The document's approval was refused: it cannot proceed."""


# --- rules -------------------------------------------------------------------------------------

def label_of(document_or_model) -> str:
    return document_or_model._meta.label  # "app_label.Model"


def rule_for(document_or_label) -> ApprovalRule | None:
    label = document_or_label if isinstance(document_or_label, str) else label_of(document_or_label)
    return registry.approval_rule(label)


def threshold(rule: ApprovalRule | None) -> Decimal | None:
    return None if rule is None else Decimal(rule.threshold)


def required(document_or_label, amount) -> bool:
    """True when a rule covers the document type and the amount is at or above its threshold."""
    rule = rule_for(document_or_label)
    return rule is not None and Decimal(amount) >= threshold(rule)


def _business(business) -> Business:
    if isinstance(business, Business):
        return business
    return Business.objects.get(code=business)


def may_decide(user, business, rule: ApprovalRule | None = None) -> bool:
    """The user holds the rule's permission and may see the business."""
    if user is None or not user.is_active:
        return False
    code = business.code if isinstance(business, Business) else business
    return user.has_perm((rule or DEFAULT_RULE).permission) and can_see_business(user, code)


def approvers(business, rule: ApprovalRule | None = None, *, exclude=None) -> list:
    """Active back-office users who may decide for this business (few users: checked in Python)."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("pk")
    return [u for u in users if may_decide(u, business, rule) and (exclude is None or u.pk != exclude.pk)]


def _rule_of_request(request: ApprovalRequest) -> ApprovalRule:
    model = request.document_type.model_class()
    return (rule_for(label_of(model)) if model else None) or DEFAULT_RULE


# --- reading -----------------------------------------------------------------------------------

def requests_for(document):
    return ApprovalRequest.objects.filter(document_type=ContentType.objects.get_for_model(document),
                                          document_id=str(document.pk))


def latest(document) -> ApprovalRequest | None:
    return requests_for(document).order_by("-pk").first()


def pending_for(document) -> ApprovalRequest | None:
    return requests_for(document).filter(status=Status.PENDING).first()


def status_for(document) -> str | None:
    """The latest request's status ("pending", "approved", "rejected", "cancelled"), None if never asked."""
    request = latest(document)
    return request.status if request else None


def is_approved(document, amount=None) -> bool:
    """An approved request exists for the document (covering ``amount`` when given)."""
    approved = requests_for(document).filter(status=Status.APPROVED)
    if amount is not None:
        approved = approved.filter(amount__gte=Decimal(amount))
    return approved.exists()


def pending_for_user(user):
    """Requests this user may decide now: pending, in their businesses, not their own, and not
    already approved by them as the first of two approvers."""
    candidates = (ApprovalRequest.objects.filter(status=Status.PENDING).select_related("business", "requested_by",
                                                                                         "document_type")
                  .exclude(requested_by=user).exclude(first_approved_by=user).order_by("requested_at"))
    return [r for r in candidates if may_decide(user, r.business, _rule_of_request(r))]


def can_view(user, request: ApprovalRequest) -> bool:
    if not can_see_business(user, request.business.code):
        return False
    return (user.has_perm("approvals.view_approvalrequest") or request.requested_by_id == user.pk
            or may_decide(user, request.business, _rule_of_request(request)))


# --- asking ------------------------------------------------------------------------------------

def _summary(document) -> str:
    return str(document)[:200]


def _payload(request: ApprovalRequest) -> dict:
    return {"request_id": request.pk, "business": request.business.code, "requester_id": request.requested_by_id,
            "document": f"{request.document_type.app_label}.{request.document_type.model}",
            "document_id": request.document_id, "amount": str(request.amount), "status": request.status}


@transaction.atomic
def request_approval(document, amount, user, reason: str = "") -> ApprovalRequest:
    """Ask for approval of ``document`` (which must have a ``business``). Returns the pending request
    if one already exists. A requester who may approve approves as they ask (see the module doc)."""
    business = _business(document.business)
    if user is not None and not can_see_business(user, business.code):
        raise PermissionDenied("You cannot ask for approvals in this business.")
    existing = pending_for(document)
    if existing:
        return existing
    last = latest(document)
    if last and last.status == Status.REJECTED:
        raise ApprovalRejected(f"{_summary(document)} was rejected: it cannot go ahead.")
    rule = rule_for(document) or DEFAULT_RULE
    try:
        with transaction.atomic():
            request = ApprovalRequest.objects.create(
                business=business, document_type=ContentType.objects.get_for_model(document),
                document_id=str(document.pk), summary=_summary(document), amount=Decimal(amount),
                reason=reason[:255], requested_by=user, needs_second=rule.second_approver)
    except IntegrityError:  # someone asked at the same moment: theirs stands
        return pending_for(document)
    if may_decide(user, business, rule):
        return _decide(request, user, approve=True, comment=SELF_APPROVED, ip=None, device="", own=True)
    events.publish("approval.requested", **_payload(request))
    return request


def gate(document, amount, user, *, reason: str = "") -> ApprovalRequest | None:
    """For services that act on a document (post a count): let them go ahead, or refuse.

    Goes ahead (returns) when no approval is needed, the document is approved for ``amount``,
    ``user`` is None (trusted code: demo data, jobs) or ``user`` may approve it. Refuses with
    ``ApprovalRejected`` after a rejection and ``ApprovalPending`` while a request waits. Otherwise
    it asks for approval, in a transaction of its own, and raises ``ApprovalPending``: call it
    before the caller's own ``transaction.atomic()`` so the request outlives the refusal."""
    rule = rule_for(document)
    if rule is None or Decimal(amount) < threshold(rule) or is_approved(document, amount):
        return None
    last = latest(document)
    if last and last.status == Status.REJECTED:
        raise ApprovalRejected(f"{_summary(document)} was rejected by {_name(last.decided_by)}: it cannot go ahead.")
    if last and last.status == Status.PENDING:
        raise ApprovalPending(f"{_summary(document)} is waiting for approval (request #{last.pk}).")
    if user is None or may_decide(user, document.business, rule):
        return None
    with transaction.atomic():
        request = request_approval(document, amount, user, reason)
    raise ApprovalPending(f"{_summary(document)}: KES {Decimal(amount):,} is at or above the KES "
                          f"{threshold(rule):,} limit, so it needs approval. Request #{request.pk} was sent; "
                          f"it goes ahead once approved.")


def approve_document(document, amount, user, *, comment: str = "", ip=None, device: str = "") -> ApprovalRequest:
    """Approve a document directly (e.g. the owner approving a purchase order from its list):
    decides its pending request, or makes and approves one."""
    request = pending_for(document)
    if request:
        return approve(request, user, comment=comment, ip=ip, device=device)
    return request_approval(document, amount, user, comment or "Approved directly")


# --- deciding ----------------------------------------------------------------------------------

def _name(user) -> str:
    if user is None:
        return "someone"
    return user.get_full_name() or user.get_username()


def approve(request: ApprovalRequest, user, *, comment: str = "", ip=None, device: str = "") -> ApprovalRequest:
    return _decide(request, user, approve=True, comment=comment, ip=ip, device=device)


def reject(request: ApprovalRequest, user, *, comment: str = "", ip=None, device: str = "") -> ApprovalRequest:
    return _decide(request, user, approve=False, comment=comment, ip=ip, device=device)


@transaction.atomic
def _decide(request, user, *, approve: bool, comment: str, ip, device: str, own: bool = False) -> ApprovalRequest:
    request = (ApprovalRequest.objects.select_for_update(of=("self",)).select_related("business", "document_type")
               .get(pk=request.pk))
    if request.status != Status.PENDING:
        when = timezone.localtime(request.decided_at).strftime("%d %b %H:%M") if request.decided_at else ""
        raise AlreadyDecided(f"Request #{request.pk} was already {request.get_status_display().lower()}"
                             f" by {_name(request.decided_by)} {when}".rstrip() + ".")
    rule = _rule_of_request(request)
    if not may_decide(user, request.business, rule):
        raise PermissionDenied("Only the owner (or someone allowed to approve) can decide this request.")
    if request.requested_by_id == user.pk and not own:
        raise PermissionDenied("You cannot approve or reject your own request.")
    now, device = timezone.now(), (device or "")[:255]
    if approve and request.needs_second and request.first_approved_by_id is None:
        request.first_approved_by, request.first_approved_at = user, now
        request.first_ip, request.first_device = ip or None, device
        request.comment = comment
        request.save(update_fields=["first_approved_by", "first_approved_at", "first_ip", "first_device", "comment"])
        _record(request, Action.FIRST_APPROVAL, user, now, ip=ip, device=device, comment=comment)
        events.publish("approval.requested", **_payload(request), step=2)
        return request
    if approve and request.first_approved_by_id == user.pk:
        raise PermissionDenied("The second approval must come from a different person than the first.")
    request.status = Status.APPROVED if approve else Status.REJECTED
    request.decided_by, request.decided_at, request.decision_ip, request.decision_device = user, now, ip or None, device
    if comment or not request.comment:
        request.comment = comment
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_ip", "decision_device", "comment"])
    _record(request, Action.APPROVED if approve else Action.REJECTED, user, now, ip=ip, device=device, comment=comment)
    document = request.document
    if approve and rule.on_approved and document is not None:
        import_string(rule.on_approved)(document, request)  # same transaction: both or neither
    elif not approve and hasattr(document, "on_approval_closed"):
        document.on_approval_closed(request)
    events.publish("approval.decided", **_payload(request), decided_by_id=user.pk)
    return request


def _record(request, action, user, at, *, ip=None, device="", comment=""):
    """The append-only trail of every decision (the request row keeps only the latest state)."""
    ApprovalDecision.objects.create(request=request, action=action, user=user, at=at, ip=ip or None,
                                    device=device, comment=comment)


@transaction.atomic
def cancel(request: ApprovalRequest, user) -> ApprovalRequest:
    """The requester (or an approver) withdraws a pending request."""
    request = ApprovalRequest.objects.select_for_update(of=("self",)).select_related("business").get(pk=request.pk)
    if request.status != Status.PENDING:
        raise AlreadyDecided(f"Request #{request.pk} is already {request.get_status_display().lower()}.")
    if request.requested_by_id != user.pk and not may_decide(user, request.business, _rule_of_request(request)):
        raise PermissionDenied("Only who asked, or an approver, can cancel this request.")
    request.status, request.decided_by, request.decided_at = Status.CANCELLED, user, timezone.now()
    request.save(update_fields=["status", "decided_by", "decided_at"])
    _record(request, Action.CANCELLED, user, request.decided_at)
    document = request.document
    if hasattr(document, "on_approval_closed"):
        document.on_approval_closed(request)
    return request


# --- expense requests --------------------------------------------------------------------------

def _positive(value, what) -> Decimal:
    try:
        number = Decimal(str(value))
    except Exception:  # noqa: BLE001 - any unparsable input is the same refusal
        raise ApprovalError(f"{value!r} is not a number.") from None
    if not number.is_finite() or number <= 0:
        raise ApprovalError(f"The {what} must be more than 0.")
    return number


@transaction.atomic
def request_expense(business, amount, user, *, description: str, category=chart.OPERATING_EXPENSES,
                    method: str = ExpenseRequest.Method.CASH) -> ExpenseRequest:
    """Staff ask for petty cash or an expense. Every expense needs approval (rule threshold 0): an
    approver's own expense is paid at once; a till that would go below zero refuses (LedgerError).
    ``category``: one of the business's expense categories (an account, or its code)."""
    business = _business(business)
    if user is not None and not can_see_business(user, business.code):
        raise PermissionDenied("You cannot ask for expenses in this business.")
    amount = _positive(amount, "amount")
    if method not in ExpenseRequest.Method.values:
        raise ApprovalError("Pay by cash, M-Pesa or bank.")
    if not (description or "").strip():
        raise ApprovalError("Say what the money is for.")
    try:
        category = chart.category_for(business, category)
    except ValidationError as error:
        raise ApprovalError(error.messages) from None
    expense = ExpenseRequest.objects.create(business=business, amount=amount, category=category,
                                            description=description.strip()[:200], method=method, requested_by=user)
    if required(expense, amount):
        request_approval(expense, amount, user)  # the summary already says what it is for
    else:
        hooks.pay_expense(expense, None)
    expense.refresh_from_db()
    return expense
