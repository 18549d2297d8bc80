"""eTIMS under load (issue 19 §5): the outbox signs a burst of 500 sales, and the counter's sale POST
is timed with eTIMS off and on in the same run.

    .venv/bin/python ops/services.py exec --instance etimsbench --db-user app -- \
        .venv/bin/python ops/bench/etims_burst.py [--burst 500] [--clients 6] [--requests 300]
    (BENCH_PORT=8630 by default: the app's gunicorn; the simulated KRA listens on BENCH_PORT+1)

The stack as production runs it (ops/bench/harness.py): gunicorn with 3 sync workers as the app's
DB role, DEBUG off, one RQ worker for the outbox. KRA is the simulator, served by its own gunicorn
(2 workers) so signing never takes a counter worker; it still shares the machine's cores, which
KRA's servers would not (the "on" figures are pessimistic).

1. **Counter, eTIMS off, then on**: N sellers POST cash quick sales (a new UUID each) to the same
   app; with eTIMS on, the RQ worker delivers ``sale.committed`` and signs each sale meanwhile.
   Reported: p50/p95/p99 of the POST and the on/off ratio (the baseline is the off phase).
2. **Burst**: the worker stopped, 500 sales are rung up (in-process, through the sale engine); then
   the worker starts and the time until all 500 are signed gives signed sales/s (event delivery,
   item registration, numbering under the device lock, the HTTP round trip and the stock report).
   Checked: every invoice signed once, numbers gapless, KRA holds each number once.
No timed asserts: the figures are printed.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402
from harness import BASE, PASSWORD, PORT, ROOT, percentile, run_phase  # noqa: E402

SIM_PORT = PORT + 1
SIM_BASE = f"http://127.0.0.1:{SIM_PORT}"
SELLERS = ["water_staff", "shop_staff", "laundry_staff"]


def environment(mode: str) -> None:
    """What the processes started from here read: eTIMS ``mode``, KRA at the simulator's server."""
    os.environ.update(ETIMS_MODE=mode, ETIMS_BASE_URL=f"{SIM_BASE}/etims-api", ETIMS_HTTP_TIMEOUT="10",
                      SMS_MODE="off")


def start_simulator():
    """The simulated KRA: this app with the simulator installed, on its own port and workers."""
    env = {**harness.app_env(), "ETIMS_MODE": "simulator"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--pythonpath", "site", "backoffice.wsgi", "--bind", f"127.0.0.1:{SIM_PORT}",
         "--workers", "2", "--timeout", "60", "--log-level", "error"],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from services import wait_for_http

    wait_for_http(f"{SIM_BASE}/health/", 180)
    time.sleep(2)
    if process.poll() is not None:  # the port answered, but not this server: another run's is still there
        raise SystemExit(f"port {SIM_PORT} is taken: stop what listens there (another bench run?)")
    return process


def sellable() -> dict[str, list[int]]:
    """Each seller's items the quick sale may sell in quantity (services, well-stocked goods; never
    an item a module's own flow sells), as sales_concurrency.py picks them."""
    from modules.core.businesses.models import Business
    from modules.core.inventory.models import Item
    from modules.core.sales.services import claimed_items

    items = {}
    for username in SELLERS:
        code = username.split("_")[0]
        claimed = claimed_items(Business.objects.get(code=code))
        items[username] = [pk for pk in Item.objects.filter(business__code=code, is_active=True, selling_price__gt=0)
                           .exclude(tracks_stock=True, stock_levels__quantity__lt=2000).values_list("pk", flat=True)
                           if pk not in claimed]
    return items


def stock_up(items: dict[str, list[int]]) -> None:
    """Enough stock of every stocked item for the run (opening stock, as a new shop would)."""
    from django.db import transaction

    from modules.core.inventory.models import Item
    from modules.core.inventory.services import receive_opening_stock

    for item in Item.objects.filter(tracks_stock=True, business__code__in=[s.split("_")[0] for s in SELLERS],
                                    is_active=True, selling_price__gt=0):
        with transaction.atomic():
            receive_opening_stock(item, 5000)


