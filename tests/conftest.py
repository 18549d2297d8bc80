import os
import subprocess
import sys
import time
from pathlib import Path

import threading

import django_rq
import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.servers.basehttp import WSGIServer
from django.db import connections
from rq.timeouts import TimerDeathPenalty
from rq.worker import SimpleWorker

from rq import Worker

from fixtures.demo import USERS, seed
from tests import db_roles

# The live server's listen backlog (10) resets connections when tests fire 30 requests at once.
WSGIServer.request_queue_size = 128

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "test-pass-2026"
ROLE_USERS = list(USERS)  # owner, accountant, water_staff, laundry_staff, shop_staff


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """Create and migrate the test database as the owner role, as production migrates (the
    post-migrate grants then come from the tables' owner)."""
    db_roles.check_app_role()
    db_roles.connect_default_as("owner")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then every test, the live server and the workers connect as the app role."""
    db_roles.connect_default_as("app")
    with db_roles.superuser_flush():
        yield
    db_roles.connect_default_as("owner")  # the owner drops its database


@pytest.fixture
def redis_conn():
    """The queue's Redis connection (the test settings give it its own DB index)."""
    return django_rq.get_connection("default")


@pytest.fixture(autouse=True)
def clean_redis():
    """Empty the test DB indexes of the shared Redis and reset the cache's error back-off."""
    conn = django_rq.get_connection("default")
    conn.flushdb()
    caches["default"].clear()
    caches["default"]._skip_until = 0.0
    yield


@pytest.fixture(autouse=True)
def ledger_anchors(settings, tmp_path):
    """Each test's ledger anchors (the signed chain head, checkpoints) in its own directory: the
    database is rolled back between tests, an anchor written on disk is not."""
    settings.LEDGER_ANCHOR_DIR = tmp_path / "ledger-anchors"
    return settings.LEDGER_ANCHOR_DIR


@pytest.fixture
def worker():
    """A real RQ worker process on the test queue (health checks want one alive)."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "default"],
        cwd=ROOT, env={**os.environ, "DJANGO_SETTINGS_MODULE": "backoffice.settings.test"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    conn = django_rq.get_connection("default")
    deadline = time.monotonic() + 60  # a loaded 2-core machine takes a while to start Django
    try:
        while Worker.count(connection=conn) == 0:
            assert time.monotonic() < deadline, "the worker did not register"
            time.sleep(0.1)
        yield process
    finally:  # also when it never registered: a leaked worker spins on the stopped test Redis
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def redis_budget(redis_conn):
    """Lets a test shrink maxmemory; restores the server's settings afterwards."""
    saved = redis_conn.config_get("maxmemory*")
    yield redis_conn
    redis_conn.config_set("maxmemory", saved["maxmemory"])
    redis_conn.config_set("maxmemory-policy", saved["maxmemory-policy"])


@pytest.fixture
def demo(db):
    """Businesses, charts, items and logins; no opening stock, so the ledger starts empty."""
    return seed(PASSWORD, opening_stock=False)


@pytest.fixture
def stocked(db):
    """The full demo, opening stock included (the ledger holds its opening entries)."""
    return seed(PASSWORD)


@pytest.fixture
def login(client, demo):
    def as_user(username):
        client.logout()
        client.force_login(User.objects.get(username=username))
        return client

    return as_user


class ThreadWorker(SimpleWorker):
    """A real RQ worker, run in a thread of the test process: no signals (only the main thread may
    set them), job timeouts by timer."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


@pytest.fixture
def rq_worker():
    """Works the test queue in the background, as `make run`'s worker does (M-Pesa pushes and
    queries are RQ jobs, never run inside a request)."""
    stop = threading.Event()
    queue = django_rq.get_queue("default")

    def work():
        try:
            while not stop.is_set():
                ThreadWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
                stop.wait(0.1)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name="rq-worker", daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(30)


@pytest.fixture
def daraja_simulator(settings, live_server, rq_worker):
    """Daraja = the simulator on the live server; callbacks come back to the live server; a
    worker thread sends the pushes and queries."""
    from modules.core.payments import daraja
    from modules.core.payments.simulator import deliveries

    settings.MPESA_BASE_URL = f"{live_server.url}/simulator/daraja"
    settings.MPESA_CALLBACK_BASE_URL = live_server.url
    settings.MPESA_SIMULATOR_DELAY = 0.3
    settings.MPESA_SIMULATOR_LATE_SECONDS = 2.5
    yield live_server
    deliveries.settle()  # no callback may still be writing while the database is emptied
    daraja.SESSION.close()  # a kept-alive connection would pin a live-server thread and its DB session
