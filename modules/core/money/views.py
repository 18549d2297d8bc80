"""Phone pages for moving money (admin pages under /admin/money/, names "admin:money:<name>").

The movement form is one page: the kind is a row of buttons (a link each, no script), the
business and amount come pre-filled from the dashboard's "Bank it" button, so banking the day's
cash is: tap "Bank it" on the dashboard, tap "Save". Bad input re-shows the form with the reason
(HTTP 400); a refusal by the ledger (a till that would go below zero) too.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode

from modules.core.businesses.admin_kit import render_page, scoped_or_403
from modules.core.businesses.services import businesses_for
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account

from . import opening as openings
from . import services
from .models import Journal, Limits, Movement, Status

Kind = Movement.Kind
JOURNAL_ROWS = 6
OPENING_CSV_MAX_BYTES = 200_000


def _require(request, permission):
    if not request.user.has_perm(permission) or not businesses_for(request.user).exists():
        raise PermissionDenied


def _chosen_business(request, data, businesses):
    """The business asked for, among the user's; asking for another one answers 403."""
    wanted = data.get("business")
    if wanted:
        for business in businesses:
            if business.code == wanted:
                return business
        raise PermissionDenied
    return businesses[0] if len(businesses) == 1 else None


# --- movements ------------------------------------------------------------------------------------

class MovementForm(forms.Form):
    business = forms.ChoiceField()
    amount = forms.CharField(max_length=20)
    charge = forms.CharField(required=False, max_length=20)
    till = forms.ChoiceField(choices=Movement.Till.choices, required=False)
    category = forms.ChoiceField(required=False)
    to_business = forms.ChoiceField(required=False)
    day = forms.DateField(required=False)
    reference = forms.CharField(required=False, max_length=40)
    note = forms.CharField(required=False, max_length=200)


def move_view(request):
    """GET: the form (``?kind=&business=&amount=`` pre-fill it). POST: record the movement."""
    _require(request, "money.add_movement")
    businesses = list(businesses_for(request.user))
    data = request.POST if request.method == "POST" else request.GET
    kinds = services.kinds_for(request.user)
    kind = data.get("kind") or Kind.BANK_DEPOSIT
    if kind not in kinds:
        kind = kinds[0]
    business = _chosen_business(request, data, businesses)
    errors, status = [], 200
    if request.method == "POST":
        form = MovementForm(request.POST)
        form.fields["business"].choices = [(b.code, b.name) for b in businesses]
        form.fields["to_business"].choices = [("", "")] + [(b.code, b.name) for b in businesses]
        form.fields["category"].choices = [("", "")] + [
            (str(a.pk), a.name) for a in chart.expense_categories(business)] if business else [("", "")]
        if form.is_valid():
            cleaned = form.cleaned_data
            try:
                movement = services.move(
                    business, kind, cleaned["amount"], user=request.user, day=cleaned["day"] or None,
                    charge=cleaned["charge"] or "0", till=cleaned["till"] or "cash",
                    category=Account.objects.filter(pk=cleaned["category"]).first() if cleaned["category"] else None,
                    to_business=next((b for b in businesses if b.code == cleaned["to_business"]), None),
                    reference=cleaned["reference"], note=cleaned["note"])
            except ValidationError as error:
                errors = error.messages
            else:
                if movement.status == Status.POSTED:
                    messages.success(request, f"Saved: {movement}.")
                else:
                    messages.warning(request, f"Saved: {movement}. It waits for the owner's approval.")
                return redirect("admin:money:movement", movement.pk)
        else:
            errors = [f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: {' '.join(e)}"
                      for name, e in form.errors.items()]
        status = 400
    context = {
        "kinds": [(k, Kind(k).label, services.KINDS[k].help) for k in kinds], "kind": kind,
        "kind_label": Kind(kind).label, "businesses": businesses, "business": business, "errors": errors,
        "values": data, "today": timezone.localdate(), "tills": Movement.Till.choices,
        "categories": chart.expense_categories(business) if business else [],
        "others": [b for b in businesses if business is None or b.pk != business.pk],
        "balances": _tills(business) if business else None,
    }
    return render_page(request, "money/move.html", {"title": Kind(kind).label, **context}, status=status)


def _tills(business) -> dict:
    accounts = {a.code: a for a in Account.objects.filter(business=business, code__in=[chart.CASH, chart.MPESA])}
    return {code: ledger.balance(account) for code, account in accounts.items()}


