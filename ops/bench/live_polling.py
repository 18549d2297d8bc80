"""200 phones polling /admin/live/ every 15 s against gunicorn, while sales come in.

    .venv/bin/python ops/services.py exec --instance bench -- .venv/bin/python ops/bench/live_polling.py
        [--phones 200] [--seconds 90] [--interval 15] [--sale-every 20] [--workers 3]

Each phone keeps its ETag and polls on its own 15 s cycle (random phase), as live.js does; a tenth
are the owner (who watches every business), the rest are staff spread over the three businesses.
One seller makes a cash sale every --sale-every seconds, rotating over the businesses (the demo
year averages one sale every 94 s; 20 s is a busy hour), so some polls must answer 200. The same
phones also fetch a trivial view (/health/) on the same schedule: the floor, measured in the run.
Sessions are created directly (no 200 password hashes at start-up).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sales_concurrency import BASE, percentile, prepare, setup_django, start_gunicorn  # noqa: E402

BUSINESSES = ["water", "laundry", "shop"]


def session_cookie(username: str) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.cached_db import SessionStore

    user = User.objects.get(username=username)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def wire_bytes(response) -> int:
    """Status line, headers and body as gunicorn sent them (near enough: no chunk framing)."""
    headers = sum(len(k) + len(v) + 4 for k, v in response.raw.headers.items())
    return len(f"HTTP/1.1 {response.status_code} {response.reason}\r\n") + headers + 2 + len(response.content)


def main() -> None:
    import requests

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=90)
    parser.add_argument("--interval", type=float, default=15)
    parser.add_argument("--sale-every", type=float, default=20)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    setup_django()
    prepared = prepare(days=0, per_day=1)
    people = ["owner" if n % 10 == 0 else f"{BUSINESSES[n % 3]}_staff" for n in range(args.phones)]
    cookies = [session_cookie(person) for person in people]
    gunicorn = start_gunicorn(args.workers)
    results = defaultdict(list)  # kind -> [(ms, bytes)]
    lock, stop, primed, loaded = threading.Lock(), threading.Event(), threading.Event(), threading.Semaphore(0)

    def phone(index):
        rng = random.Random(index)
        session = requests.Session()
        session.cookies.set("sessionid", cookies[index])
        etag = session.get(f"{BASE}/admin/live/").headers.get("ETag", "")  # the page load's first poll
        loaded.release()
        primed.wait()
        next_at = time.monotonic() + rng.uniform(0, args.interval)
        while not stop.is_set():
            stop.wait(max(0, next_at - time.monotonic()))
            if stop.is_set():
                return
            next_at += args.interval
            started = time.perf_counter()
            response = session.get(f"{BASE}/admin/live/", headers={"If-None-Match": etag} if etag else {})
            elapsed = (time.perf_counter() - started) * 1000
            etag = response.headers.get("ETag", etag)
            floor_started = time.perf_counter()
            floor = session.get(f"{BASE}/health/")
            floor_elapsed = (time.perf_counter() - floor_started) * 1000
            with lock:
                results[str(response.status_code)].append((elapsed, wire_bytes(response)))
                results["trivial"].append((floor_elapsed, wire_bytes(floor)))

    from sales_concurrency import logged_in

    sellers = {code: logged_in(f"{code}_staff") for code in BUSINESSES}

    def seller():
        primed.wait()
        turn = 0
        while not stop.wait(args.sale_every):
            code = BUSINESSES[turn % 3]
            turn += 1
            item = random.choice(prepared["items"][f"{code}_staff"])
            sellers[code].post(f"{BASE}/admin/sales/quick/submit/", json={
                "uuid": str(uuid.uuid4()), "business": code, "method": "cash", "lines": [{"item": item, "quantity": 1}]})
            with lock:
                results["sales"].append((0, 0))

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(args.phones)] + [threading.Thread(target=seller)]
    try:
        for thread in threads:
            thread.start()
        for _ in range(args.phones):  # every phone has made its first, unmeasured poll
            loaded.acquire()
        primed.set()
        time.sleep(args.seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        gunicorn.terminate()
        gunicorn.wait(timeout=30)

    polls = len(results["304"]) + len(results["200"])
    floor_p95 = percentile([ms for ms, _ in results["trivial"]], 95)
    print(f"\n{args.phones} phones polling every {args.interval:.0f} s for {args.seconds} s, "
          f"a sale every {args.sale_every:.0f} s ({len(results['sales'])} sales), gunicorn {args.workers} sync workers\n")
    print(f"{'what':<28}{'count':>7}{'p50 ms':>8}{'p95 ms':>8}{'bytes':>8}{'p95/floor':>10}")
    for kind, label in (("trivial", "trivial view (/health/)"), ("304", "live poll, unchanged (304)"),
                        ("200", "live poll, changed (200)")):
        rows = results[kind]
        if not rows:
            continue
        p95 = percentile([ms for ms, _ in rows], 95) if len(rows) > 1 else rows[0][0]
        print(f"{label:<28}{len(rows):>7}{statistics.median(ms for ms, _ in rows):>8.1f}{p95:>8.1f}"
              f"{statistics.median(b for _, b in rows):>8.0f}{p95 / floor_p95:>10.2f}")
    others = {k: len(v) for k, v in results.items() if k not in ("trivial", "304", "200", "sales")}
    print(f"\npolls answered 304: {len(results['304']) / max(polls, 1):.1%} of {polls}"
          + (f"; other statuses {others}" if others else ""))


if __name__ == "__main__":
    main()
