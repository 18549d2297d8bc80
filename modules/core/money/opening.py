"""Opening balances: what each account held on the day the books start, posted as one entry with
the difference on owner's equity; posting again reverses the earlier opening entry first. The form
lists ``opening_accounts``; a CSV (``opening_balances_csv`` writes the template, the owner fills it
in) is read by ``opening_balances_from_csv`` and checked with ``opening_lines`` before it is posted.

    from modules.core.money import opening
    opening.post_opening_balances(water, as_of, {"1000": "3500", "1020": "120000", "2000": "40000"}, user=owner)

Every refusal is a ``MoneyError`` (a ValidationError) with a plain message, as in ``services.py``.
"""

from __future__ import annotations

import csv
import io
from datetime import date as date_type

from django.db import transaction

from modules.core.exports.safety import inert_row
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account

from .models import OpeningBalances, Status
from .services import MoneyError, _business, _check_user, amount_of


def opening_accounts(business):
    """Every active account, balance sheet first: what the opening balances form lists."""
    order = {"asset": 0, "liability": 1, "equity": 2, "revenue": 3, "expense": 4}
    return sorted(Account.objects.filter(business=business, is_active=True), key=lambda a: (order[a.kind], a.code))


def opening_lines(business, balances: dict) -> list[ledger.Line]:
    """The opening entry's lines for ``balances`` (see post_opening_balances), the difference on
    owner's equity last; every refusal at once. Posts nothing: the CSV import's dry run shows these."""
    business = _business(business)
    accounts = {a.code: a for a in Account.objects.filter(business=business)}
    lines, errors = [], []
    for code, raw in balances.items():
        if raw is None or not str(raw).strip():
            continue
        account = accounts.get(str(code).strip())
        if account is None:
            errors.append(f"{business.name} has no account {code}.")
            continue
        if not account.is_active:  # the form lists active accounts only: the balance would be dropped
            errors.append(f"Account {account.code} {account.name} is closed: reopen it first, or leave its "
                          "balance empty.")
            continue
        try:
            text = str(raw).replace(",", "").strip()
            negative = text.startswith("-")
            value = amount_of(text.lstrip("-"), f"balance of {account.code} {account.name}", zero=True)
        except MoneyError as error:
            errors.append(" ".join(error.messages))
            continue
        if not value:
            continue
        if account.code == chart.OWNER_EQUITY:
            errors.append("Leave owner's equity empty: it takes the difference.")
            continue
        on_debit = account.debit_normal != negative
        if negative and not account.allow_negative:
            errors.append(f"{account.name} cannot start below zero.")
            continue
        lines.append(ledger.debit(account.code, value) if on_debit else ledger.credit(account.code, value))
    if errors:
        raise MoneyError(errors)
    if not lines:
        raise MoneyError("Write at least one balance.")
    difference = sum(line.debit for line in lines) - sum(line.credit for line in lines)
    if difference:
        lines.append(ledger.credit(chart.OWNER_EQUITY, difference) if difference > 0
                     else ledger.debit(chart.OWNER_EQUITY, -difference))
    if len(lines) < 2:
        raise MoneyError("Write at least one balance besides owner's equity.")
    return lines


def opening_balances_from_csv(content: bytes) -> dict[str, str]:
    """account code -> balance from a CSV with the columns ``code`` and ``balance`` (others, such as
    ``name``, are ignored: the file ``opening_balances_csv`` writes comes back as it is)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MoneyError("The file is not a UTF-8 CSV: save it as 'CSV UTF-8' and try again.") from error
    reader = csv.DictReader(io.StringIO(text))
    columns = {(name or "").strip().lower(): name for name in reader.fieldnames or []}
    if "code" not in columns or "balance" not in columns:
        raise MoneyError("The CSV needs a header row with the columns code and balance.")
    balances, errors = {}, []
    for number, row in enumerate(reader, start=2):
        code = (row.get(columns["code"]) or "").strip()
        value = (row.get(columns["balance"]) or "").strip()
        if not code and not value:
            continue
        if not code:
            errors.append(f"Row {number}: the account code is empty.")
        elif code in balances:
            errors.append(f"Row {number}: account {code} is in the file twice.")
        else:
            balances[code] = value
    if errors:
        raise MoneyError(errors)
    return balances


def opening_balances_csv(business) -> str:
    """Every account the opening balances form lists, with its posted opening balance: the template
    to fill in (owner's equity is left out, it takes the difference)."""
    business = _business(business)
    current = current_opening(business)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["code", "name", "balance"])
    for account in opening_accounts(business):
        if account.code != chart.OWNER_EQUITY:
            balance = current.get(account.code)
            writer.writerow(inert_row([account.code, account.name, f"{balance:.2f}" if balance is not None else ""]))
    return out.getvalue()


def post_opening_balances(business, as_of: date_type, balances: dict, *, user=None) -> OpeningBalances:
    """``balances``: account code -> balance on the account's normal side (what you would say it
    holds: cash 3,500, payables 40,000); blank or 0 are skipped, a negative one is the other side
    (an overdrawn bank). The difference goes to owner's equity. Posting again for the same business
    reverses the earlier opening entry first (a correction is a reversal)."""
    business = _business(business)
    _check_user(user, business, "money.add_openingbalances")
    lines = opening_lines(business, balances)
    with transaction.atomic():
        previous = (OpeningBalances.objects.select_for_update(of=("self",)).filter(business=business, status=Status.POSTED)
                    .select_related("entry").first())
        try:
            if previous is not None:
                ledger.reverse(previous.entry, on=previous.as_of, user=user,
                               memo=f"Opening balances replaced ({business.name})")
                previous.status = Status.REVERSED
                previous.save(update_fields=["status"])
            opening = OpeningBalances.objects.create(business=business, as_of=as_of, created_by=user)
            opening.entry = ledger.post(business, as_of, f"Opening balances of {business.name}", lines,
                                        source=opening, user=user)
        except ledger.LedgerError as error:
            raise MoneyError(str(error)) from error
        opening.save(update_fields=["entry"])
    return opening


def current_opening(business) -> dict:
    """code -> balance on the normal side in the posted opening entry (to prefill the form)."""
    opening = (OpeningBalances.objects.filter(business=business, status=Status.POSTED).select_related("entry")
               .first())
    if opening is None:
        return {}
    result = {}
    for line in opening.entry.lines.select_related("account"):
        if line.account.code != chart.OWNER_EQUITY:
            result[line.account.code] = (line.debit - line.credit) if line.account.debit_normal else (line.credit - line.debit)
    return result
