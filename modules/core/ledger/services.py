"""Public surface of the ledger: the only way money is posted, reversed and read back."""

from dataclasses import dataclass
from datetime import date as date_type
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.registry import events
from modules.core.registry.refusals import Refusal

from . import chain
from .models import Account, JournalEntry, JournalLine, LockDate

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
CHAIN_LOCK = 0x1ED6E5  # pg_advisory_xact_lock key: one poster at a time extends the hash chain


class LedgerError(Refusal):
    """A posting the ledger refuses; the message is written for the person who tried it."""


@dataclass(frozen=True)
class Line:
    account: str  # account code in the entry's business, e.g. chart.CASH
    debit: Decimal = ZERO
    credit: Decimal = ZERO


def debit(account: str, amount) -> Line:
    return Line(account, debit=Decimal(amount))


def credit(account: str, amount) -> Line:
    return Line(account, credit=Decimal(amount))


def _money(value) -> Decimal:
    value = Decimal(value)
    if value != value.quantize(CENT):
        raise LedgerError(f"KES {value} has more than two decimal places")
    return value.quantize(CENT)


def _business(business) -> Business:
    return business if isinstance(business, Business) else Business.objects.get(code=business)


def check_not_locked(business: Business, on: date_type) -> None:
    lock = LockDate.objects.filter(business=business).first()
    if lock and on <= lock.locked_through:
        raise LedgerError(
            f"The books of {business.name} are locked through {lock.locked_through:%d %b %Y}. "
            f"Post this on a later date, or ask the owner to move the lock date."
        )


def post(business, date: date_type, memo: str, lines: list[Line], *, source=None, user=None,
         reversal_of: JournalEntry | None = None) -> JournalEntry:
    """Post one balanced entry inside the caller's transaction.

    PostgreSQL re-checks the balance at COMMIT and refuses any later UPDATE/DELETE, so a caller
    that rolls back leaves nothing behind, and a posted entry can only be undone by reverse().
    """
    if not connection.in_atomic_block:
        raise LedgerError("ledger.post() must run inside the caller's transaction.atomic() block")
    business = _business(business)
    amounts = [(line.account, _money(line.debit), _money(line.credit)) for line in lines]
    if len(amounts) < 2:
        raise LedgerError("An entry needs at least two lines")
    for code, dr, cr in amounts:
        if dr < 0 or cr < 0 or (dr > 0) == (cr > 0):
            raise LedgerError(f"Line {code}: give either a debit or a credit, a positive amount, not both")
    total_dr = sum(dr for _, dr, _ in amounts)
    total_cr = sum(cr for _, _, cr in amounts)
    if total_dr != total_cr:
        raise LedgerError(f"Debits KES {total_dr} and credits KES {total_cr} must be equal")
    check_not_locked(business, date)

    accounts = {a.code: a for a in Account.objects.filter(business=business, code__in={c for c, _, _ in amounts})}
    missing = {c for c, _, _ in amounts} - set(accounts)
    if missing:
        raise LedgerError(f"{business.name} has no account {', '.join(sorted(missing))}")

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    _refuse_negative(accounts, amounts)
    last = JournalEntry.objects.order_by("-number").values("number", "hash").first()
    number = last["number"] + 1 if last else 1
    previous_hash = last["hash"] if last else chain.GENESIS

    source_type, source_id = _source_key(source)
    entry = JournalEntry.objects.create(
        business=business,
        number=number,
        date=date,
        memo=memo[:200],
        source_type=source_type,
        source_id=source_id,
        reversal_of=reversal_of,
        created_by=user,
        previous_hash=previous_hash,
        hash=chain.entry_hash(
            previous_hash,
            number=number,
            business_code=business.code,
            date=date,
            memo=memo[:200],
            reversal_of_number=reversal_of.number if reversal_of else None,
            source=chain.source_label(source_type, source_id),
            lines=amounts,
        ),
    )
    JournalLine.objects.bulk_create(
        JournalLine(entry=entry, account=accounts[code], business=business, debit=dr, credit=cr)
        for code, dr, cr in amounts
    )
    events.publish("ledger.posted", business=business.code, entry_id=entry.pk)
    return entry


def _source_key(source):
    """(content type, id) of the source document: a model instance, or such a pair already."""
    if source is None:
        return None, ""
    if isinstance(source, tuple):
        return source
    return ContentType.objects.get_for_model(source), str(source.pk)


def _refuse_negative(accounts, amounts):
    for code in {c for c, _, cr in amounts if cr > 0}:
        account = accounts[code]
        if account.allow_negative:
            continue
        change = sum(_signed(account.debit_normal, dr, cr) for c, dr, cr in amounts if c == code)
        held = balance(account)
        if held + change < 0:
            raise LedgerError(f"{account.name} would go below zero: it holds KES {held}, "
                              f"this takes out KES {-change}")


