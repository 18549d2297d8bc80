"""Production refuses a half-configured M-Pesa, and the deploy example lists every MPESA_* setting."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from modules.core.payments.configuration import callback_base_problem, production_problems, token_problem
from tests.integration.test_site_and_safety import production_env

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("token, problem", [
    ("dev-callback-token", "default"),
    ("CHANGE-ME", "default"),
    ("short-but-random-Xk2", "shorter than 32"),
    ("t" * 40, "too few characters"),
    ("ab" * 30, "too few characters"),
    ("Vq3u0bX1n7yJt2Zk9LrW4eHc8sPaGdMf/../x", "letters, digits"),
    ("Vq3u0bX1n7yJt2Zk9LrW4eHc8sPaGdMf-production_check", None),
])
def test_a_weak_callback_token_is_named(token, problem):
    why = token_problem(token)
    assert (why is None) if problem is None else (problem in why)


@pytest.mark.parametrize("url, problem", [
    ("http://biashara.example.co.ke", "https"),
    ("https://127.0.0.1:8000", "private or loopback"),
    ("https://10.0.0.5", "private or loopback"),
    ("https://localhost", "local"),
    ("https://mpesa.example.co.ke", "must not contain"),
    ("https://biashara.example.co.ke", None),
])
def test_the_callback_base_must_be_public_https(url, problem):
    why = callback_base_problem(url)
    assert (why is None) if problem is None else (problem in why)


def test_production_mode_refuses_the_sandbox_shortcode_but_sandbox_mode_may_use_it():
    values = {"MPESA_MODE": "production", "MPESA_SHORTCODE": "174379", "MPESA_CONSUMER_KEY": "k",
              "MPESA_CONSUMER_SECRET": "s", "MPESA_PASSKEY": "p", "MPESA_CALLBACK_BASE_URL": "https://b.example.co.ke",
              "MPESA_CALLBACK_TOKEN": "Vq3u0bX1n7yJt2Zk9LrW4eHc8sPaGdMf-production_check"}
    assert any("174379" in problem for problem in production_problems(values))
    assert production_problems({**values, "MPESA_MODE": "sandbox"}) == []


@pytest.mark.parametrize("changes, message", [
    ({"MPESA_CALLBACK_TOKEN": "dev-callback-token"}, "MPESA_CALLBACK_TOKEN is a default"),
    ({"MPESA_CALLBACK_TOKEN": "t" * 40}, "MPESA_CALLBACK_TOKEN repeats too few characters"),
    ({"MPESA_CALLBACK_BASE_URL": "http://biashara.example.co.ke"}, "MPESA_CALLBACK_BASE_URL must be a public https"),
    ({"MPESA_SHORTCODE": "174379"}, "MPESA_SHORTCODE 174379 is Safaricom's sandbox"),
    ({"MPESA_SHORTCODE": None}, "MPESA_SHORTCODE 174379 is Safaricom's sandbox"),  # base.py's default
    ({"MPESA_CALLBACK_BASE_URL": None}, "MPESA_CALLBACK_BASE_URL must be set"),
    ({"MPESA_MODE": "simulator"}, "MPESA_MODE=simulator"),
])
def test_production_does_not_start_half_configured(changes, message):
    env = production_env()
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and message in result.stderr, result.stderr[-2000:]


def test_the_deploy_example_lists_every_mpesa_setting():
    read = {name for name in re.findall(r'(?:environ\.get|env_list)\("(MPESA_[A-Z_]+)"',
                                        (ROOT / "site/backoffice/settings/base.py").read_text())
            if not name.startswith("MPESA_SIMULATOR_")}  # the simulator never runs in production
    listed = set(re.findall(r"^#?(MPESA_[A-Z_]+)=", (ROOT / "ops/deploy/biashara.env.example").read_text(), re.M))
    assert read and read <= listed, f"missing from biashara.env.example: {sorted(read - listed)}"
