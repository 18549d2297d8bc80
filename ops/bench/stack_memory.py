"""Memory of the stack: gunicorn, RQ worker (and its work horse), RQ cron, Redis and PostgreSQL.

    .venv/bin/python ops/bench/stack_memory.py [--data .data/dev]       # the running `make run` stack, now
    .venv/bin/python ops/services.py exec --instance bench -- \
        .venv/bin/python ops/bench/stack_memory.py --load [--seconds 180]  # 20 people on a year of data

RSS double-counts pages that processes share (PostgreSQL's shared buffers, gunicorn's forked
workers); PSS splits shared pages fairly and is the honest total for a 4 GB budget.

--load starts the stack as production runs it (harness.py: gunicorn 3 sync workers as the app role,
one RQ worker, the cron scheduler) on the instance's PostgreSQL and Redis (a year of history: run
`manage.py generate_history --days 365 --per-day 500` into it once, or ops/bench/sales_concurrency.py),
then 15 sellers, 4 owners polling and 1 accountant exporting the ledger's journal lines again and
again, sampling every component's PSS every 2 s: idle (before the load), mean and peak under load,
and the peak of the whole stack's sum.
"""

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


def component(proc, data_dir, groups=None):
    """Which part of this stack ``proc`` is, or None. App processes are this checkout's (cwd), and,
    with ``groups``, in one of those process groups (the machine may run other stacks)."""
    cmdline = " ".join(proc.info["cmdline"] or [])
    if any(word in cmdline for word in ("backoffice.wsgi", "rqworker", "rqcron", "rq:")):
        try:
            if proc.cwd() != str(ROOT) or (groups is not None and os.getpgid(proc.pid) not in groups):
                return None
        except (psutil.Error, OSError):
            return None
    if "backoffice.wsgi" in cmdline:
        return "gunicorn"
    if "rqworker" in cmdline or cmdline.startswith("rq:work-horse") or "rq:" in proc.info["name"]:
        return "rq worker"
    if "rqcron" in cmdline:
        return "rq cron"
    if "redis-server" in cmdline and str(data_dir) in (proc.cwd() + cmdline):
        return "redis"
    if proc.info["name"] == "postgres" or cmdline.startswith("postgres"):
        try:
            if any(str(data_dir) in part for part in proc.cmdline()) or str(data_dir) in proc.cwd():
                return "postgresql"
        except psutil.Error:
            return None
    return None


def sample(data_dir, groups=None) -> dict[str, list[int]]:
    """{component: [processes, RSS, PSS]} right now."""
    totals = defaultdict(lambda: [0, 0, 0])
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            name = component(proc, data_dir, groups)
            if not name:
                continue
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        totals[name][0] += 1
        totals[name][1] += info.rss
        totals[name][2] += info.pss
    return dict(totals)


def snapshot(data_dir):
    totals = sample(data_dir)
    if not totals:
        raise SystemExit("nothing running: start `make run` first")
    print(f"{'component':<12}{'procs':>6}{'RSS MB':>10}{'PSS MB':>10}")
    for name, (count, rss, pss) in sorted(totals.items()):
        print(f"{name:<12}{count:>6}{rss / 2**20:>10.1f}{pss / 2**20:>10.1f}")
    count, rss, pss = (sum(v[i] for v in totals.values()) for i in range(3))
    print(f"{'total':<12}{count:>6}{rss / 2**20:>10.1f}{pss / 2**20:>10.1f}")


def apply_guide_postgres_settings(instance: str):
    """The deploy guide's PostgreSQL settings (step 4, the conf.d block), on the embedded server, restarted."""
    import re

    import psycopg

    sys.path.insert(0, str(ROOT / "ops"))
    import services

    guide = (ROOT / "ops" / "deploy" / "README.md").read_text()
    block = re.search(r"biashara\.conf <<'EOF'\n(.*?)\nEOF", guide, re.S).group(1)
    settings = dict(line.split(" = ", 1) for line in block.splitlines() if " = " in line)
    with psycopg.connect(os.environ["DATABASE_SUPERUSER_URL"], autocommit=True) as conn:
        for name, value in settings.items():
            conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
    services.postgres_down(services.instance_dir(instance))
    services.postgres_up(services.instance_dir(instance))
    print("PostgreSQL settings from the deploy guide: " + ", ".join(f"{k}={v}" for k, v in settings.items()))


def under_load(seconds: int, instance: str):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import BASE, Load, Stack, sellable_items, services, setup, summary

    apply_guide_postgres_settings(instance)
    setup()
    from modules.core.sales.models import Sale

    sales = Sale.objects.count()
    data_dir = services.instance_dir(instance)
    stack, load = Stack(), Load(sellers=15, pollers=4, exporters=1)
    idle, under = None, []
    try:
        for name in ("web", "worker", "cron"):
            stack.start(name)
        services.wait_for_http(f"{BASE}/health/", 120)
        time.sleep(10)
        groups = {process.pid for process in stack.processes.values()}  # each child leads its own group
        idle = sample(data_dir, groups)
        load.start(sellable_items())
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            under.append(sample(data_dir, groups))
            time.sleep(2)
    finally:
        load.stop()
        stack.stop()
    names = sorted(set(idle) | {n for s in under for n in s})
    mb = 2**20
    print(f"\n{sales:,} sales in the database; {seconds} s of 15 sellers, 4 owners polling, 1 accountant "
          f"exporting; {len(under)} samples\n")
    print(f"{'component':<12}{'procs':>6}{'idle PSS':>10}{'mean PSS':>10}{'peak PSS':>10}  MB")
    for name in names:
        values = [s.get(name, [0, 0, 0])[2] for s in under]
        procs = max(s.get(name, [0])[0] for s in under)
        print(f"{name:<12}{procs:>6}{idle.get(name, [0, 0, 0])[2] / mb:>10.0f}"
              f"{sum(values) / len(values) / mb:>10.0f}{max(values) / mb:>10.0f}")
    totals = [sum(v[2] for v in s.values()) for s in under]
    print(f"{'stack':<12}{'':>6}{sum(v[2] for v in idle.values()) / mb:>10.0f}"
          f"{sum(totals) / len(totals) / mb:>10.0f}{max(totals) / mb:>10.0f}   (peak of the sum)")
    print(f"\ntraffic: {summary(load.window(0))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT / ".data" / "dev"))
    parser.add_argument("--load", action="store_true", help="start the stack and 20 people, sample PSS")
    parser.add_argument("--instance", default="bench", help="with --load: the embedded instance's data dir")
    parser.add_argument("--seconds", type=int, default=180)
    args = parser.parse_args()
    if args.load:
        under_load(args.seconds, args.instance)
    else:
        snapshot(Path(args.data).resolve())


if __name__ == "__main__":
    main()
