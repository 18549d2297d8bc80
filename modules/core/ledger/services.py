"""Public surface of the ledger: the only way money is posted, reversed and read back."""

from dataclasses import dataclass
from datetime import date as date_type
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Subquery, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.registry import events
from modules.core.registry.refusals import Refusal

from . import chain
from .models import Account, JournalEntry, JournalLine, LockDate

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("1e12")  # the lines' numeric(14, 2)
NUMBERS = "ledger_journalentry_number_seq"
# pg_advisory_xact_lock(ACCOUNT_LOCKS + account id): taken only by postings that take money out of
# an account that may not go below zero (cash, M-Pesa), so two of them cannot both spend the same
# shilling; every other posting takes no lock at all.
ACCOUNT_LOCKS = 0x1ED6 << 40


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
    if not value.is_finite() or abs(value) >= MAX_AMOUNT:
        raise LedgerError(f"KES {value} is not an amount the books can hold")
    if value != value.quantize(CENT):
        raise LedgerError(f"KES {value} has more than two decimal places")
    return value.quantize(CENT)


def _business(business) -> Business:
    return business if isinstance(business, Business) else Business.objects.get(code=business)


def _locked_error(business: Business, locked_through: date_type) -> LedgerError:
    return LedgerError(
        f"The books of {business.name} are locked through {locked_through:%d %b %Y}. "
        f"Post this on a later date, or ask the owner to move the lock date."
    )


def check_not_locked(business: Business, on: date_type) -> None:
    lock = LockDate.objects.filter(business=business).first()
    if lock and on <= lock.locked_through:
        raise _locked_error(business, lock.locked_through)


def post(business, date: date_type, memo: str, lines: list[Line], *, source=None, user=None,
         reversal_of: JournalEntry | None = None) -> JournalEntry:
    """Post one balanced entry inside the caller's transaction.

    PostgreSQL re-checks the balance at COMMIT and refuses any later UPDATE/DELETE, so a caller
    that rolls back leaves nothing behind, and a posted entry can only be undone by reverse().
    Three queries (accounts + lock date + entry number, the entry, its lines) and no lock, except
    when money leaves an account that may not go below zero (two more: that account's lock and
    balance). The entry is sealed here and chained by the follower after it commits (chain.py).
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

    codes = {code for code, _, _ in amounts}
    # one round trip: the accounts, the lock date and the entry's number (an uncorrelated scalar
    # subquery is evaluated once, so one number is drawn however many accounts match)
    accounts = {a.code: a for a in Account.objects.filter(business=business, code__in=codes).order_by().annotate(
        locked_through=Subquery(LockDate.objects.filter(business=business).values("locked_through")[:1]),
        next_number=RawSQL("(SELECT nextval(%s))", [NUMBERS]))}
    if not accounts:
        check_not_locked(business, date)
    else:
        any_account = next(iter(accounts.values()))
        if any_account.locked_through and date <= any_account.locked_through:
            raise _locked_error(business, any_account.locked_through)
    missing = codes - set(accounts)
    if missing:
        raise LedgerError(f"{business.name} has no account {', '.join(sorted(missing))}")
    _refuse_negative(accounts, amounts)

    memo = memo[:200]
    number = next(iter(accounts.values())).next_number
    source_type, source_id = _source_key(source)
    posted_at = timezone.now()
    entry = JournalEntry.objects.create(
        business=business, number=number, date=date, memo=memo, source_type=source_type, source_id=source_id,
        reversal_of=reversal_of, created_by=user, posted_at=posted_at,
        seal=chain.seal(number=number, business_code=business.code, date=date, memo=memo,
                        reversal_of_number=reversal_of.number if reversal_of else None,
                        source=chain.source_label(source_type, source_id),
                        created_by_id=user.pk if user is not None else None, posted_at=posted_at,
                        lines=[(code, accounts[code].kind, dr, cr) for code, dr, cr in amounts]),
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
    """Money out of an account that may not go below zero: lock that account (in id order, so two
    postings never wait on each other crosswise), then read its balance, which now includes every
    committed posting that held the lock before us."""
    guarded = sorted({accounts[c].pk for c, _, cr in amounts if cr > 0 and not accounts[c].allow_negative})
    if not guarded:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s + id) FROM unnest(%s::bigint[]) AS id ORDER BY id",
                       [ACCOUNT_LOCKS, guarded])
    held = {account_id: (dr, cr) for account_id, dr, cr in
            JournalLine.objects.filter(account_id__in=guarded).values("account_id")
            .annotate(dr=Sum("debit"), cr=Sum("credit")).values_list("account_id", "dr", "cr")}
    for account in (a for a in accounts.values() if a.pk in guarded):
        dr, cr = held.get(account.pk, (ZERO, ZERO))
        balance_now = _signed(account.debit_normal, dr, cr)
        change = sum(_signed(account.debit_normal, d, c) for code, d, c in amounts if code == account.code)
        if balance_now + change < 0:
            raise LedgerError(f"{account.name} would go below zero: it holds KES {balance_now}, "
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


def balances_by_business(code: str) -> dict[int, Decimal]:
    """The balance of account ``code`` in every business that has one (business id → debits less
    credits), in one query."""
    rows = (_lines().filter(account__code=code).values("business")
            .annotate(dr=Coalesce(Sum("debit"), ZERO), cr=Coalesce(Sum("credit"), ZERO)))
    return {r["business"]: r["dr"] - r["cr"] for r in rows}


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

