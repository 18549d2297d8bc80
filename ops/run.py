"""`make run`: embedded services, migrations, collected static, demo data, then gunicorn, an RQ
worker and the RQ cron scheduler.

Ctrl-C stops every child and then the embedded PostgreSQL and Redis; data stays in .data/dev.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import services  # noqa: E402

ROOT = services.ROOT
PYTHON = sys.executable
PORT = os.environ.get("PORT", "8000")


def manage(*args, env):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


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
        for command in (
            gunicorn,
            [PYTHON, "manage.py", "rqworker", "default", "--with-scheduler"],
            [PYTHON, "manage.py", "rqcron", "backoffice.schedules"],
        ):
            # Own session: Ctrl-C reaches only this supervisor, which then stops the children in order.
            children.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))
        services.wait_for_http(f"http://127.0.0.1:{PORT}/health/", seconds=180)  # a loaded 2-core box boots slowly
        print(
            f"\nBiashara is ready in {time.monotonic() - started:.1f} s: http://127.0.0.1:{PORT}/admin/\n"
            f"Logins: owner, accountant, water_staff, laundry_staff, shop_staff; "
            f"password {os.environ.get('DEMO_PASSWORD') or 'demo-pass-2026'}\n"
            f"Public site http://127.0.0.1:{PORT}/  CMS http://127.0.0.1:{PORT}/cms/  Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a process exited; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if owns_services:
            services.down("dev")
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
