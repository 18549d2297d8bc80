"""Public surface of money: movements, manual journals and opening balances.

    from modules.core.money import services as money
    money.move(water, "bank_deposit", "12000", user=owner, reference="slip 0042")
    money.move(water, "mpesa_to_bank", "20000", charge="110", user=owner)
    money.move(water, "petty_cash", "350", category=transport, user=water_staff, note="Boda to the market")
    money.move(water, "transfer", "2000", to_business=shop, user=owner)
    money.submit_journal(water, day, "Accrue rent", [("6100", "15000", "0"), ("2000", "0", "15000")], user=accountant)
    money.post_opening_balances(water, as_of, {"1000": "3500", "1020": "120000", "2000": "40000"}, user=owner)

Each posts one balanced entry (cash between businesses: one in each) at once, or waits for the
owner's approval when started by someone who may not approve at or above the owner's limit
(``Limits``). Every refusal is a ``MoneyError`` (a ValidationError) with a plain message.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date as date_type
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from modules.core.approvals import services as approvals
from modules.core.businesses.models import Business
from modules.core.businesses.services import can_see_business
from modules.core.exports.safety import inert_row
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, LockDate

from .models import Journal, JournalDraftLine, Limits, Movement, OpeningBalances, Status

Kind = Movement.Kind
TILLS = {Movement.Till.CASH: chart.CASH, Movement.Till.MPESA: chart.MPESA, Movement.Till.BANK: chart.BANK}
OWNER_PERMISSION = "money.move_owner_money"  # drawings, capital and cash between businesses


class MoneyError(ValidationError):
    """A movement, journal or opening balance refused; the message says why, plainly."""


@dataclass(frozen=True)
class KindSpec:
    help: str
    owner_only: bool = False


KINDS = {
    Kind.BANK_DEPOSIT: KindSpec("Cash from the drawer paid into the bank."),
    Kind.MPESA_TO_BANK: KindSpec("M-Pesa till money sent to the bank; the charge is an expense."),
    Kind.FLOAT_IN: KindSpec("Change money the owner puts in the drawer (to be taken back)."),
    Kind.FLOAT_OUT: KindSpec("The float taken back out of the drawer."),
    Kind.PETTY_CASH: KindSpec("A small expense paid from the drawer."),
    Kind.DRAWINGS: KindSpec("Money the owner takes out for themself.", owner_only=True),
    Kind.CAPITAL: KindSpec("The owner's own money put into the business.", owner_only=True),
    Kind.TRANSFER: KindSpec("Cash from this drawer to another business's drawer.", owner_only=True),
}


def amount_of(value, what="amount", *, zero=False) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise MoneyError(f"Write the {what} as a number, like 1500 or 1500.50.") from None
    if not number.is_finite() or number < 0 or (number == 0 and not zero):
        raise MoneyError(f"The {what} must be more than 0." if not zero else f"The {what} cannot be below 0.")
    if number >= Decimal("1e12"):
        raise MoneyError(f"The {what} is too big.")
    if number != number.quantize(Decimal("0.01")):
        raise MoneyError(f"Use at most two digits after the point for the {what}.")
    return number.quantize(Decimal("0.01"))


def _business(value) -> Business:
    return value if isinstance(value, Business) else Business.objects.get(code=value)


def _check_user(user, business: Business, permission: str):
    if user is None:
        return  # trusted code: demo data, history, tests
    if not user.has_perm(permission) or not can_see_business(user, business.code):
        raise PermissionDenied(f"You cannot do this for {business.name}.")


def kinds_for(user) -> list:
    """The kinds this user may start (owner-only ones need money.move_owner_money)."""
    return [kind for kind in Kind if not KINDS[kind].owner_only or user is None or user.has_perm(OWNER_PERMISSION)]


def _needs_approval(user, business, amount, threshold) -> bool:
    return user is not None and amount >= threshold and not approvals.may_decide(user, business)


# --- movements ------------------------------------------------------------------------------------

def move(business, kind: str, amount, *, user=None, day: date_type | None = None, charge="0", till="cash",
         category: Account | None = None, to_business=None, reference: str = "", note: str = "") -> Movement:
    """Record a movement; post it now, or ask the owner first (see the module doc)."""
    business = _business(business)
    if kind not in Kind.values:
        raise MoneyError("Pick what kind of money movement this is.")
    kind = Kind(kind)
    _check_user(user, business, "money.add_movement")
    if user is not None and kind not in kinds_for(user):
        raise PermissionDenied(f"Only the owner records “{kind.label}”.")
    amount = amount_of(amount)
    charge = amount_of(charge or "0", "charge", zero=True) if kind == Kind.MPESA_TO_BANK else Decimal("0")
    if charge >= amount:
        raise MoneyError(f"The charge (KES {charge:,}) must be less than the amount sent (KES {amount:,}).")
    if kind in (Kind.DRAWINGS, Kind.CAPITAL):
        if till not in Movement.Till.values:
            raise MoneyError("Pick where the money comes from or goes: cash, M-Pesa or bank.")
    else:
        till = Movement.Till.MPESA if kind == Kind.MPESA_TO_BANK else Movement.Till.CASH
    if kind == Kind.PETTY_CASH:
        if category is None or category.business_id != business.pk or \
                not chart.expense_categories(business).filter(pk=category.pk).exists():
            raise MoneyError("Pick the expense category (rent, transport, repairs…).")
    else:
        category = None
    if kind == Kind.TRANSFER:
        if to_business is None:
            raise MoneyError("Pick the business the cash goes to.")
        to_business = _business(to_business)
        if to_business.pk == business.pk:
            raise MoneyError("Pick another business: the cash already is in this one.")
        if user is not None and not can_see_business(user, to_business.code):
            raise PermissionDenied(f"You cannot move money into {to_business.name}.")
    else:
        to_business = None
    day = day or timezone.localdate()
    if day > timezone.localdate():
        raise MoneyError("The day cannot be in the future.")
    with transaction.atomic():
        movement = Movement.objects.create(
            business=business, kind=kind, amount=amount, charge=charge, till=till, category=category,
            to_business=to_business, day=day, reference=(reference or "").strip()[:40], note=(note or "").strip()[:200],
            created_by=user)
        if _needs_approval(user, business, amount, Limits.current().movement_threshold):
            approvals.request_approval(movement, amount, user, movement.note)
        else:
            post_movement(movement, None)
    movement.refresh_from_db()
    return movement


def postings(movement: Movement) -> list[tuple[Business, list[ledger.Line]]]:
    """The entry (entries, for cash between businesses) a movement posts."""
    amount, kind = movement.amount, movement.kind
    one = {
        Kind.BANK_DEPOSIT: [ledger.debit(chart.BANK, amount), ledger.credit(chart.CASH, amount)],
        Kind.MPESA_TO_BANK: [ledger.debit(chart.BANK, amount - movement.charge)]
        + ([ledger.debit(chart.CHARGES, movement.charge)] if movement.charge else [])
        + [ledger.credit(chart.MPESA, amount)],
        Kind.FLOAT_IN: [ledger.debit(chart.CASH, amount), ledger.credit(chart.OWNER_FLOAT, amount)],
        Kind.FLOAT_OUT: [ledger.debit(chart.OWNER_FLOAT, amount), ledger.credit(chart.CASH, amount)],
        Kind.PETTY_CASH: [ledger.debit(movement.category.code if movement.category_id else "", amount),
                          ledger.credit(chart.CASH, amount)],
        Kind.DRAWINGS: [ledger.debit(chart.OWNER_DRAWINGS, amount), ledger.credit(TILLS[movement.till], amount)],
        Kind.CAPITAL: [ledger.debit(TILLS[movement.till], amount), ledger.credit(chart.OWNER_EQUITY, amount)],
        Kind.TRANSFER: [ledger.debit(chart.BETWEEN_BUSINESSES, amount), ledger.credit(chart.CASH, amount)],
    }[kind]
    entries = [(movement.business, one)]
    if kind == Kind.TRANSFER:
        entries.append((movement.to_business, [ledger.debit(chart.CASH, amount),
                                               ledger.credit(chart.BETWEEN_BUSINESSES, amount)]))
    return entries


def memo(movement: Movement) -> str:
    parts = [f"{movement.get_kind_display()} {movement.pk}"]
    if movement.kind == Kind.TRANSFER:
        parts.append(f"{movement.business.name} → {movement.to_business.name}")
    if movement.category_id:
        parts.append(movement.category.name)
    parts += [text for text in (movement.reference, movement.note) if text]
    return ": ".join(parts[:1]) + (" — " + ", ".join(parts[1:]) if parts[1:] else "")


def post_movement(movement: Movement, request=None) -> Movement:
    """Post a waiting movement (the approval's on_approved, or at once). A till that would go
    below zero refuses with the ledger's reason and nothing is posted."""
    movement = (Movement.objects.select_for_update(of=("self",))
                .select_related("business", "to_business", "category").get(pk=movement.pk))
    if movement.status != Status.PENDING:
        raise MoneyError(f"{movement} is {movement.get_status_display().lower()}: nothing to post.")
    by = (request.decided_by if request is not None else None) or movement.created_by
    entries = []
    try:
        for business, lines in postings(movement):
            entries.append(ledger.post(business, movement.day, memo(movement)[:200], lines, source=movement, user=by))
    except ledger.LedgerError as error:
        raise MoneyError(str(error)) from error
    movement.status, movement.entry = Status.POSTED, entries[0]
    movement.save(update_fields=["status", "entry"])
    return movement


@transaction.atomic
def reverse_movement(movement: Movement, *, user=None, on: date_type | None = None) -> Movement:
    """Undo a posted movement: each of its entries is reversed (the originals stay)."""
    movement = Movement.objects.select_for_update(of=("self",)).select_related("business").get(pk=movement.pk)
    _check_user(user, movement.business, "money.change_movement")
    if movement.status != Status.POSTED:
        raise MoneyError(f"{movement} is {movement.get_status_display().lower()}: only a posted movement is reversed.")
    try:
        for entry in ledger.entries_for(movement):
            if entry.reversal_of_id is None:
                ledger.reverse(entry, on=on, user=user, memo=f"Reversal of {movement.get_kind_display()} {movement.pk}")
    except ledger.LedgerError as error:
        raise MoneyError(str(error)) from error
    movement.status = Status.REVERSED
    movement.save(update_fields=["status"])
    return movement


# --- manual journals ------------------------------------------------------------------------------

def submit_journal(business, day: date_type, memo: str, lines, *, user=None) -> Journal:
    """``lines``: (account code, debit, credit) as typed. Balanced or refused with the reason;
    posted at once, or waits for the owner at or above the journal limit."""
    business = _business(business)
    _check_user(user, business, "money.add_journal")
    memo = " ".join((memo or "").split())
    if not memo:
        raise MoneyError("Say what the journal is for (the memo).")
    if not isinstance(day, date_type):
        raise MoneyError("Give the journal's day.")
    clean, errors = [], []
    accounts = {a.code: a for a in Account.objects.filter(business=business, is_active=True)}
    for number, (code, dr, cr) in enumerate(lines, start=1):
        code = str(code or "").strip().split(" ")[0]
        if not code and not str(dr or "").strip() and not str(cr or "").strip():
            continue  # an empty row of the form
        account = accounts.get(code)
        if account is None:
            errors.append(f"Line {number}: {business.name} has no account {code or '(none picked)'}.")
            continue
        try:
            debit = amount_of(dr or "0", "debit", zero=True)
            credit = amount_of(cr or "0", "credit", zero=True)
        except MoneyError as error:
            errors.append(f"Line {number}: {' '.join(error.messages)}")
            continue
        if (debit > 0) == (credit > 0):
            errors.append(f"Line {number} ({account.code} {account.name}): write a debit or a credit, not both or neither.")
            continue
        clean.append((account, debit, credit))
    if errors:
        raise MoneyError(errors)
    if len(clean) < 2:
        raise MoneyError("A journal needs at least two lines: what is debited and what is credited.")
    debits, credits = sum(d for _, d, _ in clean), sum(c for _, _, c in clean)
    if debits != credits:
        raise MoneyError(f"Debits KES {debits:,} and credits KES {credits:,} differ by KES {abs(debits - credits):,}: "
                         f"they must be equal.")
    lock = LockDate.objects.filter(business=business).first()
    if lock and day <= lock.locked_through:
        raise MoneyError(f"The books of {business.name} are locked through {lock.locked_through:%d %b %Y}: "
                         f"pick a later day.")
    with transaction.atomic():
        journal = Journal.objects.create(business=business, day=day, memo=memo[:200], total=debits, created_by=user)
        JournalDraftLine.objects.bulk_create(JournalDraftLine(journal=journal, account=a, debit=d, credit=c)
                                             for a, d, c in clean)
        if _needs_approval(user, business, debits, Limits.current().journal_threshold):
            approvals.request_approval(journal, debits, user)
        else:
            post_journal(journal, None)
    journal.refresh_from_db()
    return journal


def post_journal(journal: Journal, request=None) -> Journal:
    journal = Journal.objects.select_for_update(of=("self",)).select_related("business").get(pk=journal.pk)
    if journal.status != Status.PENDING:
        raise MoneyError(f"{journal} is {journal.get_status_display().lower()}: nothing to post.")
    by = (request.decided_by if request is not None else None) or journal.created_by
    lines = [ledger.Line(line.account.code, line.debit, line.credit) for line in journal.lines.select_related("account")]
    try:
        entry = ledger.post(journal.business, journal.day, f"Journal {journal.pk}: {journal.memo}"[:200], lines,
                            source=journal, user=by)
    except ledger.LedgerError as error:
        raise MoneyError(str(error)) from error
    journal.status, journal.entry = Status.POSTED, entry
    journal.save(update_fields=["status", "entry"])
    return journal


@transaction.atomic
def reverse_journal(journal: Journal, *, user=None, on: date_type | None = None) -> Journal:
    journal = Journal.objects.select_for_update(of=("self",)).select_related("business", "entry").get(pk=journal.pk)
    _check_user(user, journal.business, "money.add_journal")
    if journal.status != Status.POSTED:
        raise MoneyError(f"{journal} is {journal.get_status_display().lower()}: only a posted journal is reversed.")
    try:
        ledger.reverse(journal.entry, on=on, user=user, memo=f"Reversal of journal {journal.pk}: {journal.memo}"[:200])
    except ledger.LedgerError as error:
        raise MoneyError(str(error)) from error
    journal.status = Status.REVERSED
    journal.save(update_fields=["status"])
    return journal


# --- opening balances -----------------------------------------------------------------------------

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


# --- approvals glue (the rules in module.py) ------------------------------------------------------

def movement_approved(movement, request):
    return post_movement(movement, request)


def journal_approved(journal, request):
    return post_journal(journal, request)
