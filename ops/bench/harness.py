"""What the load benches share: the stack as production runs it (gunicorn with 3 sync workers as the
app's DB role, an RQ worker, the cron scheduler) on an embedded instance, and people using it (sellers
selling cash sales with the phone's retry, owners polling /admin/live/ and opening the dashboard, an
accountant exporting), every response recorded with its time.

Run under `ops/services.py exec --instance NAME`, which provides DATABASE_URL, DATABASE_OWNER_URL and
REDIS_URL.
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(ROOT / "ops")]
import services  # noqa: E402,F401 (faults.py uses it through here)

PORT = int(os.environ.get("BENCH_PORT", "8630"))
BASE = f"http://127.0.0.1:{PORT}"
PASSWORD = "bench-pass-2026"


def setup(media: Path | None = None):
    """Migrate as the owner, configure Redis, seed the demo logins; Django set up in this process."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: the callers' finally stops the stack
    os.environ.update(DJANGO_SETTINGS_MODULE="backoffice.settings.dev", DJANGO_DEBUG="0", DEMO_PASSWORD=PASSWORD,
                      TZ="Africa/Nairobi", MPESA_SIMULATOR_DELAY="0",
                      MPESA_BASE_URL=f"{BASE}/simulator/daraja", MPESA_CALLBACK_BASE_URL=BASE,
                      SMS_MODE="simulator", SMS_BASE_URL=f"{BASE}/sms-api/version1",
                      ETIMS_MODE="simulator", ETIMS_BASE_URL=f"{BASE}/etims-api")
    if media:
        os.environ["MEDIA_ROOT"] = str(media)
    owner_env = {**os.environ, "DATABASE_URL": os.environ.get("DATABASE_OWNER_URL", os.environ["DATABASE_URL"])}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=owner_env, check=True)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("configure_redis", verbosity=0)
    call_command("seed_demo", verbosity=0)
    collect_static()


