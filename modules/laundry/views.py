"""Laundry admin pages (Module.admin_urls, names under ``admin:laundry:``): the status board,
the drop-off form, the job page with its timeline, the ticket, and the POST actions."""

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.dateformat import format as date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from modules.core.businesses.admin_kit import admin_page, scoped_or_403
from modules.core.businesses.services import enabled_businesses
from modules.core.payments import services as payments
from modules.core.payments.models import Payment
from modules.core.customers.phones import normalize_phone
from modules.core.customers.services import in_their_language

from . import services
from .models import Job

ZERO = Decimal("0.00")
BOARD_COLUMNS = [Job.Status.RECEIVED, Job.Status.WASHING, Job.Status.DRYING, Job.Status.FINISHING, Job.Status.READY]


def _business(request):
    return scoped_or_403(request, enabled_businesses(), code=services.BUSINESS_CODE)


def _job(request, pk, *permissions):
    """A job of a business this user may see, and the permissions to act on it; else 403."""
    return scoped_or_403(request, Job.objects.select_related("business", "sale"), *permissions, pk=pk)


def _back(request, job):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("admin:laundry:job", job.pk)


@admin_page(gettext_lazy("Laundry board"), permission="laundry.view_job", template="laundry/board.html")
def board(request):
    """Phone-first: one column (a stacked section on a phone) per status, one tap moves a job on."""
    business = _business(request)
    now = timezone.now()
    jobs = (payments.with_amount_paid(Job.objects.filter(business=business, status__in=BOARD_COLUMNS), via="sale")
            .select_related("sale").prefetch_related("lines__item").order_by("promised_at"))
    columns = {status: [] for status in BOARD_COLUMNS}
    for job in jobs:
        job.due = max(job.sale.payable_total - job.paid, ZERO)
        job.overdue = job.status != Job.Status.READY and job.promised_at < now
        job.waiting_days = (now - job.ready_at).days if job.status == Job.Status.READY and job.ready_at else 0
        job.next_status = services.next_status(job.status)
        job.next_label = Job.Status(job.next_status).label if job.next_status else ""
        columns[job.status].append(job)
    today = timezone.localdate()
    return {
        "columns": [(Job.Status(s), columns[s]) for s in BOARD_COLUMNS],
        "overdue": sum(1 for j in jobs if j.overdue),
        "collected_today": Job.objects.filter(business=business, status=Job.Status.COLLECTED,
                                              collected_at__date=today).count(),
        "can_change": request.user.has_perm("laundry.change_job"),
        "can_add": request.user.has_perm("laundry.add_job"), "board_url": reverse("admin:laundry:board")}


def _quantities(request, items):
    lines, errors = [], []
    for item in items:
        raw = (request.POST.get(f"qty-{item.pk}") or "").strip().replace(",", ".")
        if not raw:
            continue
        try:
            quantity = Decimal(raw)
        except InvalidOperation:
            errors.append(_("%(item)s: %(raw)r is not a number.") % {"item": item.name, "raw": raw})
            continue
        if quantity:
            lines.append(services.JobLineInput(item.pk, quantity))
    return lines, errors


def _promised(raw):
    if not raw:
        return None
    try:
        return timezone.make_aware(datetime.fromisoformat(raw))
    except ValueError as error:
        raise ValidationError(_("The promised date and time could not be read.")) from error


@admin_page(gettext_lazy("New laundry job"), permission="laundry.add_job", template="laundry/new_job.html")
def new_job(request):
    """Drop-off: phone, what came in (kg or pieces), express, promised time, notes, deposit."""
    business = _business(request)
    items = list(services.services_on_sale(business))
    express = services.express_item(business)
    errors = []
    if request.method == "POST":
        lines, errors = _quantities(request, items)
        method = request.POST.get("method", "cash")
        deposit = (request.POST.get("deposit") or "0").strip() or "0"
        if method == "mpesa" and not request.user.has_perm("payments.add_stkrequest"):
            errors.append(_("You may not request M-Pesa payments."))
        if not errors:
            try:
                job = services.create_job(
                    business, customer_phone=request.POST.get("phone", ""), lines=lines,
                    customer_name=request.POST.get("name", ""), promised_at=_promised(request.POST.get("promised")),
                    express=bool(request.POST.get("express")), notes=request.POST.get("notes", ""),
                    deposit=deposit, method=method, client_uuid=request.POST.get("uuid") or None, user=request.user)
            except ValidationError as error:
                errors = error.messages
            else:
                if method == "mpesa" and Decimal(deposit) > 0 and services.amount_paid(job) == 0:
                    try:
                        stk = services.request_mpesa(job, request.POST.get("phone", ""), amount=Decimal(deposit),
                                                     user=request.user)
                    except ValidationError as error:
                        messages.error(request, " ".join(error.messages))
                    else:
                        return redirect("admin:payments:stk_wait", stk.pk)
                messages.success(request, _("Ticket %(ticket)s saved.") % {"ticket": job.ticket_number})
                return redirect("admin:laundry:ticket", job.pk)
    now = timezone.localtime()
    return {
        "items": [(item, request.POST.get(f"qty-{item.pk}", "")) for item in items],
        "express": express, "errors": errors,
        "post": request.POST if request.method == "POST" else request.GET,  # a website pick-up fills it by GET
        "uuid": request.POST.get("uuid") or uuid.uuid4(),
        "default_promise": timezone.localtime(services.default_promise(False, now)).strftime("%Y-%m-%dT%H:%M"),
        "express_promise": timezone.localtime(services.default_promise(True, now)).strftime("%Y-%m-%dT%H:%M"),
        "can_mpesa": request.user.has_perm("payments.add_stkrequest")}


