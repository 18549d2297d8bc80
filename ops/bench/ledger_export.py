"""Export a year of ledger lines two ways, in the same run: the desk's streaming background job
and django-import-export's default resource export (what its admin export button does).

    .venv/bin/python ops/services.py exec --instance bench -- .venv/bin/python ops/bench/ledger_export.py \
        [--days 365] [--per-day 500] [--keep]

Runs on a throw-away database (bench_export, dropped at the end unless --keep, and reused when it
already holds history). History comes from `manage.py generate_history --days … --per-day …`.
Each export runs in its own fresh Python process, so its peak RSS (ru_maxrss of that process,
read with getrusage when the export ends) is the export's alone:

* streaming: the real path. The accountant's POST to the desk (timed) creates the ExportJob row
  and enqueues it on RQ; then an RQ
  SimpleWorker (the worker process itself, no fork) runs jobs.run_export: keyset-paginated
  values_list chunks → csv.writer → file.
* import-export: JournalLineResource().export(queryset) → tablib Dataset → CSV().export_data()
  → file, the same rows and columns (the admin's ExportMixin.get_export_data does exactly this).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "site"), str(ROOT)]
BENCH_DB = "bench_export"


def bench_url(superuser_url: str) -> str:
    path_start = superuser_url.index("/", superuser_url.index("://") + 3)
    query = superuser_url[superuser_url.index("?"):] if "?" in superuser_url else ""
    return superuser_url[:path_start] + "/" + BENCH_DB + query


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=500)
    parser.add_argument("--keep", action="store_true", help="keep the bench database for another run")
    parser.add_argument("--child", choices=["streaming", "import-export"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.test")
    if args.child:
        child(args.child, Path(args.out))
        return

    import psycopg

    superuser_url = os.environ.get("DATABASE_SUPERUSER_URL") or os.environ["DATABASE_URL"]
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ["DATABASE_URL"] = bench_url(superuser_url)
    try:
        prepare(args.days, args.per_day)
        results = [measure(method) for method in ("streaming", "import-export")]
        report(results)
    finally:
        if not args.keep:
            with psycopg.connect(superuser_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def prepare(days: int, per_day: int) -> None:
    env = {**os.environ}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
    probe = subprocess.run([*manage, "shell", "-c",
                            "from modules.core.sales.models import Sale; print(Sale.objects.count())"],
                           env=env, check=True, cwd=ROOT, capture_output=True, text=True)
    if int(probe.stdout.strip().splitlines()[-1]) >= days * per_day * 0.9:
        print(f"reusing the history already in {BENCH_DB}")
        return
    subprocess.run([*manage, "seed_demo", "--verbosity", "0"], env=env, check=True, cwd=ROOT)
    started = time.monotonic()
    subprocess.run([*manage, "generate_history", "--days", str(days), "--per-day", str(per_day)], env=env,
                   check=True, cwd=ROOT)
    print(f"history generated in {time.monotonic() - started:.0f} s")


def measure(method: str) -> dict:
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-export-{method}.csv"
    done = subprocess.run([sys.executable, __file__, "--child", method, "--out", str(out)], env=os.environ,
                          check=True, cwd=ROOT, capture_output=True, text=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["file_mb"] = out.stat().st_size / 2**20 if out.exists() else 0
    out.unlink(missing_ok=True)
    return result


def child(method: str, out: Path) -> None:
    import django

    django.setup()
    import django_rq
    from django.contrib.auth.models import User
    from rq.worker import SimpleWorker

    from modules.core.exports import services
    from modules.core.exports.models import ExportJob
    from modules.core.exports.specs import spec
    from modules.core.ledger.models import JournalLine

    lines = spec("ledger.journal_lines")
    owner = User.objects.get(username="owner")
    JournalLine.objects.order_by("pk").first()  # warm the connection and the model caches for both
    ready_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    if method == "streaming":
        from django.conf import settings

        settings.EXPORTS_ROOT = out.parent / "bench-exports"
        from django.test import Client

        queue = django_rq.get_queue("default")
        queue.empty()
        client = Client()
        client.force_login(User.objects.get(username="accountant"))
        client.get("/admin/desk/")  # warm up: templates, URL resolver
        ExportJob.objects.all().delete()
        queue.empty()
        requested = time.perf_counter()
        response = client.post("/admin/desk/", {"kind": lines.key, "file_format": "csv"})
        request_ms = (time.perf_counter() - requested) * 1000
        assert response.status_code == 302, response.status_code
        started = time.perf_counter()
        django_rq.get_worker("default", worker_class=SimpleWorker).work(burst=True)
        job = ExportJob.objects.get()
        assert job.status == "done", job.error
        path = services.file_of(job)
        path.replace(out)
        rows = job.rows_done
    else:
        from import_export.formats.base_formats import CSV

        queryset = services.scoped_queryset(lines, owner, {})
        dataset = lines.resource_class().export(queryset)
        data = CSV().export_data(dataset)
        out.write_text(data, encoding="utf-8")
        rows = len(dataset)
        request_ms = None
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"method": method, "rows": rows, "seconds": seconds, "peak_rss_mb": peak / 1024,
                      "ready_rss_mb": ready_rss / 1024, "request_ms": request_ms}))


def report(results: list[dict]) -> None:
    print()
    print(f"| export | rows | seconds | rows/s | peak RSS (MB) | RSS before export (MB) | file (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['method']} | {r['rows']:,} | {r['seconds']:.1f} | {r['rows'] / r['seconds']:,.0f} | "
              f"{r['peak_rss_mb']:.0f} | {r['ready_rss_mb']:.0f} | {r['file_mb']:.0f} |")
    fast, slow = results
    speedup = (fast["rows"] / fast["seconds"]) / (slow["rows"] / slow["seconds"])
    print(f"\nstreaming is {speedup:.1f}x faster (goal >= 5x) at {fast['peak_rss_mb']:.0f} MB peak RSS "
          f"(goal <= 100 MB); import-export peaked at {slow['peak_rss_mb']:.0f} MB.")
    print(f"the request that started the streaming export answered in {fast['request_ms']:.0f} ms (goal < 200 ms).")


if __name__ == "__main__":
    main()
