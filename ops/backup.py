"""Nightly backup: pg_dump (custom format) + media, encrypted with age, copied off-site over S3.

    python ops/backup.py            # run by biashara-backup.service (ops/deploy/README.md, "Backups")

Environment:
  DATABASE_URL            libpq URI of the OWNER role (it reads every table; pg_dump needs that)
  MEDIA_ROOT              uploads directory to archive
  BACKUP_DIR              local copies (default /var/backups/biashara)
  BACKUP_AGE_RECIPIENTS   file of age public keys (one a line); the private key is NOT on the server
  BACKUP_REMOTE           rclone destination, e.g. "offsite:biashara-backups/shop1"; rclone reads the
                          remote's settings from RCLONE_CONFIG_OFFSITE_* variables (see the guide)
  BACKUP_KEEP_DAYS (35), BACKUP_KEEP_MONTHS (84), BACKUP_KEEP_YEARS (7): retention, local and remote
  BACKUP_NOW              YYYYmmdd-HHMM, tests only
  BACKUP_CHECKPOINT       a manage.py command that prints the ledger's chain head as JSON
                          (default "ledger_checkpoint"); run and kept beside the dump when it exists

One backup is a *set* of files sharing a stamp: db-STAMP.dump.age, media-STAMP.tar.gz.age,
manifest-STAMP.json (row counts and the chain head read in the dump's own snapshot, sizes and
SHA-256 of the encrypted files) and, when the ledger provides it, checkpoint-STAMP.json. The
manifest is written last: a set without one is incomplete and is never restored or counted.
Every run is recorded in PostgreSQL (system.BackupRun), which the health watcher reads.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAMP_FORMAT = "%Y%m%d-%H%M"
KINDS = ("db", "media", "checkpoint", "manifest")


class BackupError(RuntimeError):
    pass


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=kwargs.pop("text", True), **kwargs)
    if result.returncode:
        raise BackupError(f"{command[0]} exited {result.returncode}: {str(result.stderr)[-1000:]}")
    return result


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- retention ---------------------------------------------------------------------------------

def stamp_of(name: str) -> str | None:
    """"db-20260101-0230.dump.age" -> "20260101-0230"; None for files that are not ours."""
    kind, _, rest = name.partition("-")
    stamp = rest[:13]
    if kind not in KINDS or len(stamp) != 13:
        return None
    try:
        datetime.strptime(stamp, STAMP_FORMAT)
    except ValueError:
        return None
    return stamp


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def keep(stamps: list[str], today: date, days: int = 35, months: int = 84, years: int = 7) -> set[str]:
    """Grandfather-father-son: every set of the last ``days`` days, the first set of each of the last
    ``months`` months, the first set of each of the last ``years`` years (KRA keeps 7)."""
    kept, first_of_month, first_of_year = set(), {}, {}
    for stamp in sorted(stamps):
        day = datetime.strptime(stamp, STAMP_FORMAT).date()
        first_of_month.setdefault((day.year, day.month), stamp)
        first_of_year.setdefault(day.year, stamp)
        if (today - day).days < days:
            kept.add(stamp)
    kept |= {s for (y, m), s in first_of_month.items() if months_between(date(y, m, 1), today) < months}
    kept |= {s for y, s in first_of_year.items() if today.year - y < years}
    return kept


def prune_plan(names: list[str], today: date, now_stamp: str, **limits) -> list[str]:
    """Names to delete. Deletes nothing when the newest earlier set is dated after today or more than
    twice the daily window ago (a wrong clock or a long outage: prune by hand once understood)."""
    complete = sorted({stamp_of(n) for n in names if n.startswith("manifest-") and stamp_of(n)})
    earlier = [s for s in complete if s != now_stamp]
    if earlier:
        newest = datetime.strptime(earlier[-1], STAMP_FORMAT).date()
        if newest > today or (today - newest).days > 2 * limits.get("days", 35):
            return []
    kept = keep(complete, today, **limits) | {now_stamp}

    def doomed(name: str) -> bool:
        stamp = stamp_of(name)
        if not stamp or stamp in kept:
            return False
        # a set without a manifest is the remains of a failed run: deleted once a day old
        return stamp in complete or (today - datetime.strptime(stamp, STAMP_FORMAT).date()).days > 1

    return sorted(filter(doomed, names))


# --- the backup ---------------------------------------------------------------------------------

@dataclass
class Config:
    database_url: str
    media_root: Path
    backup_dir: Path
    recipients: Path
    remote: str
    days: int
    months: int
    years: int
    now: str
    checkpoint: str

    @classmethod
    def from_env(cls) -> Config:
        env = os.environ
        missing = [name for name in ("DATABASE_URL", "MEDIA_ROOT", "BACKUP_AGE_RECIPIENTS") if not env.get(name)]
        if missing:
            raise BackupError(f"not set: {', '.join(missing)}")
        return cls(
            database_url=env["DATABASE_URL"], media_root=Path(env["MEDIA_ROOT"]),
            backup_dir=Path(env.get("BACKUP_DIR", "/var/backups/biashara")),
            recipients=Path(env["BACKUP_AGE_RECIPIENTS"]), remote=env.get("BACKUP_REMOTE", ""),
            days=int(env.get("BACKUP_KEEP_DAYS", 35)), months=int(env.get("BACKUP_KEEP_MONTHS", 84)),
            years=int(env.get("BACKUP_KEEP_YEARS", 7)),
            now=env.get("BACKUP_NOW") or datetime.now().strftime(STAMP_FORMAT),
            checkpoint=env.get("BACKUP_CHECKPOINT", "ledger_checkpoint"),
        )


def encrypt(config: Config, plain: Path, target: Path) -> None:
    run(["age", "--encrypt", "--recipients-file", str(config.recipients), "--output", str(target), str(plain)])


def dump_database(config: Config, target: Path) -> dict:
    """pg_dump inside an exported snapshot: the row counts and chain head in the manifest are those
    of the dump itself, so a restore can be compared exactly."""
    import psycopg

    plain = target.with_suffix(".partial")
    with psycopg.connect(config.database_url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = table_counts(conn)
        head = chain_head(conn)
        started = time.monotonic()
        run(["pg_dump", "--format=custom", "--no-password", f"--snapshot={snapshot}",
             f"--dbname={config.database_url}", f"--file={plain}"])
        seconds = time.monotonic() - started
    try:
        listing = run(["pg_restore", "--list", str(plain)]).stdout
        if " TABLE DATA " not in listing:
            raise BackupError(f"pg_restore --list shows no TABLE DATA in {plain}")
        encrypt(config, plain, target)
        return {"tables": counts, "chain_head": head, "dump_seconds": round(seconds, 2),
                "plain_bytes": plain.stat().st_size}
    finally:
        plain.unlink(missing_ok=True)


def table_counts(conn) -> dict[str, int]:
    tables = [row[0] for row in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}


def chain_head(conn) -> dict | None:
    exists = conn.execute("SELECT to_regclass('public.ledger_journalentry')").fetchone()[0]
    if not exists:
        return None
    row = conn.execute("SELECT number, seal FROM ledger_journalentry ORDER BY number DESC LIMIT 1").fetchone()
    return {"number": row[0], "seal": row[1]} if row else {"number": 0, "seal": ""}


def archive_media(config: Config, target: Path) -> None:
    if not config.media_root.is_dir():
        raise BackupError(f"MEDIA_ROOT={config.media_root} is not a directory")
    plain = target.with_suffix(".partial")
    try:
        with tarfile.open(plain, "w:gz") as tar:
            tar.add(config.media_root, arcname=config.media_root.name)
        encrypt(config, plain, target)
    finally:
        plain.unlink(missing_ok=True)


def write_checkpoint(config: Config, target: Path) -> bool:
    """The ledger's anchor, written with the backup, if the ledger offers the command."""
    manage = [sys.executable, str(ROOT / "manage.py")]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                  "backoffice.settings.production")}
    if subprocess.run([*manage, "help", config.checkpoint], capture_output=True, env=env).returncode:
        return False
    target.write_text(run([*manage, config.checkpoint], env=env).stdout)
    return True