@transaction.atomic
def reverse(entry: JournalEntry, *, on: date_type | None = None, memo: str = "", user=None) -> JournalEntry:
    """The only correction: a new entry with debits and credits swapped, dated on the reversal
    date and linked to the original (which is never touched). An entry is reversed at most once."""
    if entry.reversal_of_id:
        raise LedgerError(f"Entry #{entry.number} is itself a reversal; post a new entry instead")
    if JournalEntry.objects.filter(reversal_of=entry).exists():
        raise LedgerError(f"Entry #{entry.number} has already been reversed")
    lines = [Line(line.account.code, debit=line.credit, credit=line.debit)
             for line in entry.lines.select_related("account")]
    return post(entry.business, on or timezone.localdate(), memo or f"Reversal of #{entry.number}: {entry.memo}",
                lines, user=user, reversal_of=entry,
                source=(entry.source_type, entry.source_id) if entry.source_type_id else None)


# --- reading --------------------------------------------------------------------------------

def _lines(business=None, start=None, end=None):
    lines = JournalLine.objects.all()
    if business is not None:
        lines = lines.filter(business=_business(business))
    if start:
        lines = lines.filter(entry__date__gte=start)
    if end:
        lines = lines.filter(entry__date__lte=end)
    return lines


def _signed(debit_normal: bool, debits: Decimal, credits: Decimal) -> Decimal:
    return debits - credits if debit_normal else credits - debits


def balance(account: Account, *, as_of: date_type | None = None) -> Decimal:
    """Balance on the account's normal side (assets positive when debited)."""
    totals = _lines(end=as_of).filter(account=account).aggregate(
        dr=Coalesce(Sum("debit"), ZERO), cr=Coalesce(Sum("credit"), ZERO))
    return _signed(account.debit_normal, totals["dr"], totals["cr"])


def trial_balance(business=None, *, start: date_type | None = None, as_of: date_type | None = None) -> list[dict]:
    """One row per account (per account code when consolidated), with debit and credit totals."""
    rows = (_lines(business, start=start, end=as_of)
            .values("account__code", "account__kind")
            .annotate(debit=Sum("debit"), credit=Sum("credit"))
            .order_by("account__code"))
    names = dict(Account.objects.filter(**({"business": _business(business)} if business else {}))
                 .values_list("code", "name"))
    result = []
    for row in rows:
        debit_normal = row["account__kind"] in Account.DEBIT_NORMAL
        net = row["debit"] - row["credit"]
        result.append({
            "code": row["account__code"], "name": names.get(row["account__code"], ""), "kind": row["account__kind"],
            "debit": row["debit"], "credit": row["credit"],
            "balance_debit": net if net > 0 else ZERO, "balance_credit": -net if net < 0 else ZERO,
            "balance": _signed(debit_normal, row["debit"], row["credit"]),
        })
    return result


def profit_and_loss(business=None, *, start: date_type, end: date_type) -> dict:
    rows = [r for r in trial_balance(business, start=start, as_of=end) if r["kind"] in ("revenue", "expense")]
    revenue = [r for r in rows if r["kind"] == "revenue"]
    expenses = [r for r in rows if r["kind"] == "expense"]
    total_revenue = sum((r["balance"] for r in revenue), ZERO)
    total_expenses = sum((r["balance"] for r in expenses), ZERO)
    return {"revenue": revenue, "expenses": expenses, "total_revenue": total_revenue,
            "total_expenses": total_expenses, "profit": total_revenue - total_expenses}


def account_ledger(account: Account, *, start: date_type | None = None, end: date_type | None = None) -> dict:
    """Lines of one account in date order with a running balance, after the opening balance."""
    opening = ZERO
    if start:
        before = JournalLine.objects.filter(account=account, entry__date__lt=start).aggregate(
            dr=Coalesce(Sum("debit"), ZERO), cr=Coalesce(Sum("credit"), ZERO))
        opening = _signed(account.debit_normal, before["dr"], before["cr"])
    running = opening
    rows = []
    lines = (_lines(start=start, end=end).filter(account=account)
             .select_related("entry").order_by("entry__date", "entry__number", "id"))
    for line in lines:
        running += _signed(account.debit_normal, line.debit, line.credit)
        rows.append({"line": line, "entry": line.entry, "balance": running})
    return {"account": account, "opening": opening, "rows": rows, "closing": running}


def totals(business=None) -> dict:
    return _lines(business).aggregate(debit=Coalesce(Sum("debit"), ZERO), credit=Coalesce(Sum("credit"), ZERO))


def entries_for(source) -> list[JournalEntry]:
    ct = ContentType.objects.get_for_model(source)
    return list(JournalEntry.objects.filter(source_type=ct, source_id=str(source.pk)).order_by("number"))

