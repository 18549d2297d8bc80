"""`make run`: embedded services, migrations, collected static, demo data, then gunicorn, an RQ
worker and the RQ cron scheduler.

A supervisor keeps the stack up: when the embedded Redis dies it is started again, and a worker,
scheduler or web server that exits is restarted with backoff (1 s, doubling to 30 s; reset after a
minute of running). Nothing else is stopped: the web app keeps serving while Redis is away.
Ctrl-C stops every child and then the embedded PostgreSQL and Redis; data stays in .data/dev.
"""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402

ROOT = services.ROOT
PYTHON = sys.executable
PORT = os.environ.get("PORT", "8000")
FIRST_BACKOFF, MAX_BACKOFF, STABLE_AFTER = 1.0, 30.0, 60.0


def manage(*args, env):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def log(message):
    print(f"[run] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


@dataclass
class Child:
    """A supervised process: restarted with backoff whenever it exits."""

    name: str
    command: list[str]
    env: dict
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = FIRST_BACKOFF
    restart_at: float | None = None
    restarts: int = field(default=0)

    def start(self):
        # Own session: Ctrl-C reaches only this supervisor, which then stops the children in order.
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, start_new_session=True)
        self.started_at, self.restart_at = time.monotonic(), None

    def check(self):
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restarts += 1
                log(f"restarting {self.name} (restart {self.restarts})")
                self.start()
            return
        code = self.process.poll()
        if code is None:
            if now - self.started_at > STABLE_AFTER:
                self.backoff = FIRST_BACKOFF
            return
        if now - self.started_at > STABLE_AFTER:
            self.backoff = FIRST_BACKOFF
        log(f"{self.name} exited with {code}; restarting in {self.backoff:.0f} s")
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self):
        if not self.process:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class EmbeddedRedis:
    """Starts the embedded Redis again (same data dir, AOF) when it stops answering, with backoff."""

    def __init__(self, base: Path):
        self.base, self.backoff, self.retry_at = base, FIRST_BACKOFF, 0.0

    def check(self):
        if services.redis_alive(self.base) or time.monotonic() < self.retry_at:
            return
        log("embedded Redis is down; starting it again")
        try:
            services.redis_up(self.base)
            self.backoff = FIRST_BACKOFF
            log("embedded Redis is back")
        except Exception as error:  # noqa: BLE001 (keep supervising whatever went wrong)
            log(f"embedded Redis did not start ({error}); next try in {self.backoff:.0f} s")
            self.retry_at = time.monotonic() + self.backoff
            self.backoff = min(self.backoff * 2, MAX_BACKOFF)


def main() -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop like Ctrl-C: run the cleanup below
    started = time.monotonic()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "backoffice.settings.dev"),
        "TZ": "Africa/Nairobi",
        # served like production: minified admin JS, collected static with brotli/gzip copies and
        # far-future caching (WhiteNoise); DJANGO_DEBUG=1 for tracebacks and uncollected static
        "DJANGO_DEBUG": os.environ.get("DJANGO_DEBUG", "0"),
        "STATIC_ROOT": os.environ.get("STATIC_ROOT", str(ROOT / ".data" / "dev" / "static")),
        # the M-Pesa simulator is served by this same server
        "MPESA_BASE_URL": os.environ.get("MPESA_BASE_URL", f"http://127.0.0.1:{PORT}/simulator/daraja"),
        "MPESA_CALLBACK_BASE_URL": os.environ.get("MPESA_CALLBACK_BASE_URL", f"http://127.0.0.1:{PORT}"),
    }
    owns_services = not services.running("dev")
    embedded_redis = None if os.environ.get("REDIS_URL") else EmbeddedRedis(services.instance_dir("dev"))
    env.update(services.up("dev"))
    children = []
    try:
        manage("migrate", "--noinput", env={**env, "DATABASE_URL": env.get("DATABASE_OWNER_URL", env["DATABASE_URL"])})
        manage("configure_redis", env=env)
        if env["DJANGO_DEBUG"] != "1":
            manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
        manage("seed_demo", env=env)
        gunicorn = [
            PYTHON, "-m", "gunicorn", "--pythonpath", "site", "backoffice.wsgi",
            "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--worker-class", "sync",
            "--timeout", "30", "--access-logfile", "-",
        ]
        children = [
            Child("web", gunicorn, env),
            Child("worker", [PYTHON, "manage.py", "rqworker", "default", "--with-scheduler"], env),
            Child("scheduler", [PYTHON, "manage.py", "rqcron", "backoffice.schedules"], env),
        ]
        for child in children:
            child.start()
        services.wait_for_http(f"http://127.0.0.1:{PORT}/health/", seconds=180)  # a loaded 2-core box boots slowly
        print(
            f"\nBiashara is ready in {time.monotonic() - started:.1f} s: http://127.0.0.1:{PORT}/admin/\n"
            f"Logins: owner, accountant, water_staff, laundry_staff, shop_staff; "
            f"password {os.environ.get('DEMO_PASSWORD') or 'demo-pass-2026'}\n"
            f"Public site http://127.0.0.1:{PORT}/  CMS http://127.0.0.1:{PORT}/cms/  Ctrl-C stops everything.\n",
            flush=True,
        )
        while True:
            time.sleep(0.5)
            if embedded_redis:
                embedded_redis.check()
            for child in children:
                child.check()
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        for child in children:
            child.stop()
        for child in children:
            child.wait()
        if owns_services:
            services.down("dev")
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
