"""The M-Pesa business portal's CSV statement: import it, and reconcile it with the books both ways.

The portal writes a few heading lines ("Account Holder:", "Short Code:", "Time Period:" …) and then
a table whose columns include ``Receipt No.``, ``Completion Time``, ``Details``, ``Transaction
Status``, ``Paid In``, ``Withdrawn`` and ``Balance`` (also ``Initiation Time``, ``Reason Type``,
``Other Party Info``, ``A/C No.`` …, read when present). Only completed lines count.

Importing is idempotent (a line is kept once per receipt and kind, however many overlapping
statements bring it). Each money-in line is matched to the receipt booked under its number (a
typed code is thereby confirmed; a different amount is flagged), or to an STK payment STK Query
settled without a number (same amount, phone and time); Safaricom's charges are posted as an
expense. What the books lack is left for a one-tap "book to the inbox" (``book_line``).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from modules.core.ledger import chart
from modules.core.ledger import services as ledger

from . import receipts
from .accounts import MPESA_CHARGES
from .daraja import NAIROBI, receipt_number
from .models import MpesaReceipt, Statement, StatementLine
from modules.core.customers.phones import phone_in_text

REQUIRED = ("Receipt No.", "Completion Time", "Details", "Transaction Status", "Paid In", "Withdrawn", "Balance")
TIME_FORMATS = ("%d-%m-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M:%S",
                "%d-%m-%Y %H:%M")
MAX_BYTES = 5 * 1024 * 1024
MAX_LINES = 100_000
ACCOUNT_IN_DETAILS = re.compile(r"Acc\.\s*(\S+)")


@dataclass
class Line:
    number: int  # line in the file, for messages
    receipt: str
    completed_at: datetime
    details: str
    kind: str
    amount: Decimal
    balance: Decimal | None
    other_party: str = ""
    account: str = ""

    @property
    def phone_seen(self) -> str:
        """The payer's number as the statement shows it (masked, e.g. 2547*****678), or ''."""
        return phone_in_text(self.other_party or self.details)


def _money(text: str, where: str) -> Decimal:
    text = (text or "").replace(",", "").strip()
    if not text:
        return Decimal("0")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{where}: {text[:20]!r} is not an amount.") from None
    if not value.is_finite() or abs(value) > Decimal("999999999"):
        raise ValidationError(f"{where}: {text[:20]!r} is not an amount.")
    return abs(value).quantize(Decimal("0.01"))


def _when(text: str, where: str) -> datetime:
    text = (text or "").strip()
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=NAIROBI)
        except ValueError:
            continue
    raise ValidationError(f"{where}: {text[:25]!r} is not a date and time like 20-11-2026 10:15:00.")


def parse(data: bytes) -> tuple[list[Line], dict]:
    """The completed lines of a portal statement, oldest first, and its heading values. A file that
    is not such a statement is refused with a message saying what is wrong (ValidationError)."""
    if len(data) > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: export a shorter period.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    rows = csv.reader(io.StringIO(text))
    heading, header = {}, None
    try:
        for row in rows:
            cells = [cell.strip() for cell in row]
            if "Receipt No." in cells:
                header = cells
                break
            if len(cells) >= 2 and cells[0].endswith(":"):
                heading[cells[0].rstrip(":")] = cells[1]
        if header is None:
            raise ValidationError("This is not an M-Pesa statement: no 'Receipt No.' column. Export the statement "
                                  "as CSV from the M-Pesa business portal.")
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise ValidationError(f"The statement lacks the column(s) {', '.join(missing)}.")
        at = {name: header.index(name) for name in header if name}
        lines = []
        for number, row in enumerate(rows, start=rows.line_num + 1):
            if not any(cell.strip() for cell in row):
                continue
            if len(lines) >= MAX_LINES:
                raise ValidationError(f"More than {MAX_LINES:,} lines: export a shorter period.")
            line = _line(row, at, number)
            if line is not None:
                lines.append(line)
    except csv.Error as error:
        raise ValidationError(f"The file could not be read as CSV: {error}.") from None
    # oldest first; at the same second a payment comes before its charge (the file is newest first)
    return sorted(lines, key=lambda line: (line.completed_at, line.kind != StatementLine.Kind.PAYMENT,
                                           -line.number)), heading


