"""A month of M-Pesa across the three businesses, against gunicorn, an RQ worker and the simulator,
then the month's statements imported and reconciled: are the books the statement, to the shilling?

    .venv/bin/python ops/services.py exec --instance bench -- .venv/bin/python ops/bench/mpesa_month.py
        [--days 30] [--per-day 12] [--seed 13]

Each business sells ``per-day`` receipts a day for ``days`` days (invoices of KES 50–3,000; the
simulated clock is compressed: the month is replayed as fast as the stack takes it). 60 % are paid
by M-Pesa, 30 % of those to the till or paybill from the customer's own phone (C2B, no STK); of the
STK pushes 2 % lose their callback (STK Query tells), 1 % are paid after the business gave up
waiting, 0.5 % get a wrong PIN and are paid on the seller's retry. A few strangers pay a number
for nothing (no possible match). The owner then works the M-Pesa inbox (taps the suggestion, or
picks the right document when several fit), imports the three statements from the simulator's
business portal and reads the reconciliation.

Water and the laundry take paybills, the shop a Buy Goods till; their numbers are new each run,
so a run's statements hold that run's money only. Gunicorn (2 sync workers, the app's DB role) and
one RQ worker serve on 127.0.0.1:8431; give-up is shortened to 15 s (MPESA_GIVE_UP_SECONDS) so the
late payments arrive within minutes, not hours.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(ROOT / "ops")]
PORT = 8431
BASE = f"http://127.0.0.1:{PORT}"
SETTINGS = {
    "MPESA_BASE_URL": f"{BASE}/simulator/daraja", "MPESA_CALLBACK_BASE_URL": BASE,
    "MPESA_CALLBACK_TOKEN": "bench-callback-token-0123456789abcdef", "MPESA_SIMULATOR_DELAY": "0.5",
    "MPESA_GIVE_UP_SECONDS": "15", "MPESA_SIMULATOR_AFTER_GIVE_UP_SECONDS": "25", "MPESA_HTTP_TIMEOUT": "10",
    "TZ": "Africa/Nairobi",
}
M_PESA, TILL, LOST, LATE, WRONG_PIN, STRANGERS = 0.60, 0.30, 0.02, 0.01, 0.005, 0.003


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.dev")
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ.update(SETTINGS)
    import django

    django.setup()


def start(command: list[str]) -> subprocess.Popen:
    from services import APP_ROLE, with_user

    env = {**os.environ}
    owner_url = os.environ.get("DATABASE_OWNER_URL")
    if owner_url:  # embedded: serve as the app role, as production does
        env["DATABASE_URL"] = with_user(owner_url, APP_ROLE)
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL)


def numbers(rng) -> dict:
    """New paybills for water and the laundry, a new till for the shop."""
    from modules.core.businesses.models import Business
    from modules.core.payments.models import MpesaSetting

    made = {}
    for code, kind in (("water", "paybill"), ("laundry", "paybill"), ("shop", "till")):
        business = Business.objects.get(code=code)
        shortcode = str(rng.randrange(400000, 999999))
        till = str(rng.randrange(5000000, 9999999)) if kind == "till" else ""
        MpesaSetting.objects.update_or_create(business=business, defaults={
            "kind": kind, "shortcode": shortcode, "till_number": till, "passkey": f"bench-{shortcode}",
            "reject_unknown_accounts": False})
        made[code] = {"business": business, "number": till or shortcode, "kind": kind}
    return made


class Phones:
    """Distinct customer phones (2547…), ending as the simulator's scenario needs."""

    def __init__(self):
        self.made = 0

    def ending(self, last: str) -> str:
        self.made += 1
        middle = 8 - len(last)
        return f"2547{self.made % 10**middle:0{middle}d}{last}"


