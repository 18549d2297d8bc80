"""Time to post 10,000 ledger entries, beside a plain-insert baseline measured in the same run.

    .venv/bin/python ops/services.py exec --instance bench -- .venv/bin/python ops/bench/ledger_posting.py [N]

Runs on a throw-away database (bench_ledger, dropped at the end). Each entry is a VAT-inclusive
cash sale (3 lines) posted in its own transaction, as the quick sale will: balance trigger,
append-only triggers and the entry's seal included; then the chain follower links them all and
verify_ledger checks them. The baseline inserts the same rows
(1 header + 3 lines) into unconstrained tables with raw SQL, one transaction each.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "site"), str(ROOT)]
BENCH_DB = "bench_ledger"


def main(n: int) -> None:
    import psycopg

    superuser_url = os.environ.get("DATABASE_SUPERUSER_URL") or os.environ["DATABASE_URL"]
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}"')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    path_start = superuser_url.index("/", superuser_url.index("://") + 3)
    query = superuser_url[superuser_url.index("?"):] if "?" in superuser_url else ""
    os.environ["DATABASE_URL"] = superuser_url[:path_start] + "/" + BENCH_DB + query
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.test")
    os.environ["LEDGER_ANCHOR_DIR"] = tempfile.mkdtemp(prefix="bench-anchors-")  # a throw-away chain's head
    try:
        run(n)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(superuser_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def run(n: int) -> None:
    import django

    django.setup()
    from datetime import date
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection, transaction

    from modules.core.ledger import chain, chart
    from modules.core.ledger import services as ledger

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    with transaction.atomic():
        ledger.post("water", date(2026, 1, 1), "Opening cash",
                    [ledger.debit(chart.CASH, "1000000"), ledger.credit(chart.OWNER_EQUITY, "1000000")])
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_entry (id bigserial PRIMARY KEY, date date, memo text, hash text)")
        cursor.execute("CREATE TABLE bench_line (id bigserial PRIMARY KEY, entry_id bigint, account text,"
                       " debit numeric(14,2), credit numeric(14,2))")

    def baseline():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_entry (date, memo, hash) VALUES ('2026-11-20', 'Sale', 'x') RETURNING id")
            entry = cursor.fetchone()[0]
            cursor.executemany("INSERT INTO bench_line (entry_id, account, debit, credit) VALUES (%s, %s, %s, %s)",
                               [(entry, "1000", "116.00", "0"), (entry, "4000", "0", "100.00"),
                                (entry, "2300", "0", "16.00")])

    def post():
        with transaction.atomic():
            ledger.post("water", date(2026, 11, 20), "Sale", [
                ledger.debit(chart.CASH, Decimal("116.00")), ledger.credit(chart.SALES, Decimal("100.00")),
                ledger.credit(chart.VAT_PAYABLE, Decimal("16.00"))])

    from modules.core.ledger.models import JournalEntry

    expected = JournalEntry.objects.count() + n  # the demo's own entries are chained with them
    rows = []
    for name, action in [("plain insert (baseline)", baseline), ("ledger.post", post)]:
        timings = []
        started = time.perf_counter()
        for _ in range(n):
            t = time.perf_counter()
            action()
            timings.append(time.perf_counter() - t)
        total = time.perf_counter() - started
        timings.sort()
        rows.append((name, total, n / total, statistics.median(timings) * 1000, timings[int(n * 0.95)] * 1000))

    started = time.perf_counter()
    linked = chain.extend(full=True).linked
    follow_seconds = time.perf_counter() - started
    started = time.perf_counter()
    problems, count = chain.verify(anchors_to_check=[])
    verify_seconds = time.perf_counter() - started
    assert not problems and linked == count == expected, (problems, linked, count, expected)

    print(f"\n{n} entries, 3 lines each, one transaction per entry\n")
    print(f"{'what':<26}{'total s':>9}{'per s':>9}{'p50 ms':>9}{'p95 ms':>9}{'ratio':>8}")
    base_total = rows[0][1]
    for name, total, rate, p50, p95 in rows:
        print(f"{name:<26}{total:>9.2f}{rate:>9.0f}{p50:>9.2f}{p95:>9.2f}{total / base_total:>8.2f}")
    print(f"{'chain follower (all)':<26}{follow_seconds:>9.2f}{count / follow_seconds:>9.0f}")
    print(f"{'verify_ledger':<26}{verify_seconds:>9.2f}{count / verify_seconds:>9.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
