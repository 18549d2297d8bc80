"""Sale POSTs and big changelists under 20 concurrent clients, against gunicorn, on a year of data.

    .venv/bin/python ops/services.py exec --instance bench --db-user owner -- .venv/bin/python ops/bench/sales_concurrency.py
        [--clients 20] [--browse-clients 2] [--requests 1000] [--days 365] [--per-day 500] [--workers 3]
    (BENCH_PORT=8077 by default: gunicorn's port)

First run: migrates, seeds the demo and runs `generate_history` (a few minutes) into the bench
instance; later runs reuse it (each run adds its own sales). Then starts gunicorn as production
does (sync workers, the app's DB role, DEBUG off) and times, phase by phase, with N clients:
a trivial view (/health/: the middleware stack and one query, the floor), the quick sale's JSON
POST (cash, a new client UUID each) from N sellers, and the sales and stock-movement changelists
paged by a few browsing owners (each with its own floor at the same concurrency). The ledger's
chain follower runs beside them every 10 s, as in production.
Queries per changelist page are counted in-process for page 1 and a deep page: they must match.
Each phase also gets its CPU per request from the kernel's accounting: gunicorn's processes, the
PostgreSQL server's, and this process's (the clients and the follower), with the cores they kept
busy: on a 2-core machine at ~2.0 the phase is CPU-bound, and the split says where to cut.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(ROOT / "ops"), str(ROOT / "ops" / "bench")]
from harness import percentile, run_phase  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", "8077"))  # each engineer's machine share has its own port range
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-pass-2026"
SELLERS = ["water_staff", "shop_staff", "laundry_staff"]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.dev")
    os.environ["DJANGO_DEBUG"] = "0"  # DEBUG keeps every query in memory and slows every request
    os.environ["DEMO_PASSWORD"] = PASSWORD
    os.environ.setdefault("STATIC_ROOT", str(ROOT / ".data" / "bench" / "static"))  # hashed, from a manifest
    import django

    django.setup()


def prepare(days: int, per_day: int) -> dict:
    """Schema, demo logins and the year of history; returns each seller's sellable item ids."""
    from django.core.management import call_command

    from modules.core.businesses.models import Business
    from modules.core.inventory.models import Item
    from modules.core.sales.models import Sale
    from modules.core.sales.services import claimed_items

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("seed_demo", verbosity=0)
    wanted = days * per_day * 9 // 10
    if Sale.objects.count() < wanted:
        print(f"generating {days} days x {per_day} sales (once per bench instance)…", flush=True)
        call_command("generate_history", days=days, per_day=per_day)
    from modules.core.ledger import chain

    started = time.perf_counter()
    linked = chain.extend(full=True).linked  # the chain follower catches up before timing starts
    if linked:
        print(f"chain follower linked {linked:,} entries in {time.perf_counter() - started:.1f} s", flush=True)
    items = {}
    for username in SELLERS:
        code = username.split("_")[0]
        # services and well-stocked goods (a phase sells a few hundred per seller), so the benchmark
        # measures selling, not running out; never an item a module's own flow sells (LPG, laundry)
        claimed = claimed_items(Business.objects.get(code=code))
        items[username] = [pk for pk in Item.objects.filter(business__code=code, is_active=True, selling_price__gt=0)
                           .exclude(tracks_stock=True, stock_levels__quantity__lt=500).values_list("pk", flat=True)
                           if pk not in claimed]
        if not items[username]:
            raise SystemExit(f"{username} has nothing the quick sale may sell in quantity: add stock first")
    return {"items": items, "sales": Sale.objects.count()}


def query_counts() -> dict:
    """Queries for page 1 and a deep page of each big changelist, as the owner (in-process)."""
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(User.objects.get(username="owner"))
    counts = {}
    for name, url in (("sales", "/admin/sales/sale/"), ("stock movements", "/admin/inventory/stockmovement/")):
        for page in ("1", "200"):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, {"p": page}, HTTP_HOST="127.0.0.1")
            assert response.status_code == 200, (url, response.status_code)
            counts[(name, page)] = len(captured)
            slow = [q["sql"][:80] for q in captured if q["sql"].startswith("SELECT COUNT(*)") and "LIMIT" not in q["sql"]
                    and any(table in q["sql"] for table in ('"sales_sale"', '"inventory_stockmovement"'))]
            if slow:
                raise SystemExit(f"{url} ran an exact COUNT(*): {slow}")
    return counts


