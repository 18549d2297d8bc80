"""The flat reports: each a ``Table`` (``tables.py``: columns + rows) built from the real records
(sales, payments, STK requests, supplier bills) and the ledger, for a list of businesses and a date
range, and the revenue chart. The admin pages render a table, the CSV download writes the same rows.
The cash-up workflow (count, approve, post the difference) and its report are ``cashup.py``.

    from modules.core.reports import services as reports
    table = reports.daily_sales([water, shop], start, end, consolidated=True)
    table.rows[0]["net"]   # Decimal

Days are Africa/Nairobi days. Sales reports count completed sales only (voided ones are out).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from modules.core.inventory import services as inventory
from modules.core.ledger import chart
from modules.core.ledger import services as ledger
from modules.core.ledger.models import Account, JournalLine
from modules.core.payments import statements
from modules.core.payments.models import Payment, StkRequest
from modules.core.purchasing.models import SupplierBill
from modules.core.sales import accounts, takings
from modules.core.sales.models import Sale, SaleLine
from modules.core.tax.models import Band

from .tables import ZERO, Column, Table, sum_rows

ALL = "All businesses"
METHOD_LABELS = {"cash": "Cash", "mpesa": "M-Pesa", "split": "Split (cash + M-Pesa)", "bank": "Bank",
                 "credit": "Credit sale (deni)", "credit_applied": "Customer credit applied"}
# chart lines, one per business in the order they are listed (never keyed by a business: any module may add one)
PALETTE = ("#0284c7", "#9333ea", "#ea580c", "#16a34a", "#db2777", "#ca8a04", "#0891b2", "#64748b")


# --- sales -------------------------------------------------------------------------------------
# Every selling document is a sale of the one sale engine (quick sales, laundry jobs, LPG, water
# deliveries, credit sales), so these reports cover all businesses; takings (money received, by any
# route) come from modules.core.sales.takings, the one definition every page uses.

def _day_span(start, end):
    tz = timezone.get_current_timezone()
    return (timezone.make_aware(datetime.combine(start, time.min), tz),
            timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz))


def _sales(businesses, start, end):
    first, after = _day_span(start, end)
    return Sale.objects.filter(business__in=businesses, status=Sale.Status.COMPLETED,
                               created_at__gte=first, created_at__lt=after)


def _revenue_by_day(businesses, start, end, field):
    """Per (business, day of ``field``): sales, gross, discount, VAT, net (revenue lines only:
    deposits are not revenue) and deposits, from the sales' lines; one query. A sale voided the day
    it was rung up is in neither (its two entries cancel out that day in the ledger)."""
    first, after = _day_span(start, end)
    revenue, deposit = Q(account=""), ~Q(account="")
    rows = (SaleLine.objects.filter(sale__business__in=businesses, **{f"sale__{field}__gte": first,
                                                                      f"sale__{field}__lt": after})
            .annotate(rung=TruncDate("sale__created_at"), undone=TruncDate("sale__voided_at"))
            .filter(Q(sale__voided_at__isnull=True) | ~Q(undone=F("rung")))
            .annotate(day=TruncDate(f"sale__{field}")).values("sale__business", "day")
            .annotate(count=Count("sale", distinct=True), gross=Sum("line_total", filter=revenue),
                      discount=Sum("discount", filter=revenue), vat=Sum("vat", filter=revenue),
                      deposits=Sum("line_total", filter=deposit))
            .order_by())
    found = {}
    for r in rows:
        gross, discount, vat = r["gross"] or ZERO, r["discount"] or ZERO, r["vat"] or ZERO
        found[(r["sale__business"], r["day"])] = {
            "count": r["count"], "gross": gross, "discount": discount, "vat": vat, "net": gross - discount - vat,
            "deposits": r["deposits"] or ZERO, "total": gross - discount + (r["deposits"] or ZERO)}
    return found


# the figure the owner looks for first (money taken) comes right after the day and business, so it
# shows on a phone before the table has to be scrolled sideways
DAILY_COLUMNS = [Column("day", "Day", "date"), Column("business", "Business"),
                 Column("taken", "Taken (KES)", "money"), Column("count", "Sales", "int"),
                 Column("total", "Sales total (KES)", "money"),
                 Column("gross", "Gross (KES)", "money"), Column("discount", "Discount (KES)", "money"),
                 Column("vat", "VAT (KES)", "money"), Column("voided", "Voided, net (KES)", "money"),
                 Column("net", "Net of VAT (KES)", "money"), Column("deposits", "Deposits (KES)", "money"),
                 Column("cash", "Cash (KES)", "money"), Column("mpesa", "M-Pesa (KES)", "money"),
                 Column("bank", "Bank (KES)", "money"), Column("credit", "Credit applied (KES)", "money")]
DAILY_SUMS = ["count", "total", "gross", "discount", "vat", "voided", "net", "deposits", "taken", "cash", "mpesa", "bank",
              "credit"]


def daily_sales(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    """Per day and business: sales rung up (count, total, gross before discount, discount, VAT), the
    net of VAT of earlier sales voided that day (negative), net of VAT = sales less voids (the
    ledger's revenue for the day), deposits taken, and the money taken by route (takings.py)."""
    table = Table(DAILY_COLUMNS)
    rung = _revenue_by_day(businesses, start, end, "created_at")
    voided = _revenue_by_day(businesses, start, end, "voided_at")
    taken = takings.by_day(businesses, start, end)
    names = {b.pk: b.name for b in businesses}
    keys = sorted(set(rung) | set(voided) | set(taken), key=lambda k: (k[1], names[k[0]]))
    by_day: dict[date, list[dict]] = {}
    for business_id, day in keys:
        sold = rung.get((business_id, day), {})
        undone = voided.get((business_id, day), {})
        money = taken.get((business_id, day), takings.empty())
        row = {"day": day, "business": names[business_id], "taken": money["total"], "count": sold.get("count", 0),
               "total": sold.get("total", ZERO), "gross": sold.get("gross", ZERO), "discount": sold.get("discount", ZERO), "vat": sold.get("vat", ZERO),
               "voided": -undone.get("net", ZERO), "net": sold.get("net", ZERO) - undone.get("net", ZERO),
               "deposits": sold.get("deposits", ZERO),
               **{route: money[route] for route in ("cash", "mpesa", "bank", "credit")}}
        by_day.setdefault(day, []).append(row)
    detail = []
    for day, rows in by_day.items():
        for row in rows:
            table.add(**row)
        detail += rows
        if consolidated and len(businesses) > 1:
            table.add("subtotal", day=day, business=ALL, **sum_rows(rows, DAILY_SUMS))
    table.add("total", day=None, business="Total", **sum_rows(detail, DAILY_SUMS))
    table.notes.append("Taken: money received that day by any route (a payment's part above what was due is "
                       "the customer's credit, taken when spent). Net of VAT: sales less voids, as in the ledger.")
    return table


def sales_by_item(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    """Quantity and amount (line totals, VAT included, before any whole-sale discount) per item or
    charge, every kind of sale included; deposits are not sales and are left out."""
    table = Table([Column("business", "Business"), Column("sku", "SKU"), Column("item", "Item"),
                   Column("quantity", "Quantity", "number"), Column("amount", "Amount (KES)", "money")])
    lines = (SaleLine.objects.filter(sale__in=_sales(businesses, start, end), account="")
             .values("sale__business__name", "item__sku", "item__name", "description")
             .annotate(quantity=Sum("quantity"), amount=Sum("line_total"))
             .order_by("sale__business__name", "-amount", "item__name", "description"))
    for line in lines:
        table.add(business=line["sale__business__name"], sku=line["item__sku"] or "",
                  item=line["description"] or line["item__name"], quantity=line["quantity"].normalize(),
                  amount=line["amount"])
    table.add("total", business="Total", **sum_rows(table.rows, ["amount"]))
    table.notes.append("Amounts are line totals before a discount given on the whole sale (see the daily summary).")
    return table


def sales_by_payment_method(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    """Sales as rung up per payment method (cash, M-Pesa, split, credit), beside the money taken per
    route (takings.py: payments applied to sales, jobs, deliveries, deposits, by cash, M-Pesa, bank
    or customer credit)."""
    table = Table([Column("business", "Business"), Column("method", "Method"), Column("sales", "Sales", "int"),
                   Column("sales_total", "Sales total (KES)", "money"), Column("taken", "Taken (KES)", "money")])
    found: dict[tuple[str, str], dict] = {}

    def slot(business, method):
        return found.setdefault((business, method), {"sales": 0, "sales_total": ZERO, "taken": ZERO})

    for s in (_sales(businesses, start, end).values("business__name", "payment_method")
              .annotate(n=Count("id"), total=Sum("total"))):
        row = slot(s["business__name"], s["payment_method"])
        row["sales"], row["sales_total"] = s["n"], s["total"]
    names = {b.pk: b.name for b in businesses}
    for (business_id, _), money in takings.by_day(businesses, start, end).items():
        for route in takings.ROUTES:
            if money[route]:
                slot(names[business_id], "credit_applied" if route == "credit" else route)["taken"] += money[route]
    keys = ["sales", "sales_total", "taken"]
    order = list(METHOD_LABELS)
    for (business, method), values in sorted(found.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))):
        table.add(business=business, method=METHOD_LABELS.get(method, method), **values)
    if consolidated and len(businesses) > 1:
        for method, label in METHOD_LABELS.items():
            rows = [v for (_, m), v in found.items() if m == method]
            if rows:
                table.add("subtotal", business=ALL, method=label, **sum_rows(rows, keys))
    table.add("total", business="Total", method="", **sum_rows(list(found.values()), keys))
    table.notes.append("A split sale is paid part in cash and part by M-Pesa: its money appears under each. A "
                       "credit sale is paid later, by any route.")
    return table


def debtors_ageing(businesses, start=None, end=None, *, consolidated: bool = False) -> Table:
    """Who owes how much on unpaid sales at the end date, by the sale's age (sales.accounts.ageing);
    the start date does not apply."""
    table = Table([Column("customer", "Customer"), Column("phone", "Phone"), Column("total", "Owed (KES)", "money")]
                  + [Column(key, f"{label} (KES)", "money") for key, label, *_ in accounts.AGES])
    rows = accounts.ageing(businesses, as_of=end)
    for row in rows:
        customer = row["customer"]
        table.add(customer=customer.name or "(no name)", phone=customer.primary_phone, total=row["total"],
                  customer_id=customer.pk, **{key: row[key] for key, *_ in accounts.AGES})
    table.add("total", customer="Total", phone="", **sum_rows(rows, ["total"] + [k for k, *_ in accounts.AGES]))
    table.notes.append("What customers owe on unpaid sales (credit sales, laundry balances, unpaid M-Pesa) at the "
                       "end date, aged from the day of the sale. The start date does not apply.")
    return table


# --- ledger reports ----------------------------------------------------------------------------

def months(start: date, end: date) -> list[tuple[date, date]]:
    """Calendar months overlapping [start, end], each clipped to the range."""
    result, first = [], start.replace(day=1)
    while first <= end:
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        result.append((max(first, start), min(last, end)))
        first = last + timedelta(days=1)
    return result


def profit_and_loss_by_month(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    """P&L from the ledger (ledger.services.profit_and_loss), one column per month (clipped to the
    range) and a total column; with ``consolidated`` the businesses' sum after them."""
    spans = months(start, end)
    keys = [f"m{a:%Y%m}" for a, _ in spans] + ["total"]
    columns = [Column("business", "Business"), Column("part", "Part", on_page=False), Column("line", "Line")]
    columns += [Column(f"m{a:%Y%m}", f"{a:%Y-%m}", "money") for a, _ in spans] + [Column("total", "Total", "money")]
    table = Table(columns)
    parts = (("revenue", "Total revenue"), ("expenses", "Total expenses"))
    everything = {part: {} for part, _ in parts}

    def emit(name, data):
        table.add("section", business=name, line="")
        totals = {}
        for part, title in parts:
            for (code, account), values in sorted(data[part].items()):
                table.add(business=name, part=title.removeprefix("Total ").capitalize(), line=f"{code} {account}",
                          **values)
            totals[part] = {k: sum((v[k] for v in data[part].values()), ZERO) for k in keys}
            table.add("subtotal", business=name, line=title, **totals[part])
        table.add("total", business=name, line="Profit",
                  **{k: totals["revenue"][k] - totals["expenses"][k] for k in keys})

    for business in businesses:
        data = {part: {} for part, _ in parts}
        for key, (a, b) in zip(keys, spans + [(start, end)]):
            report = ledger.profit_and_loss(business, start=a, end=b)
            for part, _ in parts:
                for r in report[part]:
                    for target in (data[part], everything[part]):
                        slot = target.setdefault((r["code"], r["name"]), dict.fromkeys(keys, ZERO))
                        slot[key] += r["balance"]
        emit(business.name, data)
    if consolidated and len(businesses) > 1:
        emit(ALL, everything)
    return table


def trial_balance(businesses, start=None, end=None, *, consolidated: bool = False) -> Table:
    """ledger.services.trial_balance as of ``end`` (from the first entry: the start does not apply),
    per business; consolidated: summed per account code over the businesses asked for."""
    merged: dict[str, dict] = {}
    one_column = consolidated or len(businesses) == 1  # a column repeating one name pushes Debit off a phone
    table = Table([*([] if one_column else [Column("business", "Business")]), Column("code", "Code"),
                   Column("name", "Account"), Column("debit", "Debit (KES)", "money"),
                   Column("credit", "Credit (KES)", "money")])
    for business in businesses:
        for r in ledger.trial_balance(business, as_of=end):
            if consolidated and len(businesses) > 1:
                slot = merged.setdefault(r["code"], {"name": r["name"], "net": ZERO})
                slot["net"] += r["balance_debit"] - r["balance_credit"]
            else:
                table.add(business=business.name, code=r["code"], name=r["name"], debit=r["balance_debit"],
                          credit=r["balance_credit"])
    for code, slot in sorted(merged.items()):
        net = slot["net"]
        table.add(business=ALL, code=code, name=slot["name"], debit=max(net, ZERO), credit=max(-net, ZERO))
    table.add("total", business="Total", code="", name="", **sum_rows(table.rows, ["debit", "credit"]))
    table.notes.append("Balances as of the end date, from the first entry. Debits equal credits.")
    return table


def _account_totals(businesses, code, start, end) -> dict[int, dict]:
    rows = (JournalLine.objects.filter(business__in=businesses, account__code=code, entry__date__gte=start,
                                       entry__date__lte=end)
            .values("business").annotate(dr=Coalesce(Sum("debit"), ZERO), cr=Coalesce(Sum("credit"), ZERO)))
    return {r["business"]: r for r in rows}


def _vat_by_class(businesses, start, end) -> dict[tuple[int, str], dict]:
    """Per (business, tax band): sales net of VAT and VAT charged (sales rung up in the range), and
    the VAT of sales voided in the range, from the sales' lines (deposits are outside VAT)."""
    first, after = _day_span(start, end)
    found: dict[tuple[int, str], dict] = {}
    for field, taxable_key, vat_key in (("created_at", "taxable", "charged"), ("voided_at", "taxable_voided",
                                                                               "reversed")):
        rows = (SaleLine.objects.filter(sale__business__in=businesses, account="",
                                        **{f"sale__{field}__gte": first, f"sale__{field}__lt": after})
                .values("sale__business", "band")
                .annotate(total=Sum(F("line_total") - F("discount")), vat=Sum("vat")).order_by())
        for r in rows:
            slot = found.setdefault((r["sale__business"], r["band"]), {"taxable": ZERO, "taxable_voided": ZERO,
                                                                       "charged": ZERO, "reversed": ZERO})
            slot[taxable_key] += r["total"] - r["vat"]
            slot[vat_key] += r["vat"]
    return found


def vat_summary(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    """Output VAT: credits to VAT payable (2300), less its debits (voids, VAT paid to KRA), and under
    each business the same split by VAT class (tax band) from the sales' lines, with the sales net
    of VAT of each class (zero-rated and exempt sales included, as the VAT return asks). Input VAT:
    the ledger's VAT on purchases (1300) beside the VAT on supplier bills dated in the range.
    Net payable = net output VAT - net input VAT (negative: VAT to carry forward)."""
    table = Table([Column("business", "Business"), Column("vat_class", "VAT class"),
                   Column("taxable", "Sales net of VAT (KES)", "money"),
                   Column("output", "Output VAT charged (KES)", "money"),
                   Column("output_debits", "Output VAT reversed or paid (KES)", "money"),
                   Column("input", "Input VAT in the ledger (KES)", "money"),
                   Column("bills_vat", "VAT on supplier bills (KES)", "money"),
                   Column("net", "Net VAT payable (KES)", "money")])
    output = _account_totals(businesses, chart.VAT_PAYABLE, start, end)
    inputs = _account_totals(businesses, chart.INPUT_VAT, start, end)
    bills = dict(SupplierBill.objects.filter(business__in=businesses, bill_date__gte=start, bill_date__lte=end)
                 .values("business").annotate(vat=Sum("vat")).values_list("business", "vat"))
    by_class = _vat_by_class(businesses, start, end)
    for business in businesses:
        out, inp = output.get(business.pk, {}), inputs.get(business.pk, {})
        row = {"output": out.get("cr", ZERO), "output_debits": out.get("dr", ZERO),
               "input": inp.get("dr", ZERO) - inp.get("cr", ZERO), "bills_vat": bills.get(business.pk) or ZERO}
        row["net"] = row["output"] - row["output_debits"] - row["input"]
        classes = {band: figures for (business_id, band), figures in by_class.items() if business_id == business.pk}
        row["taxable"] = sum((f["taxable"] - f["taxable_voided"] for f in classes.values()), ZERO)
        table.add(business=business.name, vat_class="All", **row)
        for band in sorted(classes):
            f = classes[band]
            table.add("detail", business=business.name, vat_class=Band(band).label,
                      taxable=f["taxable"] - f["taxable_voided"], output=f["charged"], output_debits=f["reversed"])
    if len(businesses) > 1:
        table.add("total", business=ALL, vat_class="All",
                  **sum_rows([r for r in table.rows if r["_class"] != "detail"],
                              ["taxable", "output", "output_debits", "input", "bills_vat", "net"]))
    table.notes.append("Input VAT in the ledger and VAT on supplier bills should agree; a difference is a bill "
                       "posted on another date or a manual entry.")
    table.notes.append("By class: the sales' own lines (standard, 8 %, zero-rated, exempt, non-VAT); their VAT adds "
                       "up to the ledger's output VAT unless invoices charged VAT outside a sale.")
    return table


def stock_valuation(businesses, start=None, end=None, *, consolidated: bool = False) -> Table:
    """Stock on hand now at average cost (inventory.services.valuation); the dates do not apply."""
    table = Table([Column("business", "Business"), Column("item", "Item"), Column("location", "Location"),
                   Column("quantity", "Quantity", "number"), Column("unit_cost", "Unit cost (KES)", "money"),
                   Column("value", "Value (KES)", "money")])
    grand = ZERO
    for business in businesses:
        report = inventory.valuation(business)
        for r in report["rows"]:
            table.add(business=business.name, item=r["item"].name, location=r["location"].name,
                      quantity=r["quantity"].normalize(), unit_cost=r["unit_cost"], value=r["value"])
        if report["difference"].get(business):
            table.add(business=business.name, item="Difference to the ledger (rounding)",
                      value=report["difference"][business])
        table.add("subtotal", business=business.name, item="Total (the ledger's Inventory)", value=report["books_total"])
        grand += report["books_total"]
    if len(businesses) > 1:
        table.add("total", business=ALL, item="Total (the ledger's Inventory)", value=grand)
    table.notes.append("Stock on hand now, at moving-average cost: the date range does not apply. Each total is "
                       "the ledger's Inventory balance; a difference line is the cents by which today's average "
                       "cost differs from the costs the movements were posted at.")
    return table


# --- M-Pesa reconciliation ---------------------------------------------------------------------

def _statement_rows(table: Table, business, start: date, end: date) -> None:
    """Statement vs books for one business (payments.statements.reconcile), as report rows."""
    nairobi = timezone.get_current_timezone()
    result = statements.reconcile(business, datetime.combine(start, time.min, tzinfo=nairobi),
                                  datetime.combine(end, time.max, tzinfo=nairobi))
    if not result.covered:
        table.notes.append(f"{business.name}: no imported M-Pesa statement covers the whole period. Download it from "
                           "the M-Pesa business portal and import it (Payments → M-Pesa statements).")
    for line in result.not_booked:
        table.add("issue", kind="Statement", business=business.name, day=timezone.localdate(line.completed_at),
                  reference=line.receipt, phone=line.other_party, status="Not in the books", statement=line.amount,
                  issue="In the statement, not in the books: book it to the M-Pesa inbox",
                  book=(line.statement_id, line.pk))
    for row in result.not_in_statement:
        table.add("issue" if result.covered else "", kind="Booked receipt", business=business.name,
                  day=timezone.localdate(row.transaction_time or row.created_at), reference=row.receipt or f"#{row.pk}",
                  phone=row.phone, status=row.get_state_display(), payment=row.amount,
                  issue="Booked, not in the statement" if result.covered else "")
    for row in result.amounts_differ:
        table.add("issue", kind="Booked receipt", business=business.name,
                  day=timezone.localdate(row.transaction_time or row.created_at), reference=row.receipt or f"#{row.pk}",
                  phone=row.phone, status=row.get_state_display(), payment=row.amount, issue=row.problem)
    for line in result.unposted_charges:
        table.add("issue", kind="Safaricom charge", business=business.name, day=timezone.localdate(line.completed_at),
                  reference=line.receipt, status="Not posted", statement=line.amount,
                  issue="Charge not posted yet: book the payments, then import the statement again")
    for line in result.withdrawals:
        table.add("", kind="Money out", business=business.name, day=timezone.localdate(line.completed_at),
                  reference=line.receipt, status=line.details[:60], statement=line.amount,
                  issue="Check it is in the books (a transfer, a refund)")
    if result.statement_in or result.books_in:
        table.add("subtotal", kind="Received", business=business.name, reference="Statement vs books",
                  statement=result.statement_in, payment=result.books_in,
                  issue=f"Safaricom charges KES {result.charges:,} posted as an expense" if result.charges else "")


def _mpesa_in(entry) -> Decimal | None:
    if entry is None:
        return None
    return sum((line.debit - line.credit for line in entry.lines.all() if line.account.code == chart.MPESA), ZERO)


def mpesa_reconciliation(businesses, start: date, end: date, *, consolidated: bool = False) -> Table:
    """The imported M-Pesa statements and the books compared both ways (in the statement but not
    booked: one tap books it to the inbox; booked but not in the statement, amounts that differ,
    charges not yet posted: flagged), then the books' own consistency: every STK request, every
    M-Pesa payment and every M-Pesa till debit in the range, matched request -> payment -> ledger."""
    table = Table([Column("kind", "What"), Column("business", "Business"), Column("day", "Day", "date"),
                   Column("reference", "Reference"), Column("phone", "Phone"), Column("status", "Status"),
                   Column("statement", "Statement (KES)", "money"),
                   Column("stk", "STK asked (KES)", "money"), Column("payment", "Payment (KES)", "money"),
                   Column("ledger", "M-Pesa till (KES)", "money"), Column("issue", "Issue")])
    for business in businesses:
        _statement_rows(table, business, start, end)
    lines = "journal_entry__lines__account"
    seen_payments = set()
    stk_requests = (StkRequest.objects.filter(business__in=businesses, created_at__date__gte=start,
                                              created_at__date__lte=end)
                    .select_related("business", "payment__journal_entry").prefetch_related(f"payment__{lines}")
                    .order_by("created_at"))
    for stk in stk_requests:
        payment = getattr(stk, "payment", None)  # the reverse one-to-one raises when missing
        issues = []
        amount_in = _mpesa_in(payment.journal_entry) if payment else None
        if stk.status == StkRequest.Status.SUCCESS and payment is None:
            issues.append("Paid on M-Pesa but no payment recorded")
        if stk.status == StkRequest.Status.SUCCESS and not stk.mpesa_receipt:
            issues.append("No M-Pesa receipt number")
        if payment is not None:
            seen_payments.add(payment.pk)
            if payment.amount != stk.amount:
                issues.append("Payment amount differs from the STK request")
            if amount_in != payment.amount:
                issues.append("The ledger does not show this amount on the M-Pesa till")
        table.add("issue" if issues else "", kind="STK request", business=stk.business.name,
                  day=timezone.localdate(stk.created_at), reference=stk.mpesa_receipt or stk.checkout_request_id or f"#{stk.pk}",
                  phone=stk.phone, status=stk.get_status_display(), stk=Decimal(stk.amount),
                  payment=payment.amount if payment else None, ledger=amount_in, issue="; ".join(issues))
    payments = (Payment.objects.filter(business__in=businesses, method=Payment.Method.MPESA,
                                       received_at__date__gte=start, received_at__date__lte=end)
                .exclude(pk__in=seen_payments).select_related("business", "journal_entry")
                .prefetch_related(lines).order_by("received_at"))
    for payment in payments:
        amount_in = _mpesa_in(payment.journal_entry)
        issues = [] if amount_in == payment.amount else ["The ledger does not show this amount on the M-Pesa till"]
        if not payment.mpesa_receipt:
            issues.append("No M-Pesa receipt number")
        table.add("issue" if issues else "", kind="Payment (no STK)", business=payment.business.name,
                  day=timezone.localdate(payment.received_at), reference=payment.mpesa_receipt or f"payment #{payment.pk}",
                  phone=payment.payer_phone, status="Received", stk=None, payment=payment.amount, ledger=amount_in,
                  issue="; ".join(issues))
    orphans = (JournalLine.objects.filter(business__in=businesses, account__code=chart.MPESA, debit__gt=0,
                                          entry__date__gte=start, entry__date__lte=end, entry__payment__isnull=True,
                                          # money booked to the M-Pesa inbox, or an inbox allocation undone
                                          entry__mpesa_receipt__isnull=True, entry__mpesa_allocation__isnull=True)
               .select_related("entry", "business").order_by("entry__date", "entry__number"))
    for line in orphans:
        table.add("issue", kind="Ledger entry", business=line.business.name, day=line.entry.date,
                  reference=f"#{line.entry.number} {line.entry.memo}", phone="", status="Posted", stk=None,
                  payment=None, ledger=line.debit, issue="Money on the M-Pesa till with no M-Pesa payment behind it")
    issues = sum(1 for r in table.rows if r["_class"] == "issue")
    table.notes.append(f"{issues} item(s) to check." if issues else "Everything matches.")
    return table


# --- charts ------------------------------------------------------------------------------------

def revenue_trend(businesses, start: date, end: date) -> dict:
    """Revenue per day from the ledger (revenue accounts, credits less debits, VAT excluded) from
    ``start`` to ``end``, one line (``series``) per business with its colour; the total is the daily
    sales table's net of VAT over the same days. ``charts.revenue_svg`` draws it."""
    days = (end - start).days + 1
    rows = (JournalLine.objects.filter(business__in=businesses, account__kind=Account.Kind.REVENUE,
                                       entry__date__gte=start, entry__date__lte=end)
            .values("business", "entry__date").annotate(cr=Sum("credit"), dr=Sum("debit")))
    amounts = {(r["business"], r["entry__date"]): r["cr"] - r["dr"] for r in rows}
    labels = [start + timedelta(days=i) for i in range(days)]
    series = [{"name": business.name, "colour": PALETTE[position % len(PALETTE)],
               "data": [amounts.get((business.pk, d), ZERO) for d in labels]}
              for position, business in enumerate(businesses)]
    total = sum((amounts.get((b.pk, d), ZERO) for b in businesses for d in labels), ZERO)
    return {"labels": [f"{d:%d %b}" for d in labels], "series": series, "total": total, "start": start, "end": end}


__all__ = ["Column", "Table", "daily_sales", "debtors_ageing", "sales_by_item", "sales_by_payment_method", "months",
           "profit_and_loss_by_month", "trial_balance", "vat_summary", "stock_valuation", "mpesa_reconciliation",
           "revenue_trend"]
