"""Memory of the running `make run` stack: gunicorn, RQ worker, RQ cron, Redis and PostgreSQL.

    .venv/bin/python ops/bench/stack_memory.py [--data .data/dev]

RSS double-counts pages that processes share (PostgreSQL's shared buffers, gunicorn's forked
workers); PSS splits shared pages fairly and is the honest total for a 4 GB budget.
"""

import argparse
from collections import defaultdict
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]


def component(proc, data_dir):
    cmdline = " ".join(proc.info["cmdline"] or [])
    if "backoffice.wsgi" in cmdline:
        return "gunicorn"
    if "rqworker" in cmdline:
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", default=str(ROOT / ".data" / "dev"))
    data_dir = Path(parser.parse_args().data).resolve()
    totals = defaultdict(lambda: [0, 0, 0])
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            name = component(proc, data_dir)
            if not name:
                continue
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        totals[name][0] += 1
        totals[name][1] += info.rss
        totals[name][2] += info.pss
    if not totals:
        raise SystemExit("nothing running: start `make run` first")
    print(f"{'component':<12}{'procs':>6}{'RSS MB':>10}{'PSS MB':>10}")
    for name, (count, rss, pss) in sorted(totals.items()):
        print(f"{name:<12}{count:>6}{rss / 2**20:>10.1f}{pss / 2**20:>10.1f}")
    count, rss, pss = (sum(v[i] for v in totals.values()) for i in range(3))
    print(f"{'total':<12}{count:>6}{rss / 2**20:>10.1f}{pss / 2**20:>10.1f}")


if __name__ == "__main__":
    main()
