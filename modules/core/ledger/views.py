"""Ledger reports inside the admin: trial balance, profit and loss, account ledger."""

from datetime import date

from django import forms
from django.core.exceptions import PermissionDenied
from django.urls import path
from django.utils import timezone

from modules.core.businesses.admin_kit import admin_page, scoped_or_403
from modules.core.businesses.services import businesses_for
from modules.core.exports.tables import CsvColumn, csv_download, csv_link, wants_csv
from modules.core.registry.roles import business_codes_for

from . import services
from .models import Account

CONSOLIDATED = ""


class ReportFilter(forms.Form):
    business = forms.ChoiceField(required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, user, data, *, default_start=None):
        today = timezone.localdate()
        data = {"start": default_start or today.replace(day=1), "end": today, **data.dict()}
        super().__init__(data)
        choices = [(b.code, b.name) for b in businesses_for(user)]
        if business_codes_for(user) is None:
            choices.insert(0, (CONSOLIDATED, "All businesses (consolidated)"))
        self.fields["business"].choices = choices
        self.fields["business"].initial = choices[0][0] if choices else None

    def cleaned(self):
        if not self.is_valid():
            return None, None, None
        business = self.cleaned_data["business"]
        if business == CONSOLIDATED and not any(code == CONSOLIDATED for code, _ in self.fields["business"].choices):
            business = self.fields["business"].choices[0][0]
        return business or None, self.cleaned_data["start"], self.cleaned_data["end"]


def _require(request):
    if not businesses_for(request.user).exists():
        raise PermissionDenied


@admin_page("Trial balance", permission="ledger.view_journalentry", template="ledger/trial_balance.html")
def trial_balance_view(request):
    _require(request)
    form = ReportFilter(request.user, request.GET)
    business, _, as_of = form.cleaned()
    rows = services.trial_balance(business, as_of=as_of) if form.is_valid() else []
    if business:  # one business: each row opens its account ledger
        ids = dict(Account.objects.filter(business__code=business).values_list("code", "pk"))
        for row in rows:
            row["account_id"] = ids.get(row["code"])
    if wants_csv(request) and form.is_valid():
        return csv_download(
            request, filename=f"trial_balance_{business or 'all'}_{as_of}.csv",
            columns=[CsvColumn("Code"), CsvColumn("Account"), CsvColumn("Debit (KES)", "money"),
                     CsvColumn("Credit (KES)", "money")],
            rows=([r["code"], r["name"], r["balance_debit"], r["balance_credit"]] for r in rows),
            kind="ledger.trial_balance", label="Trial balance", filters={"business": business or "all",
                                                                       "as_of": str(as_of)})
    return {"form": form, "rows": rows, "as_of": as_of, "total_debit": sum(r["balance_debit"] for r in rows),
            "total_credit": sum(r["balance_credit"] for r in rows), "csv_url": csv_link(request)}


@admin_page("Profit and loss", permission="ledger.view_journalentry", template="ledger/profit_and_loss.html")
def profit_and_loss_view(request):
    _require(request)
    form = ReportFilter(request.user, request.GET)
    business, start, end = form.cleaned()
    report = services.profit_and_loss(business, start=start, end=end) if form.is_valid() else None
    if wants_csv(request) and report:
        return csv_download(
            request, filename=f"profit_and_loss_{business or 'all'}_{start}_{end}.csv",
            columns=[CsvColumn("Part"), CsvColumn("Code"), CsvColumn("Account"), CsvColumn("Amount (KES)", "money")],
            rows=[*(["Revenue", r["code"], r["name"], r["balance"]] for r in report["revenue"]),
                  *(["Expenses", r["code"], r["name"], r["balance"]] for r in report["expenses"])],
            kind="ledger.profit_and_loss", label="Profit and loss",
            filters={"business": business or "all", "start": str(start), "end": str(end)})
    return {"form": form, "report": report, "csv_url": csv_link(request)}


@admin_page(permission="ledger.view_journalentry", template="ledger/account_ledger.html")
def account_ledger_view(request, account_id):
    account = scoped_or_403(request, Account.objects.select_related("business"), pk=account_id)
    form = ReportFilter(request.user, request.GET, default_start=date(timezone.localdate().year, 1, 1))
    _, start, end = form.cleaned()
    return {"title": f"{account} · {account.business}", "form": form,
            "ledger": services.account_ledger(account, start=start, end=end)}


admin_urlpatterns = [
    path("ledger/reports/trial-balance/", trial_balance_view, name="trial_balance"),
    path("ledger/reports/profit-and-loss/", profit_and_loss_view, name="profit_and_loss"),
    path("ledger/reports/account/<int:account_id>/", account_ledger_view, name="account_ledger"),
]
