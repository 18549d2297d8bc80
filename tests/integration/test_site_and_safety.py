"""Public site, CMS, health endpoints, demo seeding, login lockout and the production checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.urls import reverse

from modules.core.inventory.models import Item
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_wagtail_serves_the_home_page_and_the_cms(client, login):
    home = client.get("/")
    assert home.status_code == 200 and b"<h1>Biashara</h1>" in home.content
    assert client.get("/cms/").status_code == 302  # to the CMS login
    assert login("owner").get("/cms/").status_code == 200


@pytest.mark.django_db
def test_seed_demo_is_idempotent(demo):
    counts = (User.objects.count(), Item.objects.count(), Group.objects.count())
    call_command("seed_demo")
    call_command("seed_demo")
    assert (User.objects.count(), Item.objects.count(), Group.objects.count()) == counts
    owner = User.objects.get(username="owner")
    assert list(owner.groups.values_list("name", flat=True)) == ["Owner"]
    assert not owner.is_superuser


@pytest.mark.django_db
def test_seed_demo_refuses_outside_demo_settings(settings):
    settings.DEMO_ALLOWED = False
    with pytest.raises(CommandError, match="refuses"):
        call_command("seed_demo")


def production_env():
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings.production",
            "DJANGO_SECRET_KEY": "k" * 32 + "-production-check-only-" + "q" * 32,
            "ALLOWED_HOSTS": "biashara.example.co.ke", "MPESA_MODE": "production",
            "MPESA_CONSUMER_KEY": "k", "MPESA_CONSUMER_SECRET": "s", "MPESA_PASSKEY": "p", "MPESA_SHORTCODE": "600984",
            "MPESA_CALLBACK_BASE_URL": "https://biashara.example.co.ke",
            "MPESA_CALLBACK_TOKEN": "Vq3u0bX1n7yJt2Zk9LrW4eHc8sPaGdMf-production_check",
            "LEDGER_HMAC_KEY": "l" * 48}


def test_production_settings_pass_check_deploy():
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=production_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_seed_demo_refuses_with_production_settings():
    result = subprocess.run([sys.executable, "manage.py", "seed_demo"],
                            cwd=ROOT, env=production_env(), capture_output=True, text=True)
    assert result.returncode != 0
    assert "refuses" in result.stderr
    assert "demo-pass" not in result.stdout


def test_production_refuses_a_missing_secret_key():
    env = {**production_env(), "DJANGO_SECRET_KEY": ""}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_the_ledger_key():
    env = {**production_env(), "LEDGER_HMAC_KEY": "short"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "LEDGER_HMAC_KEY" in result.stderr


def attempt(client, username, password, ip):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_lockout_is_by_username_not_by_the_shared_carrier_ip(client, demo):
    for n in range(5):
        attempt(client, "water_staff", "wrong", f"105.160.0.{n}")  # an attacker hopping IPs
    locked = attempt(client, "water_staff", PASSWORD, "105.160.9.9")
    assert locked.status_code == 429, "the username is locked whatever the IP"
    # Another person behind the same carrier NAT still gets in.
    ok = attempt(client, "shop_staff", PASSWORD, "105.160.0.4")
    assert ok.status_code == 302 and ok["Location"] == "/admin/"


@pytest.mark.django_db
def test_a_successful_login_resets_the_failure_count(client, demo):
    for _ in range(4):
        attempt(client, "owner", "wrong", "41.90.1.1")
    assert attempt(client, "owner", PASSWORD, "41.90.1.1").status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "owner", "wrong", "41.90.1.1")
    assert attempt(client, "owner", PASSWORD, "41.90.1.1").status_code == 302


@pytest.mark.django_db
def test_behind_nginx_the_failure_is_recorded_against_the_real_client_ip(client, demo, settings):
    from axes.models import AccessAttempt

    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    client.post(reverse("admin:login"), {"username": "owner", "password": "wrong"},
                REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 105.160.3.7")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["105.160.3.7"]


@pytest.mark.django_db
def test_sessions_live_in_postgresql(client, demo):
    from django.contrib.sessions.models import Session

    attempt(client, "owner", PASSWORD, "41.90.1.1")
    assert Session.objects.filter(session_key=client.session.session_key).exists()