def _line(row, at, number) -> Line | None:
    def cell(name):
        index = at.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    where = f"Line {number}"
    if cell("Transaction Status").lower() != "completed":
        return None
    try:
        receipt = receipt_number(cell("Receipt No."))
    except ValueError:
        raise ValidationError(f"{where}: {cell('Receipt No.')[:25]!r} is not an M-Pesa receipt number.") from None
    paid_in, withdrawn = _money(cell("Paid In"), where), _money(cell("Withdrawn"), where)
    if paid_in and withdrawn:
        raise ValidationError(f"{where}: money both paid in and withdrawn.")
    if not paid_in and not withdrawn:
        return None
    details = cell("Details")[:255]
    reason = cell("Reason Type")
    if paid_in:
        kind = StatementLine.Kind.PAYMENT
    elif "charge" in f"{details} {reason}".lower():
        kind = StatementLine.Kind.CHARGE
    else:
        kind = StatementLine.Kind.WITHDRAWAL
    balance = cell("Balance")
    account = cell("A/C No.") or (m.group(1) if (m := ACCOUNT_IN_DETAILS.search(details)) else "")
    return Line(number=number, receipt=receipt, completed_at=_when(cell("Completion Time"), where), details=details,
                kind=kind, amount=paid_in or withdrawn, balance=_money(balance, where) if balance else None,
                other_party=cell("Other Party Info")[:120], account=account[:40])


@dataclass
class ImportResult:
    statement: Statement
    new: int = 0
    matched: int = 0
    not_booked: list = field(default_factory=list)  # StatementLines for the one-tap booking
    charges_posted: Decimal = Decimal("0")


@transaction.atomic
def import_statement(business, data: bytes, *, file_name: str = "", user=None) -> ImportResult:
    """Read a statement into the business's books (see the module docstring)."""
    lines, heading = parse(data)
    if not lines:
        raise ValidationError("The statement has no completed lines.")
    closing = heading.get("Closing Balance")
    statement = Statement.objects.create(
        business=business, shortcode=re.sub(r"\D", "", heading.get("Short Code", ""))[:10],
        starts=lines[0].completed_at, ends=lines[-1].completed_at, file_name=file_name[:120], lines_read=len(lines),
        closing_balance=_money(closing, "Closing Balance") if closing else None, imported_by=user)
    result = ImportResult(statement)
    for line in lines:
        row, created = StatementLine.objects.get_or_create(
            business=business, receipt=line.receipt, kind=line.kind, defaults={
                "statement": statement, "completed_at": line.completed_at, "details": line.details,
                "amount": line.amount, "balance": line.balance, "other_party": line.other_party,
                "account": line.account})
        result.new += created
        if line.kind == StatementLine.Kind.PAYMENT and row.mpesa_receipt_id is None:
            booked = _match(business, line)
            if booked is not None:
                row.mpesa_receipt = booked
                row.save(update_fields=["mpesa_receipt"])
                result.matched += 1
            else:
                result.not_booked.append(row)
        elif line.kind == StatementLine.Kind.CHARGE and row.journal_entry_id is None:
            result.charges_posted += _post_charge(row, user)
    statement.lines_new = result.new
    statement.save(update_fields=["lines_new"])
    return result


def _match(business, line: Line) -> MpesaReceipt | None:
    """The receipt booked for a money-in line: by its number, else an STK payment settled by STK
    Query (no number yet) of the same amount, payer and time, which then learns the number."""
    known = receipts.by_receipt(line.receipt, lock=True)
    if known is not None:
        if known.business_id == business.pk:
            receipts.confirm(known, amount=line.amount, transaction_time=line.completed_at,
                             account_reference=line.account)
            return known
        return None
    row = receipts.claim_unnumbered(business, receipt=line.receipt, amount=line.amount, when=line.completed_at,
                                    payer=line.phone_seen)
    if row is not None:
        receipts.confirm(row, amount=line.amount)
    return row


def _post_charge(row: StatementLine, user) -> Decimal:
    """Safaricom's charge: Dr M-Pesa charges / Cr M-Pesa till, once per line. Left for later (and
    shown in the reconciliation) when the till has not yet the money in the books to pay it."""
    try:
        with transaction.atomic():
            row.journal_entry = ledger.post(row.business, timezone.localdate(), f"M-Pesa charge {row.receipt}", [
                ledger.debit(MPESA_CHARGES, row.amount), ledger.credit(chart.MPESA, row.amount)], source=row, user=user)
            row.save(update_fields=["journal_entry"])
    except ledger.LedgerError:
        return Decimal("0")
    return row.amount


