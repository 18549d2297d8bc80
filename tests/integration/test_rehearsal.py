"""The production rehearsal (ops/rehearse.py) as part of the suite: the deploy guide followed on this
machine with real PostgreSQL 15, Redis, gunicorn, nginx, the RQ worker and cron, then smoke-tested
through nginx over HTTPS. A few minutes; deselect with -m "not rehearsal"."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.rehearsal,
    pytest.mark.skipif(os.geteuid() != 0, reason="the rehearsal runs PostgreSQL as user postgres: root only"),
    pytest.mark.skipif(not (shutil.which("nginx") and Path("/usr/lib/postgresql/15/bin/initdb").exists()
                            and shutil.which("redis-server")),
                       reason="needs Debian's nginx, redis-server and PostgreSQL 15 (make tools)"),
]


def test_the_deploy_guide_runs_and_the_stack_answers_through_nginx(capsys):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    result = subprocess.run([sys.executable, "ops/rehearse.py", "--port-base", "8670"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=1500)
    with capsys.disabled():
        print("\n" + result.stdout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert "[rehearse] passed" in result.stdout