def logged_in(username: str):
    import requests

    session = requests.Session()
    session.get(f"{BASE}/admin/login/", timeout=60)
    response = session.post(f"{BASE}/admin/login/", allow_redirects=False, timeout=60, data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    if response.status_code != 302:
        raise SystemExit(f"login as {username} failed ({response.status_code})")
    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
    session.username = username
    return session


def counter_phase(items, clients: int, total: int) -> dict:
    """``clients`` sellers POST ``total`` cash sales between them; latencies in ms."""
    sessions = [logged_in(SELLERS[i % len(SELLERS)]) for i in range(clients)]

    def sale(session, rng):
        body = {"uuid": str(uuid.uuid4()), "business": session.username.split("_")[0], "method": "cash",
                "lines": [{"item": rng.choice(items[session.username]), "quantity": 1}]}
        return session.post(f"{BASE}/admin/sales/quick/submit/", json=body, timeout=60).status_code

    run_phase(sessions, clients * 2, sale)  # warm up every worker: templates, connections
    return run_phase(sessions, total, sale)


def waiting_count() -> int:
    from modules.core.etims.models import Invoice

    return Invoice.objects.filter(status__in=[Invoice.Status.PENDING, Invoice.Status.SENT]).count()


def wait_signed(expected_total: int, seconds: float) -> float:
    """Seconds until ``expected_total`` invoices exist and none waits (or SystemExit)."""
    from modules.core.etims.models import Invoice

    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        if Invoice.objects.count() >= expected_total and waiting_count() == 0:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit(f"not signed after {seconds:.0f} s: {Invoice.objects.count()} invoices, {waiting_count()} waiting")


def signed_count() -> int:
    from modules.core.etims.models import Invoice

    return Invoice.objects.filter(status=Invoice.Status.SIGNED).count()


def drained(seconds: float, topics=("etims.sign", "etims.stock", "events.durable")) -> None:
    """Wait until the worker has run every due message of ``topics``."""
    from django.utils import timezone

    from modules.core.outbox.models import Message

    started = time.perf_counter()
    while Message.objects.filter(status=Message.Status.PENDING, next_attempt_at__lte=timezone.now(),
                                 topic__in=list(topics)).exists():
        if time.perf_counter() - started > seconds:
            raise SystemExit("the outbox did not drain")
        time.sleep(0.5)


def burst(items, size: int) -> None:
    """``size`` sales rung up through the sale engine while the worker is stopped."""
    from modules.core.businesses.models import Business
    from modules.core.sales import services as sales

    rng = random.Random(500)
    businesses = {s: Business.objects.get(code=s.split("_")[0]) for s in SELLERS}
    for n in range(size):
        seller = SELLERS[n % 3]
        sales.create_sale(business=businesses[seller], client_uuid=uuid.uuid4(), method="cash",
                          lines=[sales.SaleLineInput(rng.choice(items[seller]), 1)])


def check_numbers() -> tuple[int, bool]:
    from modules.core.etims.models import Invoice
    from modules.core.etims.simulator.models import SimInvoice

    numbers = list(Invoice.objects.exclude(number=None).order_by("number").values_list("number", flat=True))
    declared = list(SimInvoice.objects.order_by("invc_no").values_list("invc_no", flat=True))
    return len(numbers), numbers == list(range(1, len(numbers) + 1)) == declared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--clients", type=int, default=6, help="concurrent sellers")
    parser.add_argument("--requests", type=int, default=300, help="sale POSTs per counter phase")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # `timeout` or kill: stop the servers and workers too

    environment("simulator")  # migrations include the simulator's tables; the bench process signs nothing itself
    os.environ.setdefault("STATIC_ROOT", str(ROOT / ".data" / "etimsbench" / "static"))  # DEBUG off: the manifest
    harness.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    from modules.core.etims.simulator.models import SimFaults

    SimFaults.objects.update_or_create(pk=1, defaults={"rate_timeout": 0, "rate_lost_answer": 0, "rate_990": 0,
                                                       "rate_994": 0, "rate_5xx": 0, "down_until": None})
    items = sellable()
    if not all(items.values()):
        stock_up(items)
        items = sellable()
    from modules.core.etims.models import Invoice

    stack = harness.Stack()
    simulator = start_simulator()
    results = {}
    try:
        from services import wait_for_http

        for mode in ("off", "simulator"):  # the worker runs in both: production always runs it
            environment(mode)
            stack.start("web")
            stack.start("worker")
            stack.start("cron")  # production's schedules, the outbox sweep among them (a lost job is run again)
            wait_for_http(f"{BASE}/health/", 180)
            # earlier work (the seed's sales, the last phase's events) is out of the way; with eTIMS off an
            # invoice left from an earlier run only waits (it is signed in the "on" phase)
            topics = ("events.durable",) if mode == "off" else ("etims.sign", "etims.stock", "events.durable")
            drained(600, topics)
            invoices_before = Invoice.objects.count()
            results[mode] = counter_phase(items, args.clients, args.requests)
            report_phase(results, mode, args.clients)
            if mode == "simulator":
                made = results[mode]["statuses"].get(201, 0) + results[mode]["statuses"].get(200, 0)
                results["drain"] = wait_signed(invoices_before + made, 1800)
                print(f"\nwith eTIMS on, the last of the phase's {made} sales was signed {results['drain']:.1f} s after "
                      f"the phase ended", flush=True)
            drained(600, topics)
            stack.kill("cron")
            stack.kill("worker")
            stack.kill("web")

        environment("simulator")
        signed_before = signed_count()
        burst(items, args.burst)  # the worker is stopped: 500 sales wait in the outbox
        stack.start("worker")
        stack.start("cron")
        started = time.perf_counter()
        first_signed = None
        while signed_count() < signed_before + args.burst and time.perf_counter() - started < 1800:
            if first_signed is None and signed_count() > signed_before:
                first_signed = time.perf_counter() - started
            time.sleep(0.2)
        seconds = time.perf_counter() - started
        signed_now = signed_count() - signed_before
        print(f"\nburst: {signed_now} of {args.burst} sales signed {seconds:.1f} s after the worker started = "
              f"{signed_now / seconds:.2f} signed sales/s end to end; the first was signed at {first_signed or 0:.1f} s "
              f"(the outbox runs oldest first: the sales' events are delivered, then the invoices signed), so "
              f"{signed_now / max(seconds - (first_signed or 0), 0.001):.2f} signed/s once signing began", flush=True)
        drained(600)
        stack.kill("cron")
        stack.kill("worker")
        total, gapless = check_numbers()
        from modules.core.sales.models import Sale

        sales_total = Sale.objects.count()
    finally:
        stack.stop()
        os.killpg(simulator.pid, 15)
        simulator.wait(timeout=30)

    print(f"\ninvoice numbers 1..{total} gapless on both sides, each held by KRA once: {gapless}; "
          f"{sales_total:,} sales in the database")


def report_phase(results, mode, clients) -> None:
    if mode == "off":
        print(f"\neTIMS bench on {os.cpu_count()} cores: gunicorn 3 sync workers (app), 1 RQ worker (outbox), simulated "
              f"KRA on 2 gunicorn workers of the same machine\n")
        print(f"{'counter sale POST':<34}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}{'p95/off':>9}  "
              f"statuses")
    base = percentile(results["off"]["latencies"], 95)
    r = results[mode]
    lat = r["latencies"]
    label = f"eTIMS off x{clients}" if mode == "off" else f"eTIMS on x{clients} (signing beside)"
    print(f"{label:<34}{len(lat):>6}{percentile(lat, 50):>9.1f}{percentile(lat, 95):>9.1f}{percentile(lat, 99):>9.1f}"
          f"{len(lat) / r['wall']:>8.1f}{percentile(lat, 95) / base:>9.2f}  {dict(r['statuses'])}", flush=True)


if __name__ == "__main__":
    main()