def rclone(*args: str) -> subprocess.CompletedProcess:
    return run(["rclone", "--config", os.environ.get("RCLONE_CONFIG", "/dev/null"), *args])


def copy_offsite(config: Config, files: list[Path]) -> None:
    """Upload, then compare sizes and checksums with the remote's listing before trusting it."""
    for path in files:
        rclone("copyto", str(path), f"{config.remote}/{path.name}")
    listed = {entry["Name"]: entry for entry in json.loads(rclone("lsjson", "--hash", config.remote).stdout)}
    for path in files:
        entry = listed.get(path.name)
        if entry is None or entry["Size"] != path.stat().st_size:
            raise BackupError(f"off-site copy of {path.name} is missing or has the wrong size")
        md5 = (entry.get("Hashes") or {}).get("md5")
        if md5 and md5 != hashlib.md5(path.read_bytes()).hexdigest():
            raise BackupError(f"off-site copy of {path.name} differs from the local file")


def prune(config: Config, names: list[str], delete) -> list[str]:
    plan = prune_plan(names, datetime.strptime(config.now, STAMP_FORMAT).date(), config.now,
                      days=config.days, months=config.months, years=config.years)
    for name in plan:
        delete(name)
    return plan


def record(config: Config, **fields) -> None:
    """One row in system_backuprun for the health watcher; a failure to record is reported, not fatal."""
    import psycopg

    columns = ["stamp", "finished_at", "ok", "offsite_ok", "db_bytes", "media_bytes", "message"]
    values = [config.now, datetime.now().astimezone(), fields["ok"], fields["offsite_ok"],
              fields.get("db_bytes", 0), fields.get("media_bytes", 0), fields.get("message", "")[:2000]]
    try:
        with psycopg.connect(config.database_url, autocommit=True) as conn:
            conn.execute(f"INSERT INTO system_backuprun ({', '.join(columns)}) VALUES "
                         f"({', '.join(['%s'] * len(columns))})", values)
    except psycopg.Error as error:
        print(f"backup: could not record the run in PostgreSQL: {error}", file=sys.stderr)