def c2b(session, token, number, kind, amount, phone, account=""):
    answer = session.post(f"{BASE}/simulator/daraja/mpesa/c2b/v1/simulate", timeout=30, headers={
        "Authorization": f"Bearer {token}"}, json={
        "ShortCode": number, "CommandID": "CustomerBuyGoodsOnline" if kind == "till" else "CustomerPayBillOnline",
        "Amount": int(amount), "Msisdn": phone, "BillRefNumber": account})
    answer.raise_for_status()
    return answer.json()["TransID"]


def month(args, made, rng) -> dict:
    """Sell, ask for M-Pesa, pay to the till; returns what the bench expects (its ground truth)."""
    import requests

    from modules.core.payments import services as payments
    from modules.core.payments.daraja import get_client
    from modules.core.payments.models import StkRequest

    phones, truth = Phones(), {"till": {}, "strangers": [], "wrong_pin": [], "late": [], "lost": [],
                               "stk": [], "cash": 0, "documents": []}
    session, token = requests.Session(), get_client().access_token()
    stop = threading.Event()

    def scheduler():  # what `rqcron` does every 15 s, more often here: queries, give-ups, re-sends
        while not stop.wait(1.0):
            payments.reconcile_pending()

    threading.Thread(target=scheduler, daemon=True).start()
    try:
        for _ in range(args.days):
            for code, setup in made.items():
                for _ in range(args.per_day):
                    amount = Decimal(rng.randrange(50, 3001))
                    walk_in = rng.random() < 0.2
                    phone = phones.ending(str(rng.choice("0789")))
                    bill = payments.issue_invoice(setup["business"], description="Bench sale", amount=amount,
                                                  customer_phone="" if walk_in else phone)
                    truth["documents"].append(bill.pk)
                    if rng.random() >= M_PESA:
                        payments.record_payment(bill, method="cash", amount=amount)
                        truth["cash"] += 1
                    elif rng.random() < TILL:
                        typed = setup["kind"] == "paybill" and rng.random() < 0.7
                        receipt = c2b(session, token, setup["number"], setup["kind"], amount, phone,
                                      bill.payable_reference if typed else "")
                        truth["till"][receipt] = bill.pk
                    else:
                        roll = rng.random()
                        kind, ending = (("lost", "114") if roll < LOST else ("late", "777") if roll < LOST + LATE
                                        else ("wrong_pin", "202") if roll < LOST + LATE + WRONG_PIN else ("stk", "0"))
                        request = payments.ask_mpesa(bill, phones.ending(ending))
                        truth[kind].append(request.pk)
                if rng.random() < STRANGERS * args.per_day:
                    truth["strangers"].append(c2b(session, token, setup["number"], setup["kind"],
                                                  rng.randrange(50, 500), phones.ending("9")))
        retried = set()
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # the sellers retry a wrong PIN; then wait for every answer
            for request in StkRequest.objects.filter(pk__in=truth["wrong_pin"], result_code="2001"):
                if request.pk not in retried:
                    payments.ask_mpesa(request.document, request.phone)
                    retried.add(request.pk)
            if not StkRequest.objects.filter(status__in=StkRequest.MAY_STILL_PAY).exists() and (
                    StkRequest.objects.filter(pk__in=truth["late"], status="paid_late").count() == len(truth["late"])):
                break
            time.sleep(1)
        truth["retried"] = len(retried)
    finally:
        stop.set()
    time.sleep(3)  # the last C2B confirmations
    return truth


