"""With Redis killed, pages still answer: a cache error is a miss and sessions live in PostgreSQL."""

import pytest
from django.contrib import admin
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.redis_server import PrivateRedis


@pytest.fixture
def private_redis(tmp_path, settings):
    server = PrivateRedis(tmp_path)
    cache = {**settings.CACHES["default"], "LOCATION": server.url(1), "RETRY_AFTER": 0}
    queues = {"default": {**settings.RQ_QUEUES["default"], "URL": server.url(0)}}
    with override_settings(CACHES={"default": cache}, RQ_QUEUES=queues):
        yield server
    server.stop()


def admin_pages():
    pages = [reverse("admin:index")]
    for model in admin.site._registry:
        pages.append(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
    return pages


@pytest.mark.django_db
def test_login_dashboard_changelists_and_widgets_answer_200_with_redis_killed(client, demo, private_redis):
    caches["default"].set("probe", 1)
    assert caches["default"].get("probe") == 1
    assert private_redis.db(1).dbsize() == 1, "the override should route the cache to the private Redis"

    private_redis.kill()

    login = client.post(reverse("admin:login"), {"username": "owner", "password": PASSWORD, "next": "/admin/"})
    assert login.status_code == 302 and login["Location"] == "/admin/"
    for url in admin_pages():
        assert client.get(url).status_code == 200, url
    for key in ["water.prices", "laundry.prices", "shop.prices", "system"]:
        response = client.get(reverse("admin:widget", args=[key]))
        assert response.status_code == 200, key
    assert b"Redis unreachable" in client.get(reverse("admin:widget", args=["system"])).content
    assert client.get("/health/").status_code == 200
    assert client.get("/health/deps/").status_code == 500