@transaction.atomic
def book_line(line: StatementLine, *, user=None) -> MpesaReceipt:
    """One tap from the reconciliation: money the statement shows and the books lack goes to the
    inbox (and is matched, as a C2B payment would be)."""
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.kind != StatementLine.Kind.PAYMENT:
        raise ValidationError("Only money paid in can be booked to the inbox.")
    if line.mpesa_receipt_id:
        raise ValidationError(f"{line.receipt} is already in the books.")
    known = receipts.by_receipt(line.receipt, lock=True)
    if known is not None:
        raise ValidationError(f"{line.receipt} is already in the books ({known.business}).")
    seen = line.other_party or line.details
    phone = phone_in_text(seen)
    row = receipts.book_unallocated(
        line.business, amount=line.amount, source=MpesaReceipt.Source.STATEMENT, receipt=line.receipt,
        memo=f"M-Pesa {line.receipt} from the statement: {line.details}", transaction_time=line.completed_at,
        phone=phone if "*" not in phone else "",
        payer_name=(seen.split(" - ", 1)[1] if " - " in seen else "")[:80].split(" Acc.")[0],
        account_reference=line.account, confirmed_at=timezone.now())
    line.mpesa_receipt = row
    line.save(update_fields=["mpesa_receipt"])
    receipts.match(row, user=user)
    return row


def post_pending_charges(business, *, user=None) -> Decimal:
    """Charges left unposted at import (the till was short in the books then)."""
    lines = StatementLine.objects.filter(business=business, kind=StatementLine.Kind.CHARGE, journal_entry__isnull=True)
    return sum((_post_charge(line, user) for line in lines), Decimal("0"))


@dataclass
class Reconciliation:
    """Statement and books compared both ways for a business and period."""

    not_booked: list  # StatementLines paid in that no receipt in the books matches
    not_in_statement: list  # MpesaReceipts booked in the period that no statement line confirms
    amounts_differ: list  # MpesaReceipts whose amount M-Pesa reported differently
    unposted_charges: list  # StatementLines (charges) not yet posted
    withdrawals: list  # other money out, for the accountant to check
    statement_in: Decimal
    books_in: Decimal
    charges: Decimal
    covered: bool  # whether an imported statement covers the whole period

    @property
    def issues(self) -> int:
        return (len(self.not_booked) + len(self.not_in_statement) + len(self.amounts_differ)
                + len(self.unposted_charges))


def reconcile(business, start: datetime, end: datetime) -> Reconciliation:
    """Statement lines vs booked receipts between ``start`` and ``end`` (aware datetimes)."""
    lines = list(StatementLine.objects.filter(business=business, completed_at__range=(start, end))
                 .select_related("mpesa_receipt").order_by("completed_at"))
    payments = [line for line in lines if line.kind == StatementLine.Kind.PAYMENT]
    in_period = Q(transaction_time__range=(start, end)) | Q(transaction_time__isnull=True, created_at__range=(start, end))
    booked = list(MpesaReceipt.objects.filter(in_period, business=business)
                  .exclude(state=MpesaReceipt.State.NEVER_ARRIVED).order_by("created_at"))
    confirmed = {line.mpesa_receipt_id for line in payments if line.mpesa_receipt_id}
    covered = Statement.objects.filter(business=business, starts__lte=start + timedelta(days=1),
                                       ends__gte=end - timedelta(days=1)).exists()
    return Reconciliation(
        not_booked=[line for line in payments if line.mpesa_receipt_id is None],
        not_in_statement=[row for row in booked if row.pk not in confirmed],
        amounts_differ=[row for row in booked if row.problem],
        unposted_charges=[line for line in lines if line.kind == StatementLine.Kind.CHARGE
                          and line.journal_entry_id is None],
        withdrawals=[line for line in lines if line.kind == StatementLine.Kind.WITHDRAWAL],
        statement_in=sum((line.amount for line in payments), Decimal("0")),
        books_in=sum((row.amount for row in booked), Decimal("0")),
        charges=sum((line.amount for line in lines if line.kind == StatementLine.Kind.CHARGE), Decimal("0")),
        covered=covered)