def work_the_inbox(made, truth) -> Counter:
    """The owner's taps: the suggestion when it is the right one, the right document when several
    fit; what nothing matches stays."""
    from modules.core.payments import receipts
    from modules.core.payments import services as payments
    from modules.core.payments.models import Invoice, MpesaReceipt

    owner, taps = None, Counter()
    right = {receipt: Invoice.objects.get(pk=pk) for receipt, pk in truth["till"].items()}
    for row in MpesaReceipt.objects.filter(business__in=[m["business"] for m in made.values()],
                                           state=MpesaReceipt.State.UNALLOCATED):
        wanted = right.get(row.receipt) or (row.stk_request.document if row.stk_request_id else None)
        if wanted is None:
            taps["left (no possible match)"] += 1 if not receipts.candidates(row) else 0
            taps["left (matches exist)"] += 1 if receipts.candidates(row) else 0
            continue
        if payments.amount_due(wanted) <= 0:
            taps["left (matches exist)"] += 1
            continue
        taps["one tap: the suggestion" if row.suggested == wanted else "one tap: picked among several"] += 1
        payments.allocate_to_document(row, wanted, user=owner)
    return taps


def statements(made, started) -> dict:
    """Download each number's statement from the simulator's portal, import it, book what is missing."""
    import requests
    from django.conf import settings
    from django.utils import timezone

    from modules.core.payments import statements as portal
    from modules.core.payments.models import StatementLine

    figures = {}
    for code, setup in made.items():
        answer = requests.get(f"{BASE}/simulator/daraja/portal/statement", timeout=120, params={
            "shortcode": setup["number"], "start": str(timezone.localdate(started)), "end": str(timezone.localdate())},
            auth=(settings.MPESA_CONSUMER_KEY, settings.MPESA_CONSUMER_SECRET))
        answer.raise_for_status()
        result = portal.import_statement(setup["business"], answer.content, file_name=f"{code}.csv")
        booked_now = len(result.not_booked)
        for line in result.not_booked:
            portal.book_line(line)
        lines = StatementLine.objects.filter(statement=result.statement)
        figures[code] = {
            "statement_in": sum((line.amount for line in lines if line.kind == "payment"), Decimal("0")),
            "charges": sum((line.amount for line in lines if line.kind == "charge"), Decimal("0")),
            "closing": result.statement.closing_balance, "booked_from_statement": booked_now,
            "lines": result.statement.lines_read}
    return figures


def books(made, started, before) -> dict:
    from django.db.models import Count

    from modules.core.ledger import chart
    from modules.core.ledger import services as ledger
    from modules.core.ledger.models import Account
    from modules.core.payments.models import MpesaReceipt, Payment

    figures = {}
    for code, setup in made.items():
        rows = MpesaReceipt.objects.filter(business=setup["business"], created_at__gte=started).exclude(
            state=MpesaReceipt.State.NEVER_ARRIVED)
        standing = Payment.objects.filter(business=setup["business"], received_at__gte=started, method="mpesa")
        doubled = (standing.exclude(allocations__kind__in=("reversal", "never_arrived")).exclude(mpesa_receipt=None)
                   .values("mpesa_receipt").annotate(n=Count("pk")).filter(n__gt=1).count())
        till = Account.objects.get(business=setup["business"], code=chart.MPESA)
        figures[code] = {
            "books_in": sum((row.amount for row in rows), Decimal("0")),
            "receipts": rows.count(), "no_number": rows.filter(receipt=None).count(), "doubled": doubled,
            "unallocated": rows.filter(state=MpesaReceipt.State.UNALLOCATED).count(),
            "till_change": ledger.balance(till) - before[code]}
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=12, help="receipts per business and day")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command
    from django.utils import timezone

    from modules.core.ledger import chart
    from modules.core.ledger import services as ledger
    from modules.core.ledger.models import Account
    from modules.core.payments import c2b
    from modules.core.payments.models import MpesaSetting
    from services import wait_for_http

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    rng = random.Random(args.seed)
    made = numbers(rng)
    before = {code: ledger.balance(Account.objects.get(business=m["business"], code=chart.MPESA))
              for code, m in made.items()}
    gunicorn = start([sys.executable, "-m", "gunicorn", "--pythonpath", "site", "backoffice.wsgi", "--bind",
                      f"127.0.0.1:{PORT}", "--workers", "2", "--timeout", "60", "--log-level", "warning"])
    worker = start([sys.executable, "manage.py", "rqworker", "default"])
    started, clock = timezone.now(), time.monotonic()
    try:
        wait_for_http(f"{BASE}/health/")
        for setting in MpesaSetting.objects.filter(business__in=[m["business"] for m in made.values()]):
            c2b.register(setting)  # what the owner's "Register C2B URLs" does
        truth = month(args, made, rng)
        selling = time.monotonic() - clock
        taps = work_the_inbox(made, truth)
        portal = statements(made, started)
        booked = books(made, started, before)
    finally:
        for process in (worker, gunicorn):
            process.terminate()
            process.wait(timeout=30)
    report(args, truth, taps, portal, booked, selling, time.monotonic() - clock)
    return 0