def backup(config: Config) -> dict:
    config.backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = open(config.backup_dir / ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as error:
        raise BackupError("another backup is running") from error
    directory, stamp = config.backup_dir, config.now
    db, media = directory / f"db-{stamp}.dump.age", directory / f"media-{stamp}.tar.gz.age"
    manifest_path, checkpoint = directory / f"manifest-{stamp}.json", directory / f"checkpoint-{stamp}.json"
    if manifest_path.exists():
        raise BackupError(f"{manifest_path} already exists")
    started = time.monotonic()
    database = dump_database(config, db)
    archive_media(config, media)
    files = [db, media] + ([checkpoint] if write_checkpoint(config, checkpoint) else [])
    manifest = {"stamp": stamp, "created_at": datetime.now().astimezone().isoformat(), **database,
                "files": {f.name: {"bytes": f.stat().st_size, "sha256": sha256(f)} for f in files}}
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    files.append(manifest_path)  # last: a set with a manifest is complete
    local_pruned = prune(config, [p.name for p in directory.iterdir() if p.is_file()],
                         lambda name: (directory / name).unlink())
    offsite_error, remote_pruned = "", []
    if config.remote:
        try:
            copy_offsite(config, files)
            names = [e["Name"] for e in json.loads(rclone("lsjson", config.remote).stdout)]
            remote_pruned = prune(config, names, lambda name: rclone("deletefile", f"{config.remote}/{name}"))
        except BackupError as error:
            offsite_error = str(error)
    else:
        offsite_error = "BACKUP_REMOTE is not set: no off-site copy"
    return {"stamp": stamp, "seconds": round(time.monotonic() - started, 1), "db_bytes": db.stat().st_size,
            "media_bytes": media.stat().st_size, "offsite_error": offsite_error,
            "local_pruned": local_pruned, "remote_pruned": remote_pruned}


def main() -> int:
    if not shutil.which("age") or not shutil.which("pg_dump"):
        print("backup: needs age and pg_dump (apt-get install age postgresql-client)", file=sys.stderr)
        return 2
    try:
        config = Config.from_env()
    except BackupError as error:
        print(f"backup: FAILED: {error}", file=sys.stderr)
        return 2
    try:
        result = backup(config)
    except Exception as error:  # noqa: BLE001 (recorded for the owner, then the unit fails)
        record(config, ok=False, offsite_ok=False, message=str(error))
        print(f"backup: FAILED: {error}", file=sys.stderr)
        return 1
    record(config, ok=True, offsite_ok=not result["offsite_error"], db_bytes=result["db_bytes"],
           media_bytes=result["media_bytes"], message=result["offsite_error"])
    print(json.dumps(result))
    if result["offsite_error"]:
        print(f"backup: off-site copy FAILED: {result['offsite_error']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
