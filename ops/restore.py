"""Restore a backup set (ops/backup.py) into a fresh database and prove it is the same data.

    python ops/restore.py --source offsite:biashara-backups/shop1 --identity ~/owner-backup.key \\
        --superuser-url postgresql://postgres@/postgres?host=/run/postgresql \\
        --database biashara_drill [--stamp 20261130-0230] [--media-to /tmp/drill-media]

--source is a local backup directory or an rclone remote (RCLONE_CONFIG_* in the environment).
The identity is the age private key, kept off the server (the owner's laptop, a password manager).

Steps, each timed: fetch the set → decrypt → CREATE DATABASE … OWNER biashara_owner → pg_restore as
the owner role → grant the app role (manage.py migrate as the owner: applies newer migrations and
the grants), after comparing every table's row count and the ledger's chain head with the manifest →
`manage.py verify_ledger` as the app role. Prints a JSON report; exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from backup import BackupError, chain_head, run, sha256, stamp_of, table_counts  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OWNER_ROLE, APP_ROLE = "biashara_owner", "biashara_app"


def with_database(url: str, database: str, user: str | None = None) -> str:
    """The same server (host, port, socket query) with another database and, optionally, user."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if user:
        host = netloc.rsplit("@", 1)[-1] if "@" in netloc else netloc
        password = os.environ.get(f"RESTORE_{user.upper()}_PASSWORD", "")
        netloc = f"{user}:{password}@{host}" if password else f"{user}@{host}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}"))


def fetch(source: str, stamp: str | None, into: Path) -> str:
    """Copy the newest complete set (or ``stamp``) into ``into``; return its stamp."""
    local = Path(source)
    if local.is_dir():
        names = [p.name for p in local.iterdir()]
    else:
        names = json.loads(run(["rclone", "--config", os.environ.get("RCLONE_CONFIG", "/dev/null"),
                                "lsjson", source]).stdout)
        names = [entry["Name"] for entry in names]
    complete = sorted(stamp_of(n) for n in names if n.startswith("manifest-") and stamp_of(n))
    if not complete:
        raise BackupError(f"no complete backup set (with a manifest) in {source}")
    stamp = stamp or complete[-1]
    if stamp not in complete:
        raise BackupError(f"no complete backup set {stamp} in {source}")
    for name in (n for n in names if stamp_of(n) == stamp):
        if local.is_dir():
            (into / name).write_bytes((local / name).read_bytes())
        else:
            run(["rclone", "--config", os.environ.get("RCLONE_CONFIG", "/dev/null"), "copyto",
                 f"{source}/{name}", str(into / name)])
    return stamp


def decrypt(identity: str, encrypted: Path) -> Path:
    plain = encrypted.with_suffix("")  # "x.dump.age" -> "x.dump"
    run(["age", "--decrypt", "--identity", identity, "--output", str(plain), str(encrypted)])
    return plain


def manage(args: list[str], database_url: str, **extra_env) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url,
           "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "backoffice.settings.production"),
           **extra_env}
    return run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT)


def restore(args) -> dict:
    import psycopg

    timings, report = {}, {}

    def timed(name, function, *a, **kw):
        started = time.monotonic()
        value = function(*a, **kw)
        timings[name] = round(time.monotonic() - started, 2)
        return value

    with tempfile.TemporaryDirectory(prefix="biashara-restore-") as scratch:
        scratch = Path(scratch)
        os.chmod(scratch, 0o700)
        stamp = timed("fetch", fetch, args.source, args.stamp, scratch)
        manifest = json.loads((scratch / f"manifest-{stamp}.json").read_text())
        for name, expected in manifest["files"].items():
            if sha256(scratch / name) != expected["sha256"]:
                raise BackupError(f"{name} does not match its manifest checksum")
        dump = timed("decrypt", decrypt, args.identity, scratch / f"db-{stamp}.dump.age")

        with psycopg.connect(args.superuser_url, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [args.database]).fetchone():
                raise BackupError(f"database {args.database} exists: restore into a fresh one")
            conn.execute(f'CREATE DATABASE "{args.database}" OWNER "{OWNER_ROLE}"')
        superuser_db = with_database(args.superuser_url, args.database)
        owner_db = with_database(args.superuser_url, args.database, OWNER_ROLE)
        app_db = with_database(args.superuser_url, args.database, APP_ROLE)
        # As the owner, so every restored object belongs to it (whoever owned it where it was dumped).
        timed("pg_restore", run, ["pg_restore", "--exit-on-error", "--no-owner", "--no-privileges",
                                  f"--jobs={args.jobs}", f"--dbname={owner_db}", str(dump)])
        with psycopg.connect(superuser_db) as conn:
            counts, head = table_counts(conn), chain_head(conn)
        timed("migrate_and_grant", manage, ["migrate", "--noinput"], owner_db)
        differences = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
        report.update(stamp=stamp, tables=len(counts), rows=sum(counts.values()), chain_head=head,
                      row_count_differences=differences, chain_head_matches=head == manifest["chain_head"])
        # a restored copy is older than the live chain head anchor (it rightly says entries are
        # missing), so the copy is checked against itself: seals, links and accounts
        verified = timed("verify_ledger", manage, ["verify_ledger"], app_db,
                         LEDGER_ANCHOR_DIR=str(scratch / "ledger-anchors"))
        report["verify_ledger"] = verified.stdout.strip()

        if args.media_to:
            media = decrypt(args.identity, scratch / f"media-{stamp}.tar.gz.age")
            target = Path(args.media_to)
            target.mkdir(parents=True, exist_ok=True)
            with tarfile.open(media) as tar:
                timed("media", tar.extractall, target, filter="data")
    report["seconds"] = timings
    report["total_seconds"] = round(sum(timings.values()), 2)
    report["database_url_app"] = app_db
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", required=True)
    parser.add_argument("--identity", required=True, help="age identity file (the private key)")
    parser.add_argument("--superuser-url", required=True, help="creates the database; restores run as the owner")
    parser.add_argument("--database", required=True)
    parser.add_argument("--stamp")
    parser.add_argument("--media-to")
    parser.add_argument("--jobs", type=int, default=2, help="pg_restore parallel jobs (cores)")
    args = parser.parse_args(argv)
    try:
        report = restore(args)
    except BackupError as error:
        print(f"restore: FAILED: {error}", file=sys.stderr)
        return 1
    print(json.dumps(report, indent=1))
    ok = not report["row_count_differences"] and report["chain_head_matches"]
    if not ok:
        print("restore: the restored data differs from the backup's manifest", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
