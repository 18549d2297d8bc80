"""The security review's static scans, run by `make test`: bandit over our code and pip-audit over
the pinned locks (README → Security)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_bandit_finds_nothing_of_medium_or_high_severity():
    """Reviewed exceptions carry `# nosec <id>` with the reason on the line above."""
    result = subprocess.run([str(BIN / "bandit"), "-r", "modules", "site", "-ll", "-q", "-f", "json"],
                            cwd=ROOT, capture_output=True, text=True)
    report = json.loads(result.stdout)
    assert not report["errors"], report["errors"]
    assert [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]] == []
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it really scanned the tree


def test_pip_audit_finds_no_known_vulnerability_in_the_locks():
    result = subprocess.run(
        [str(BIN / "pip-audit"), "--no-deps", "--disable-pip", "-r", "requirements.lock", "-r", "requirements-dev.lock",
         "-f", "json", "--progress-spinner", "off"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    dependencies = json.loads(result.stdout)["dependencies"]
    vulnerable = {d["name"]: [v["id"] for v in d["vulns"]] for d in dependencies if d.get("vulns")}
    assert vulnerable == {}
    unaudited = [d["name"] for d in dependencies if "skip_reason" in d]
    if unaudited:  # PyPI's per-release JSON API is out of reach (e.g. behind a mirror): say so, loudly
        pytest.skip(f"pip-audit could not reach the vulnerability data for {len(unaudited)} of {len(dependencies)} "
                    f"pinned packages ({', '.join(unaudited[:3])}, …); nothing found in the rest")