def report(args, truth, taps, portal, booked, selling, total):
    from modules.core.payments.models import StkRequest

    stk = StkRequest.objects.filter(pk__in=truth["stk"] + truth["lost"] + truth["late"] + truth["wrong_pin"])
    lost_by_query = StkRequest.objects.filter(pk__in=truth["lost"], settled_by="query", status="success").count()
    late = StkRequest.objects.filter(pk__in=truth["late"], status="paid_late").count()
    documents = len(truth["documents"])
    print(f"\nSimulated month: {args.days} days x {args.per_day} receipts x 3 businesses = {documents} receipts, "
          f"replayed in {selling:.0f} s (all phases {total:.0f} s)\n")
    print("| what | count |\n|---|---:|")
    for label, value in (
            ("receipts paid in cash", truth["cash"]),
            ("paid by STK push", stk.count()),
            ("  callback lost, settled by STK Query", f"{lost_by_query} of {len(truth['lost'])}"),
            ("  paid after the give-up: booked to the inbox", f"{late} of {len(truth['late'])}"),
            ("  wrong PIN, paid on the seller's retry", f"{truth['retried']} of {len(truth['wrong_pin'])}"),
            ("paid to the till or paybill (C2B, no STK)", len(truth["till"])),
            ("strangers paying for nothing", len(truth["strangers"])),
            *((f"inbox: {label}", count) for label, count in sorted(taps.items()))):
        print(f"| {label} | {value} |")
    print("\n| business | statement in (KES) | books in (KES) | difference | charges | statement closing | "
          "till in the books (change) | booked from the statement | receipts without a number | double-booked | "
          "unallocated left |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    totals = Counter()
    for code in portal:
        p, b = portal[code], booked[code]
        difference = b["books_in"] - p["statement_in"]
        print(f"| {code} | {p['statement_in']:,.2f} | {b['books_in']:,.2f} | {difference:,.2f} | {p['charges']:,.2f} | "
              f"{p['closing']:,.2f} | {b['till_change']:,.2f} | {p['booked_from_statement']} | {b['no_number']} | "
              f"{b['doubled']} | {b['unallocated']} |")
        for key in ("statement_in", "charges", "closing", "booked_from_statement"):
            totals[key] += p[key]
        for key in ("books_in", "till_change", "no_number", "doubled", "unallocated"):
            totals[key] += b[key]
    print(f"| **all** | {totals['statement_in']:,.2f} | {totals['books_in']:,.2f} | "
          f"{totals['books_in'] - totals['statement_in']:,.2f} | {totals['charges']:,.2f} | {totals['closing']:,.2f} | "
          f"{totals['till_change']:,.2f} | {totals['booked_from_statement']} | {totals['no_number']} | "
          f"{totals['doubled']} | {totals['unallocated']} |")
    ok = (totals["books_in"] == totals["statement_in"] and totals["doubled"] == 0
          and totals["till_change"] == totals["closing"]
          and totals["unallocated"] == taps["left (no possible match)"] == len(truth["strangers"]))
    print(f"\nBooks = statement to the shilling, nothing double-booked, only the unmatchable left: "
          f"{'yes' if ok else 'NO'}")


if __name__ == "__main__":
    raise SystemExit(main())
