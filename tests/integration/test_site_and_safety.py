"""Public site, CMS, health endpoints, demo seeding, login lockout and the production checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

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
            "LEDGER_HMAC_KEY": "l" * 48, "ETIMS_MODE": "production", "ETIMS_TIN": "P051234567X",
            "ETIMS_DEVICE_SERIAL": "BIASHARA/P051234567X/0", "SMS_MODE": "production", "AT_USERNAME": "biashara",
            "AT_API_KEY": "atsk_" + "a" * 40, "SMS_CALLBACK_TOKEN": "Wc7pX2mQ9rT4yB8nL1kD5fH3jS6gV0zA-sms",
            "PUBLIC_BASE_URL": "https://biashara.example.co.ke"}


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


@pytest.mark.parametrize("etims, complaint", [
    ({"ETIMS_MODE": ""}, "ETIMS_MODE must be one of"),
    ({"ETIMS_MODE": "simulator"}, "ETIMS_MODE=simulator is for dev and tests"),
    ({"ETIMS_TIN": "not-a-pin"}, "ETIMS_TIN must be the owner's KRA PIN"),
    ({"ETIMS_BASE_URL": "https://etims-api-sbx.kra.go.ke/etims-api"}, "sandbox while ETIMS_MODE=production"),
])
def test_production_refuses_a_half_configured_etims(etims, complaint):
    env = {**production_env(), **etims}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and complaint in result.stderr


LOGIN_PAGES = ["/admin/login/", "/cms/login/"]


def attempt(client, username, password, ip, *, page="/admin/login/", forwarded=None):
    """A login POST from ``ip``; with ``forwarded`` it came through nginx (REMOTE_ADDR 127.0.0.1)
    carrying that X-Forwarded-For, nginx's own appended address last."""
    headers = {"REMOTE_ADDR": ip} if forwarded is None else {"REMOTE_ADDR": "127.0.0.1",
                                                             "HTTP_X_FORWARDED_FOR": forwarded}
    return client.post(page, {"username": username, "password": password, "next": "/admin/"}, **headers)


def logged_in(response):
    return response.status_code == 302 and "login" not in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_bad_passwords_from_elsewhere_never_lock_the_owner_out(client, demo, page):
    for _ in range(5):
        attempt(client, "owner", "wrong", "6.6.6.6", page=page)
    assert attempt(client, "owner", PASSWORD, "6.6.6.6", page=page).status_code == 429, \
        "the guesser's address is locked for that username, even with the right password"
    assert logged_in(attempt(client, "owner", PASSWORD, "41.90.1.1", page=page)), "the owner at home gets in"


@pytest.mark.django_db
def test_an_attacker_hopping_addresses_does_not_lock_the_username(client, demo):
    for n in range(10):
        attempt(client, "water_staff", "wrong", f"105.160.0.{n}")
    assert logged_in(attempt(client, "water_staff", PASSWORD, "105.160.9.9"))


@pytest.mark.django_db
@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_one_address_walking_through_usernames_is_locked_by_the_wider_limit(client, demo, settings, page):
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT - 1):
        assert attempt(client, f"guess{n}", "wrong", "6.6.6.6", page=page).status_code != 429
    assert attempt(client, "guess-last", "wrong", "6.6.6.6", page=page).status_code == 429
    assert attempt(client, "shop_staff", PASSWORD, "6.6.6.6", page=page).status_code == 429
    # Another person behind another address still gets in, and one behind the same NAT below the
    # limit did (the limit is 30 an hour, never a few).
    assert logged_in(attempt(client, "shop_staff", PASSWORD, "105.160.0.4", page=page))


@pytest.mark.django_db
def test_the_address_limit_forgets_failures_older_than_its_window(client, demo, settings):
    from axes.models import AccessFailureLog

    from modules.core.system.login import address_failures

    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        attempt(client, f"guess{n}", "wrong", "6.6.6.6")
    assert address_failures("6.6.6.6") == 3
    assert attempt(client, "shop_staff", PASSWORD, "6.6.6.6").status_code == 429
    settings.LOGIN_ADDRESS_WINDOW = settings.LOGIN_ADDRESS_WINDOW / 3600 / 1000  # 1 ms
    # The history stays (the refused try too: trying on while locked keeps the address locked).
    assert AccessFailureLog.objects.filter(ip_address="6.6.6.6").count() == 4
    assert logged_in(attempt(client, "shop_staff", PASSWORD, "6.6.6.6"))


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
def test_behind_nginx_the_failure_is_recorded_against_the_address_nginx_appended(client, demo, settings):
    from axes.models import AccessAttempt

    settings.PROXY_COUNT = 1  # the shipped nginx config
    attempt(client, "owner", "wrong", "", forwarded="105.160.3.7")  # a genuine client: nginx's entry only
    attempt(client, "shop_staff", "wrong", "", forwarded="6.6.6.6, 105.160.3.8")  # with a spoofed entry
    assert sorted(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("owner", "105.160.3.7"), ("shop_staff", "105.160.3.8")]


@pytest.mark.django_db
@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_a_spoofed_forwarded_for_cannot_lock_out_the_owners_address(client, demo, settings, page):
    settings.PROXY_COUNT = 1
    owner_at_home = "41.90.1.1"
    for _ in range(5):  # the attacker at 105.160.3.7 claims to be the owner's address
        attempt(client, "owner", "wrong", "", page=page, forwarded=f"{owner_at_home}, 105.160.3.7")
    assert attempt(client, "owner", PASSWORD, "", page=page,
                   forwarded=f"{owner_at_home}, 105.160.3.7").status_code == 429
    assert logged_in(attempt(client, "owner", PASSWORD, "", page=page, forwarded=owner_at_home))


@pytest.mark.django_db
def test_sessions_live_in_postgresql(client, demo):
    from django.contrib.sessions.models import Session

    attempt(client, "owner", PASSWORD, "41.90.1.1")
    assert Session.objects.filter(session_key=client.session.session_key).exists()