def movement_view(request, pk):
    _require(request, "money.view_movement")
    movement = scoped_or_403(request, Movement.objects.select_related("business", "to_business", "category",
                                                                      "created_by"), pk=pk)
    entries = ledger.entries_for(movement)
    can_reverse = movement.status == Status.POSTED and request.user.has_perm("money.change_movement")
    return render_page(request, "money/movement.html", {
        "title": str(movement), "movement": movement,
        "entries": [(e, list(e.lines.select_related("account"))) for e in entries],
        "can_reverse": can_reverse,
        "cashup": reverse("admin:reports:cash_up") + "?" + urlencode({"business": movement.business.code})})


def movement_reverse_view(request, pk):
    if request.method != "POST":
        raise PermissionDenied
    _require(request, "money.change_movement")
    movement = scoped_or_403(request, Movement, pk=pk)
    try:
        services.reverse_movement(movement, user=request.user)
        messages.success(request, f"Reversed: {movement}. The original entry stays, with its reversal beside it.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("admin:money:movement", pk)


# --- manual journal -------------------------------------------------------------------------------

def journal_view(request):
    _require(request, "money.add_journal")
    businesses = list(businesses_for(request.user))
    data = request.POST if request.method == "POST" else request.GET
    business = _chosen_business(request, data, businesses) or businesses[0]
    rows = max(JOURNAL_ROWS, min(int(data.get("rows") or 0) if str(data.get("rows", "")).isdigit() else 0, 40))
    errors, status = [], 200
    if request.method == "POST":
        lines = [(request.POST.get(f"account_{n}", ""), request.POST.get(f"debit_{n}", ""),
                  request.POST.get(f"credit_{n}", "")) for n in range(rows)]
        try:
            day = date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            errors, day = ["Give the journal's day."], None
        if not errors:
            try:
                journal = services.submit_journal(business, day, request.POST.get("memo", ""), lines,
                                                  user=request.user)
            except ValidationError as error:
                errors = error.messages
            else:
                if journal.status == Status.POSTED:
                    messages.success(request, f"Posted: {journal}.")
                else:
                    messages.warning(request, f"Saved: {journal}. It waits for the owner's approval.")
                return redirect("admin:money:journal_detail", journal.pk)
        status = 400
    accounts = openings.opening_accounts(business)
    # a refused journal comes back with every line as typed
    lines = [{"n": n, "account": data.get(f"account_{n}", ""), "debit": data.get(f"debit_{n}", ""),
              "credit": data.get(f"credit_{n}", "")} for n in range(rows)]
    return render_page(request, "money/journal.html", {
        "title": "Manual journal", "businesses": businesses, "business": business, "accounts": accounts, "lines": lines,
        "row_count": rows, "memo": data.get("memo", ""), "day": data.get("day") or timezone.localdate().isoformat(),
        "errors": errors, "limit": Limits.current().journal_threshold}, status=status)


def journal_detail_view(request, pk):
    _require(request, "money.view_journal")
    journal = scoped_or_403(request, Journal.objects.select_related("business", "created_by", "entry"), pk=pk)
    return render_page(request, "money/journal_detail.html", {
        "title": str(journal), "journal": journal, "lines": journal.lines.select_related("account"),
        "entries": [(e, list(e.lines.select_related("account"))) for e in ledger.entries_for(journal)],
        "can_reverse": journal.status == Status.POSTED and request.user.has_perm("money.add_journal")})


def journal_reverse_view(request, pk):
    if request.method != "POST":
        raise PermissionDenied
    _require(request, "money.add_journal")
    journal = scoped_or_403(request, Journal, pk=pk)
    try:
        services.reverse_journal(journal, user=request.user)
        messages.success(request, f"Reversed: {journal}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("admin:money:journal_detail", pk)


# --- opening balances -----------------------------------------------------------------------------

def opening_view(request):
    _require(request, "money.add_openingbalances")
    businesses = list(businesses_for(request.user))
    data = request.POST if request.method == "POST" else request.GET
    business = _chosen_business(request, data, businesses) or businesses[0]
    accounts = openings.opening_accounts(business)
    errors, status = [], 200
    current = openings.current_opening(business)
    if request.method == "GET" and data.get("format") == "csv":
        response = HttpResponse(openings.opening_balances_csv(business), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="opening-balances-{business.code}.csv"'
        return response
    if request.method == "POST" and "csv" in request.FILES:
        return _check_opening_csv(request, businesses, business, accounts)
    if request.method == "POST":
        balances = {a.code: request.POST.get(f"balance_{a.code}", "") for a in accounts}
        try:
            as_of = date.fromisoformat(request.POST.get("as_of", ""))
        except ValueError:
            errors, as_of = ["Give the day the balances are for."], None
        if not errors:
            try:
                opening = openings.post_opening_balances(business, as_of, balances, user=request.user)
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(request, f"Posted: {opening} (entry #{opening.entry.number}).")
                return redirect(reverse("admin:money:opening") + "?" + urlencode({"business": business.code}))
        status = 400
        current = {code: value for code, value in (data.items()) if code.startswith("balance_")}
        current = {code.removeprefix("balance_"): value for code, value in current.items()}
    rows = [(a, current.get(a.code, "")) for a in accounts]
    return render_page(request, "money/opening.html", {
        "title": "Opening balances", "businesses": businesses, "business": business, "rows": rows, "errors": errors,
        "as_of": data.get("as_of") or "", "equity": chart.OWNER_EQUITY}, status=status)


def _check_opening_csv(request, businesses, business, accounts):
    """The CSV import's dry run: the file's balances fill the form and the entry they would post is
    shown; nothing is posted until the owner taps Post on the filled form."""
    upload = request.FILES["csv"]
    balances, preview, errors = {}, [], []
    try:
        if upload.size > OPENING_CSV_MAX_BYTES:
            raise ValidationError(f"The file is {upload.size:,} bytes; an opening balances CSV is far smaller "
                                  f"(at most {OPENING_CSV_MAX_BYTES:,}).")
        balances = openings.opening_balances_from_csv(upload.read())
        names = {a.code: a.name for a in accounts}
        preview = [(line.account, names.get(line.account, ""), line.debit, line.credit)
                   for line in openings.opening_lines(business, balances)]
    except ValidationError as error:
        errors = error.messages
    rows = [(a, balances.get(a.code, "")) for a in accounts]
    return render_page(request, "money/opening.html", {
        "title": "Opening balances", "businesses": businesses, "business": business, "rows": rows, "errors": errors,
        "preview": preview, "checked_file": upload.name,
        "as_of": request.POST.get("as_of") or "", "equity": chart.OWNER_EQUITY}, status=400 if errors else 200)


# --- expense categories ---------------------------------------------------------------------------

def categories_view(request):
    """Every business's expense categories; the owner adds one (to some or all businesses)."""
    _require(request, "ledger.view_account")
    businesses = list(businesses_for(request.user))
    can_add = request.user.has_perm("ledger.add_account")
    errors, status = [], 200
    if request.method == "POST":
        if not can_add:
            raise PermissionDenied
        chosen = [b for b in businesses if b.code in request.POST.getlist("businesses")]
        if not chosen:
            errors = ["Tick at least one business."]
        else:
            try:
                added = chart.add_expense_category(request.POST.get("name", ""), chosen)
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(request, f"Expense category {added[0].code} {added[0].name} is ready in "
                                          f"{', '.join(b.name for b in chosen)}.")
                return redirect("admin:money:categories")
        status = 400
    table = [(b, list(chart.expense_categories(b))) for b in businesses]
    return render_page(request, "money/categories.html", {
        "title": "Expense categories", "table": table, "businesses": businesses, "can_add": can_add, "errors": errors,
        "values": request.POST if request.method == "POST" else {}}, status=status)


# --- the owner's limits ---------------------------------------------------------------------------

class LimitsForm(forms.ModelForm):
    class Meta:
        model = Limits
        fields = ["movement_threshold", "journal_threshold"]


def limits_view(request):
    if not request.user.has_perm("money.change_limits"):
        raise PermissionDenied
    limits = Limits.current()
    form = LimitsForm(request.POST or None, instance=limits)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            limits = form.save(commit=False)
            limits.updated_by = request.user
            limits.save()
            messages.success(request, f"Saved: {limits}.")
            return redirect("admin:money:limits")
        status = 400
    return render_page(request, "money/limits.html", {
        "title": "Approval limits", "form": form, "limits": limits},                status=status)


admin_urlpatterns = [
    path("money/move/", move_view, name="move"),
    path("money/movement/<int:pk>/", movement_view, name="movement"),
    path("money/movement/<int:pk>/reverse/", movement_reverse_view, name="movement_reverse"),
    # not money/journal/: that is the admin's list of manual journals
    path("money/journal/new/", journal_view, name="journal"),
    path("money/journal/<int:pk>/", journal_detail_view, name="journal_detail"),
    path("money/journal/<int:pk>/reverse/", journal_reverse_view, name="journal_reverse"),
    path("money/opening/", opening_view, name="opening"),
    path("money/categories/", categories_view, name="categories"),
    path("money/limits/", limits_view, name="limits"),
]