def collect_static():
    """DEBUG off serves static from STATIC_ROOT's manifest: a missing or stale one (the code moved on)
    makes pages 500, so collect every time (unchanged files are not copied again)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def app_env():
    from services import APP_ROLE, with_user

    env = dict(os.environ)
    if os.environ.get("DATABASE_OWNER_URL"):
        env["DATABASE_URL"] = with_user(os.environ["DATABASE_OWNER_URL"], APP_ROLE)
    return env


class Stack:
    def __init__(self):
        self.processes = {}

    def start(self, name):
        commands = {
            "web": [sys.executable, "-m", "gunicorn", "--pythonpath", "site", "backoffice.wsgi", "--bind",
                    f"127.0.0.1:{PORT}", "--workers", "3", "--timeout", "30", "--log-level", "error"],
            "worker": [sys.executable, "manage.py", "rqworker", "default", "--with-scheduler"],
            "cron": [sys.executable, "manage.py", "rqcron", "backoffice.schedules"],
        }
        self.processes[name] = subprocess.Popen(commands[name], cwd=ROOT, env=app_env(), start_new_session=True,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes.pop(name, None)
        if process and process.poll() is None:
            os.killpg(process.pid, sig)
            process.wait()

    def ensure(self, name):
        if name not in self.processes or self.processes[name].poll() is not None:
            self.start(name)

    def stop(self):
        for name in list(self.processes):
            self.kill(name, signal.SIGTERM if name == "web" else signal.SIGKILL)


def sellable_items() -> dict[str, list[int]]:
    """Each seller's items: services first (never out of stock), else any active item; never one a
    module's own flow sells (an LPG cylinder goes through the refill exchange: the quick sale
    refuses it as a plain line, which the load would count as a 400)."""
    from modules.core.businesses.models import Business
    from modules.core.inventory.models import Item
    from modules.core.sales.services import claimed_items

    items = {}
    for username in ("water_staff", "shop_staff", "laundry_staff"):
        business = Business.objects.get(code=username.split("_")[0])
        active = (Item.objects.filter(business=business, is_active=True, selling_price__gt=0)
                  .exclude(pk__in=list(claimed_items(business))))
        items[username] = list(active.filter(tracks_stock=False).values_list("pk", flat=True)) or list(
            active.values_list("pk", flat=True))
    return items


class Load:
    """Sellers, pollers and exporters until stopped; every response is recorded with its time."""

    def __init__(self, sellers=15, pollers=5, exporters=0):
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.events: list[tuple[float, str, int]] = []  # (time, what, status; 0 = no answer)
        self.committed: set[str] = set()
        self.attempted: set[str] = set()
        self.sellers, self.pollers, self.exporters, self.threads = sellers, pollers, exporters, []
        self.ready = 0  # people logged in
        self.selling = threading.Event()  # cleared: the sellers wait (pollers and exporters go on)
        self.selling.set()

    def record(self, what, status):
        with self.lock:
            self.events.append((time.monotonic(), what, status))

    def session(self, username):
        """A logged-in session; tries again (a loaded machine answers slowly) until stopped."""
        import requests

        while True:
            session = requests.Session()
            try:
                session.get(f"{BASE}/admin/login/", timeout=60)
                response = session.post(f"{BASE}/admin/login/", allow_redirects=False, timeout=60, data={
                    "username": username, "password": PASSWORD, "csrfmiddlewaretoken": session.cookies["csrftoken"]})
                if response.status_code == 302:
                    session.headers["X-CSRFToken"] = session.cookies["csrftoken"]
                    with self.lock:
                        self.ready += 1
                    return session
            except (requests.RequestException, KeyError):
                pass
            if self.stop_event.wait(2):
                raise SystemExit(0)  # stopped before logging in: the thread just ends

    def seller(self, index, items):
        import requests

        username = ["water_staff", "shop_staff", "laundry_staff"][index % 3]
        session, rng = self.session(username), random.Random(index)
        while not self.stop_event.is_set():
            if not self.selling.is_set():
                self.stop_event.wait(0.5)
                continue
            sale_uuid = str(uuid.uuid4())
            body = {"uuid": sale_uuid, "business": username.split("_")[0], "method": "cash",
                    "lines": [{"item": rng.choice(items[username]), "quantity": 1}]}
            with self.lock:
                self.attempted.add(sale_uuid)
            for _ in range(60):  # the phone's offline queue: the same UUID until it is accepted
                try:
                    status = session.post(f"{BASE}/admin/sales/quick/submit/", json=body, timeout=60).status_code
                except requests.RequestException:
                    status = 0
                self.record("sale", status)
                if status in (200, 201):
                    with self.lock:
                        self.committed.add(sale_uuid)
                    break
                if self.stop_event.wait(1):
                    break
            self.stop_event.wait(rng.uniform(0.5, 1.5))

    def poller(self, index):
        import requests

        session, etag, n = self.session("owner"), "", 0
        while not self.stop_event.is_set():
            try:
                response = session.get(f"{BASE}/admin/live/", headers={"If-None-Match": etag}, timeout=30)
                etag = response.headers.get("ETag", etag)
                self.record("poll", response.status_code)
                if n % 10 == 0:
                    self.record("dashboard", session.get(f"{BASE}/admin/", timeout=30).status_code)
            except requests.RequestException:
                self.record("poll", 0)
            n += 1
            self.stop_event.wait(1)

    def exporter(self, index):
        """The accountant: the ledger's journal lines (a background export), downloaded, again and again."""
        import re

        import requests

        session = self.session("accountant")
        while not self.stop_event.is_set():
            try:
                desk = session.get(f"{BASE}/admin/desk/", timeout=60)
                started = session.post(f"{BASE}/admin/desk/", timeout=60, data={
                    "csrfmiddlewaretoken": session.cookies["csrftoken"], "kind": "ledger.journal_lines",
                    "business": "", "file_format": "csv"})
                self.record("export", started.status_code)
                match = re.search(r"#export-(\d+)", started.url) or re.search(r"export-(\d+)", desk.text)
                while match and not self.stop_event.is_set():
                    progress = session.get(f"{BASE}/admin/desk/{match.group(1)}/progress/", timeout=60)
                    if '"done"' in progress.text or "download" in progress.text:
                        file = session.get(f"{BASE}/admin/desk/{match.group(1)}/download/", timeout=300)
                        self.record("export download", file.status_code)
                        break
                    if "failed" in progress.text.lower():
                        self.record("export download", 0)
                        break
                    self.stop_event.wait(2)
            except requests.RequestException:
                self.record("export", 0)
            self.stop_event.wait(5)

    def start(self, items):
        self.threads = [threading.Thread(target=self.seller, args=(i, items)) for i in range(self.sellers)]
        self.threads += [threading.Thread(target=self.poller, args=(i,)) for i in range(self.pollers)]
        self.threads += [threading.Thread(target=self.exporter, args=(i,)) for i in range(self.exporters)]
        for thread in self.threads:
            thread.start()
            time.sleep(0.2)  # people arrive one after another, not 20 password hashes at once
        deadline = time.monotonic() + 600
        while self.ready < len(self.threads) and time.monotonic() < deadline:
            time.sleep(0.5)

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join()

    def window(self, since, until=None):
        until = until or time.monotonic()
        return Counter((what, status) for t, what, status in self.events if since <= t <= until)


def summary(counts: Counter) -> str:
    by_what = {}
    for (what, status), n in sorted(counts.items()):
        by_what.setdefault(what, []).append(f"{status or 'no answer'}×{n}")
    return "; ".join(f"{what}: {', '.join(parts)}" for what, parts in by_what.items())


def fivexx(counts: Counter, allowed=()) -> int:
    return sum(n for (what, status), n in counts.items() if status >= 500 and status not in allowed)


def run_phase(sessions, requests_total: int, make_request) -> dict:
    """Split the requests over one thread per session; ``make_request(session, rng)`` returns a
    status. Returns the latencies (ms), the statuses and the wall time."""
    latencies, statuses, lock = [], Counter(), threading.Lock()
    per_client = requests_total // len(sessions)

    def client(index, session):
        rng = random.Random(index)
        for _ in range(per_client):
            started = time.perf_counter()
            status = make_request(session, rng)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] += 1

    threads = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(sessions)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"latencies": latencies, "statuses": statuses, "wall": time.perf_counter() - started}


def percentile(values, p):
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(1)
    return True