def sale_queries(items) -> tuple[int, int]:
    """(queries of one cash sale POST, of them in ledger tables), as water_staff, in-process."""
    import json

    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(User.objects.get(username="water_staff"))
    body = {"uuid": str(uuid.uuid4()), "business": "water", "method": "cash", "lines": [{"item": items[0], "quantity": 1}]}
    with CaptureQueriesContext(connection) as captured:
        response = client.post("/admin/sales/quick/submit/", json.dumps(body), content_type="application/json",
                               HTTP_HOST="127.0.0.1")
    assert response.status_code == 201, response.content
    return len(captured), sum(1 for q in captured if "ledger_" in q["sql"] or "advisory" in q["sql"])


def start_gunicorn(workers: int, threads: int = 1):
    from services import APP_ROLE, with_user

    env = {**os.environ, "TZ": "Africa/Nairobi"}
    owner_url = os.environ.get("DATABASE_OWNER_URL")
    if owner_url:  # embedded: serve as the app role, as production does
        env["DATABASE_URL"] = with_user(owner_url, APP_ROLE)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--pythonpath", "site", "backoffice.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1
                                      else ["--worker-class", "sync"]),
         "--timeout", "60", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    from services import wait_for_http

    try:
        wait_for_http(f"{BASE}/health/", 180)  # three workers starting on a busy machine
    except OSError:
        os.killpg(process.pid, 15)  # its own session: never leave workers behind
        raise
    return process


class Follower(threading.Thread):
    """The chain follower as production runs it (schedule ledger.follow_chain, every 10 s), beside
    the sellers, so its cost is in the figures; counts what each pass linked and how long it took."""

    def __init__(self, every: float = 10):
        super().__init__(daemon=True)
        self.every, self.passes, self.stopped = every, [], threading.Event()

    def run(self):
        from django.db import connection

        from modules.core.ledger import chain

        while not self.stopped.wait(self.every):
            started = time.perf_counter()
            linked = chain.extend().linked
            self.passes.append((linked, time.perf_counter() - started))
        connection.close()


def logged_in(username: str):
    import requests

    session = requests.Session()
    session.get(f"{BASE}/admin/login/")
    response = session.post(f"{BASE}/admin/login/", data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"],
        "next": "/admin/"}, allow_redirects=False)
    if response.status_code != 302:
        raise SystemExit(f"login as {username} failed ({response.status_code})")
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    return session


class CpuMeter:
    """CPU seconds spent by gunicorn (master and workers), PostgreSQL (postmaster and backends) and
    this process (the clients), from the kernel's accounting: where a request's cost goes, and
    how much of the machine's cores the phase used."""

    def __init__(self, gunicorn_pid: int):
        self.roots = {"app": gunicorn_pid, "postgresql": postmaster_pid()}

    @staticmethod
    def _tree(pid: int) -> float:
        import psutil

        try:
            root = psutil.Process(pid)
            total = sum(root.cpu_times()[:4])  # its own and its reaped children's user and system
            for child in root.children(recursive=True):
                try:
                    total += sum(child.cpu_times()[:2])
                except psutil.NoSuchProcess:
                    pass
            return total
        except psutil.NoSuchProcess:
            return 0.0

    def read(self) -> dict[str, float]:
        return {**{name: self._tree(pid) for name, pid in self.roots.items()}, "clients": sum(os.times()[:2])}