def _timeline(job):
    """The job's history plus the M-Pesa payments the payments core recorded (cash is in the history)."""
    entries = [{"at": e.at, "title": e.summary, "note": e.note, "user": e.user, "kind": e.kind}
               for e in job.events.select_related("user")]
    mpesa = payments.payments_for(job.sale).filter(method=Payment.Method.MPESA).select_related("received_by")
    entries += [{"at": p.received_at, "title": _("Payment"), "user": p.received_by, "kind": "payment",
                 "note": f"M-Pesa KES {p.amount:,}" + (_(", receipt %(receipt)s") % {"receipt": p.mpesa_receipt} if p.mpesa_receipt else "")}
                for p in mpesa]
    for entry in entries:
        user = entry["user"]
        entry["who"] = (user.get_short_name() or user.get_username()) if user else _("system")
    return sorted(entries, key=lambda e: e["at"])


@admin_page(permission="laundry.view_job", template="laundry/job.html")
def job_page(request, pk):
    job = _job(request, pk)
    due = services.balance_due(job)
    user = request.user
    next_status = services.next_status(job.status) if job.is_open else None
    return {
        "title": _("Ticket %(ticket)s") % {"ticket": job.ticket_number}, "job": job, "lines": job.lines.select_related("item"),
        "paid": services.amount_paid(job), "due": due, "timeline": _timeline(job),
        "overdue": job.status in services.open_statuses() and job.promised_at < timezone.now(),
        "next_status": next_status, "next_label": Job.Status(next_status).label if next_status else "",
        "can_change": user.has_perm("laundry.change_job"),
        "can_cash": user.has_perm("laundry.change_job") and user.has_perm("payments.add_payment"),
        "can_mpesa": user.has_perm("payments.add_stkrequest"),
        "can_cancel": user.has_perm("laundry.cancel_job") and job.is_open}


@admin_page(permission="laundry.view_job", template="laundry/ticket.html")
def ticket(request, pk):
    """The customer's ticket: print it, or send it to the customer's WhatsApp."""
    job = _job(request, pk)
    lines = list(job.lines.select_related("item"))
    paid, due = services.amount_paid(job), services.balance_due(job)
    what = ", ".join(f"{line.quantity.normalize():f} {line.item.unit} {line.item.name}" for line in lines)
    with in_their_language(job.customer):  # the ticket and the text the customer keeps
        language = translation.get_language()
        share_title = _("Ticket %(ticket)s") % {"ticket": job.ticket_number}
        share = _("%(business)s ticket %(ticket)s: %(what)s. Total KES %(total)s, paid KES %(paid)s, balance KES "
                  "%(due)s. Ready by %(ready)s. Bring this ticket number to collect.") % {
            "business": job.business.name, "ticket": job.ticket_number, "what": what, "total": f"{job.total:,}",
            "paid": f"{paid:,}", "due": f"{due:,}", "ready": date_format(timezone.localtime(job.promised_at), "D d M H:i")}
    return {"title": _("Ticket %(ticket)s") % {"ticket": job.ticket_number}, "job": job, "lines": lines, "paid": paid,
            "due": due, "share_text": share, "share_title": share_title, "wa_phone": job.customer_phone,
            "customer_language": language}


@require_POST
def advance(request, pk):
    job = _job(request, pk, "laundry.change_job")
    try:
        job = services.advance(job, user=request.user, expected=request.POST.get("expected") or None)
    except services.JobChanged as error:
        messages.info(request, " ".join(error.messages))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(ticket)s is now %(status)s.") % {"ticket": job.ticket_number, "status": job.get_status_display()})
    return _back(request, job)


@require_POST
def pay_cash(request, pk):
    job = _job(request, pk, "laundry.change_job", "payments.add_payment")
    try:
        payment = services.take_payment(job, amount=(request.POST.get("amount") or "").strip() or None,
                                        user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("KES %(amount)s cash taken for %(ticket)s.") % {"amount": f"{payment.amount:,}", "ticket": job.ticket_number})
    return _back(request, job)


@require_POST
def pay_mpesa(request, pk):
    job = _job(request, pk, "laundry.view_job", "payments.add_stkrequest")
    try:
        phone = normalize_phone(request.POST.get("phone") or job.customer_phone)
        stk = services.request_mpesa(job, phone, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request, job)
    return redirect("admin:payments:stk_wait", stk.pk)


@require_POST
def cancel(request, pk):
    job = _job(request, pk, "laundry.cancel_job")
    try:
        job = services.cancel_job(job, reason=request.POST.get("reason", ""), refund=request.POST.get("refund", "cash"),
                                  user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(ticket)s cancelled.") % {"ticket": job.ticket_number})
    return redirect("admin:laundry:job", job.pk)


admin_urlpatterns = [
    path("laundry/board/", board, name="board"),
    path("laundry/new/", new_job, name="new_job"),
    path("laundry/jobs/<int:pk>/", job_page, name="job"),
    path("laundry/jobs/<int:pk>/ticket/", ticket, name="ticket"),
    path("laundry/jobs/<int:pk>/advance/", advance, name="advance"),
    path("laundry/jobs/<int:pk>/cash/", pay_cash, name="pay_cash"),
    path("laundry/jobs/<int:pk>/mpesa/", pay_mpesa, name="pay_mpesa"),
    path("laundry/jobs/<int:pk>/cancel/", cancel, name="cancel"),
]
