"""The owner's money pages on a year of every business's sales: p95 and query counts beside a
trivial view timed in the same run (the machine is shared and noisy: compare the ratios).

    .venv/bin/python ops/services.py exec --instance bench -- .venv/bin/python ops/bench/reports.py
        [--days 365] [--per-day 500] [--requests 200]

First run: migrates, seeds the demo and runs `generate_history` (quick sales, laundry jobs, LPG
exchanges, deliveries, credit sales and repayments) into the bench instance; later runs reuse it.
Then, in-process through Django's test client as the owner (the full middleware stack, DEBUG off),
it requests in rounds, each page once per round so they share the machine's moods:

* the trivial view: /health/ (the middleware and one query: the floor);
* the Today widget (takings, sales and profit per business), computed each time (its cache is
  cleared before each request) and as served (cached under the businesses' live versions);
* daily sales for a month (every business, consolidated);
* the debtors ageing (every business) and a customer's statement with a year of activity (the
  page as a phone opens it: the last 90 days, all before as the opening balance).

Queries are counted for each page with a small and a large range (a week vs a month of daily sales,
a customer with a few lines vs the year's): a page whose count grows with the data fails the run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(ROOT / "ops"), str(ROOT / "ops" / "bench")]
from harness import percentile  # noqa: E402


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.dev")
    os.environ["DJANGO_DEBUG"] = "0"  # served as in production: hashed static files from a manifest
    os.environ.setdefault("STATIC_ROOT", str(ROOT / ".data" / "bench" / "static"))
    import django

    django.setup()


def prepare(days: int, per_day: int):
    from django.core.management import call_command

    from modules.core.sales.models import Sale

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", verbosity=0)
    if Sale.objects.filter(kind="laundry").count() < days * per_day // 100:
        print(f"generating {days} days x {per_day} sales and the businesses' documents (once per bench instance)…",
              flush=True)
        call_command("generate_history", days=days, per_day=per_day)


def pages():
    """(name, path, params) for each page. The statement's customer is the busiest credit customer;
    its small case, the quietest customer who bought the same kinds of things from the same
    businesses (a statement's queries depend on those, never on how many sales)."""
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import timezone

    from modules.core.sales.models import Sale

    today = timezone.localdate()
    kinds: dict[int, set] = {}
    for customer, kind, business in Sale.objects.filter(customer__isnull=False).values_list(
            "customer", "kind", "business").distinct():
        kinds.setdefault(customer, set()).add((kind, business))
    sizes = dict(Sale.objects.filter(customer__isnull=False).values_list("customer").annotate(n=Count("id")))
    busiest = max((c for c in sizes if c in kinds), key=lambda c: sizes[c])
    quietest = min((c for c in sizes if kinds[c] == kinds[busiest]), key=lambda c: sizes[c])
    busiest, quietest = {"customer": busiest, "n": sizes[busiest]}, {"customer": quietest, "n": sizes[quietest]}
    month = {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}
    week = {"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()}
    widget, daily = reverse("admin:widget", args=["sales.today"]), reverse("admin:reports:daily_sales")
    return {
        "trivial view (/health/)": [("/health/", {})],
        "Today widget, computed": [(widget, {})],
        "Today widget, as served": [(widget, {})],
        "daily sales, a month": [(daily, month), (daily, week)],
        "debtors ageing": [(reverse("admin:reports:debtors"), {})],
        "customer statement, a year": [(reverse("admin:sales:statement", args=[busiest["customer"]]), {}),
                                       (reverse("admin:sales:statement", args=[quietest["customer"]]), {})],
    }, (busiest["n"], quietest["n"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200, help="per page")
    args = parser.parse_args()

    setup_django()
    prepare(args.days, args.per_day)
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from modules.core.sales.models import Sale

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="owner"))
    found, statement_sales = pages()

    def get(name, path, params):
        if name.endswith("computed"):
            cache.clear()  # the money cache: the figure is worked out, as after every sale
        response = client.get(path, params)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        return response

    counts = {}
    for name, variants in found.items():
        counts[name] = []
        for path, params in variants:
            get(name, path, params)  # warm: templates compiled, connection open
            with CaptureQueriesContext(connection) as captured:
                get(name, path, params)
            counts[name].append(len(captured))
    timings = {name: [] for name in found}
    for _ in range(args.requests):
        for name, variants in found.items():
            path, params = variants[0]
            started = time.perf_counter()
            get(name, path, params)
            timings[name].append((time.perf_counter() - started) * 1000)

    floor = percentile(timings["trivial view (/health/)"], 95)
    print(f"\n{Sale.objects.count():,} sales in the database (statements: {statement_sales[0]} and "
          f"{statement_sales[1]} sales); "
          f"{args.requests} requests per page, in-process, DEBUG off, {os.cpu_count()} cores\n")
    print(f"{'page':<30}{'p50 ms':>8}{'p95 ms':>8}{'p95/floor':>10}{'queries':>9}{'(small)':>9}")
    grows = []
    for name, values in timings.items():
        small = counts[name][1] if len(counts[name]) > 1 else counts[name][0]
        print(f"{name:<30}{percentile(values, 50):>8.1f}{percentile(values, 95):>8.1f}{percentile(values, 95) / floor:>10.2f}"
              f"{counts[name][0]:>9}{small:>9}")
        if counts[name][0] > small:  # the large case needs more queries: they grow with the data
            grows.append(name)
    print("\nqueries: the large case (a month of daily sales, the busiest customer) and the small one (a week, the "
          "quietest customer)")
    if grows:
        raise SystemExit(f"query counts grow with the data: {grows}")


if __name__ == "__main__":
    main()
