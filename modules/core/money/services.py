"""Public surface of money: movements and manual journals (opening balances: ``opening.py``).

    from modules.core.money import services as money
    money.move(water, "bank_deposit", "12000", user=owner, reference="slip 0042")
    money.move(water, "mpesa_to_bank", "20000", charge="110", user=owner)
    money.move(water, "petty_cash", "350", category=transport, user=water_staff, note="Boda to the market")
    money.move(water, "transfer", "2000", to_business=shop, user=owner)
    money.submit_journal(water, day, "Accrue rent", [("6100", "15000", "0"), ("2000", "0", "15000")], user=accountant)

Each posts one balanced entry (cash between businesses: one in each) at once, or waits for the
owner's approval when started by someone who may not approve at or above the owner's limit
(``Limits``). Every refusal is a ``MoneyError`` (a ValidationError) with a plain message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date as date_type
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from modules.core.approvals import services as approvals
from modules.core.businesses.models import Business
from modules.core.businesses.services import can_see_business
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, LockDate

from .models import Journal, JournalDraftLine, Limits, Movement, Status

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


# --- approvals glue (the rules in module.py) ------------------------------------------------------

def movement_approved(movement, request):
    return post_movement(movement, request)


def journal_approved(journal, request):
    return post_journal(journal, request)