def postmaster_pid() -> int:
    """The PostgreSQL server's pid: the parent of this process's own backend (0 when the database
    runs on another machine: its CPU is then not counted)."""
    import psutil
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    try:
        return psutil.Process(backend).ppid()
    except psutil.NoSuchProcess:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000, help="per phase, over all clients")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=500)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (production: 3)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker: more than 1 runs gthread workers (production: see "
                             "ops/deploy/biashara-web.service)")
    parser.add_argument("--browse-clients", type=int, default=2,
                        help="concurrent people paging through changelists (the owner and the accountant)")
    args = parser.parse_args()

    setup_django()
    prepared = prepare(args.days, args.per_day)
    counts = query_counts()
    sale_count, ledger_count = sale_queries(prepared["items"]["water_staff"])
    gunicorn = start_gunicorn(args.workers, args.threads)
    try:
        sellers = [logged_in(SELLERS[i % len(SELLERS)]) for i in range(args.clients)]
        for index, session in enumerate(sellers):
            session.username = SELLERS[index % len(SELLERS)]
        owners = [logged_in("owner") for _ in range(args.clients)]

        def trivial(session, rng):
            return session.get(f"{BASE}/health/").status_code

        def sale(session, rng):
            item = rng.choice(prepared["items"][session.username])
            body = {"uuid": str(uuid.uuid4()), "business": session.username.split("_")[0], "method": "cash",
                    "lines": [{"item": item, "quantity": 1}]}
            return session.post(f"{BASE}/admin/sales/quick/submit/", json=body).status_code

        def changelist(path):
            def get(session, rng):
                return session.get(f"{BASE}{path}", params={"p": rng.randint(1, 50)}).status_code
            return get

        browsers = owners[: args.browse_clients]
        phases = [
            (f"trivial view (/health/) x{args.clients}", owners, trivial),
            (f"sale POST (cash) x{args.clients}", sellers, sale),
            (f"trivial view (/health/) x{len(browsers)}", browsers, trivial),
            (f"sales changelist x{len(browsers)}", browsers, changelist("/admin/sales/sale/")),
            (f"stock movements changelist x{len(browsers)}", browsers, changelist("/admin/inventory/stockmovement/")),
        ]
        for _, sessions, fn in phases:  # warm up: templates compiled, connections open in every worker
            run_phase(sessions, len(sessions) * 2, fn)
        follower = Follower()
        follower.start()
        meter, results, cpu = CpuMeter(gunicorn.pid), [], {}
        for name, sessions, fn in phases:
            before = meter.read()
            results.append((name, run_phase(sessions, args.requests if len(sessions) == args.clients
                                            else args.requests // 4, fn)))
            cpu[name] = {part: seconds - before[part] for part, seconds in meter.read().items()}
        follower.stopped.set()
        follower.join()
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)

    floors = {len(sessions): percentile(result["latencies"], 95)
              for (name, result), (_, sessions, _) in zip(results, phases) if name.startswith("trivial")}
    print(f"\n{prepared['sales']:,} sales in the database; {args.clients} concurrent clients, "
          f"{args.requests} requests per phase ({args.requests // 4} for browsing), gunicorn {args.workers} "
          f"{f'gthread workers x {args.threads} threads' if args.threads > 1 else 'sync workers'} on {os.cpu_count()} cores\n")
    print(f"{'what':<30}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'req/s':>8}{'p95/floor':>10}"
          f"{'CPU ms/req: app':>17}{'PG':>6}{'clients':>9}{'cores busy':>11}  statuses")
    for (name, result), (_, sessions, _) in zip(results, phases):
        lat = result["latencies"]
        p95, floor = percentile(lat, 95), floors[len(sessions)]

        def per_request(seconds):
            return seconds * 1000 / len(lat)

        print(f"{name:<30}{percentile(lat, 50):>8.1f}{p95:>8.1f}{percentile(lat, 99):>8.1f}"
              f"{len(lat) / result['wall']:>8.1f}{p95 / floor:>10.2f}{per_request(cpu[name]['app']):>17.1f}"
              f"{per_request(cpu[name]['postgresql']):>6.1f}{per_request(cpu[name]['clients']):>9.1f}"
              f"{sum(cpu[name].values()) / result['wall']:>11.2f}  {dict(result['statuses'])}")
    if follower.passes:
        linked, seconds = sum(p[0] for p in follower.passes), max(p[1] for p in follower.passes)
        print(f"\nchain follower beside them: {len(follower.passes)} passes linked {linked:,} entries, "
              f"slowest pass {seconds * 1000:.0f} ms")
    print(f"\nqueries per cash sale POST: {sale_count} ({ledger_count} of them the ledger's)")
    print(f"\n{'queries per changelist page':<30}{'page 1':>8}{'page 200':>10}")
    for name in ("sales", "stock movements"):
        print(f"{name:<30}{counts[(name, '1')]:>8}{counts[(name, '200')]:>10}")


if __name__ == "__main__":
    main()
