"""/health/ and /health/deps/ against real Redis and a real RQ worker that we start and kill."""

import signal

import django_rq
import pytest

from tests.jobs import mark_done


TOKEN = "monitor-token-for-the-tests-0123456789"


@pytest.fixture(autouse=True)
def health_token(settings):
    settings.HEALTH_TOKEN = TOKEN


def deps(client):
    response = client.get("/health/deps/?format=json", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return response.status_code, response.json()


@pytest.mark.django_db
def test_dependency_health_is_for_the_owner_or_a_monitor_holding_the_token(client, login, settings):
    anonymous = client.get("/health/deps/?format=json")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    assert client.get("/health/?format=json").status_code == 200  # liveness stays public
    for header in ["Bearer wrong-token", f"Basic {TOKEN}", "Bearer "]:
        assert client.get("/health/deps/", HTTP_AUTHORIZATION=header).status_code == 403, header
    for username in ["accountant", "water_staff", "laundry_staff", "shop_staff"]:
        assert login(username).get("/health/deps/?format=json").status_code == 403, username
    assert login("owner").get("/health/deps/?format=json").status_code in (200, 500)  # answered, not refused
    client.logout()
    assert deps(client)[0] in (200, 500)
    settings.HEALTH_TOKEN = ""  # no token configured: no token opens it
    assert client.get("/health/deps/", HTTP_AUTHORIZATION="Bearer ").status_code == 403


@pytest.mark.django_db
def test_liveness_needs_only_the_database(client):
    assert client.get("/health/?format=json").json() == {"Database(alias='default')": "OK"}


@pytest.mark.django_db(transaction=True)
def test_dependencies_report_workers_queue_and_memory(client, worker, redis_budget):
    redis_budget.config_set("maxmemory", 512 * 1024 * 1024)
    redis_budget.config_set("maxmemory-policy", "volatile-lru")
    status, body = deps(client)
    assert status == 200, body
    assert set(body.values()) == {"OK"}

    worker.send_signal(signal.SIGKILL)  # a worker killed without a goodbye
    worker.wait()
    conn = django_rq.get_connection("default")
    for name in conn.smembers("rq:workers"):  # what the heartbeat expiry would do, without waiting 7 min
        conn.delete(name)
    django_rq.get_queue("default").enqueue(mark_done, 1)
    status, body = deps(client)
    assert status == 500
    assert body["RQQueue()"] == "Unavailable: no RQ worker alive; 1 jobs waiting"


@pytest.mark.django_db(transaction=True)
def test_memory_above_75_percent_warns_without_failing(client, worker, redis_budget):
    used = int(redis_budget.info("memory")["used_memory"])
    redis_budget.config_set("maxmemory", int(used / 0.8))
    redis_budget.config_set("maxmemory-policy", "volatile-lru")
    status, body = deps(client)
    assert status == 200
    assert body["RedisMemory()"].startswith("Warning: Redis uses")


@pytest.mark.django_db(transaction=True)
def test_a_policy_that_can_evict_jobs_is_flagged(client, worker, redis_budget):
    redis_budget.config_set("maxmemory", 512 * 1024 * 1024)
    redis_budget.config_set("maxmemory-policy", "allkeys-lru")
    status, body = deps(client)
    assert "allkeys-lru can evict queued jobs" in body["RedisMemory()"]


@pytest.mark.django_db
def test_the_owner_sees_the_same_facts_on_the_dashboard(login):
    response = login("owner").get("/admin/widgets/system/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Workers alive" in text and "Jobs waiting" in text and "Redis memory" in text
