import os
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import CACHES, REDIS_CACHE_URL, REDIS_URL, RQ_QUEUES, redis_db_url

DEMO_ALLOWED = True
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never in production

# Own DB indexes, so a run against a shared Redis (CI's 127.0.0.1:6379) never touches dev data.
REDIS_QUEUE_DB = 2
REDIS_CACHE_DB = 3
CACHES["default"]["LOCATION"] = redis_db_url(REDIS_CACHE_URL, REDIS_CACHE_DB)
RQ_QUEUES["default"]["URL"] = redis_db_url(REDIS_URL, REDIS_QUEUE_DB)

# The live server serves static from the apps' folders (no collectstatic before a test run).
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_AUTOREFRESH = True

# Live-server request threads die after each request: don't leave their connections open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# The suite runs the app as the app role (DATABASE_URL), as production does. It creates and migrates
# its database as the owner, and empties it between transactional tests as the superuser (TRUNCATE
# of the ledger is refused to everyone else): tests/db_roles.py. `ops/services.py exec` names all
# three; when its DATABASE_URL is the superuser or the owner (no `--db-user app`), the suite still
# runs as the app role, and so do the workers and commands it starts (they inherit os.environ).
if os.environ.get("DATABASE_URL") and os.environ.get("DATABASE_URL") in (os.environ.get("DATABASE_SUPERUSER_URL"),
                                                                          os.environ.get("DATABASE_OWNER_URL")):
    _parts = urlsplit(os.environ["DATABASE_URL"])
    os.environ["DATABASE_URL"] = urlunsplit(_parts._replace(
        netloc=f"{DATABASE_APP_ROLE}@{_parts.netloc.rpartition('@')[2]}"))  # noqa: F405 (local trust auth)
    DATABASES["default"].update(USER=DATABASE_APP_ROLE, PASSWORD="")  # noqa: F405
DATABASE_ROLE_URLS = {
    "app": os.environ.get("DATABASE_URL", ""),
    "owner": os.environ.get("DATABASE_OWNER_URL", ""),
    "superuser": os.environ.get("DATABASE_SUPERUSER_URL", ""),
}

# A fixed ledger key (tests reseal and re-hash with other keys on purpose); anchors go to a
# per-test directory (tests/conftest.py).
LEDGER_KEY = "test-ledger-key-not-secret-0123456789abcdef"

# Outbox messages run in the committing process right after its commit, through the same claim and
# handler code as the worker; tests/integration/test_outbox.py turns this off to use real workers.
OUTBOX_EAGER = os.environ.get("OUTBOX_EAGER", "1") == "1"

# eTIMS: off unless a test turns it on (tests/integration/test_etims*.py point it at the simulator,
# which stays installed and served at /etims-api/ on the live server).
ETIMS_MODE = "off"
ETIMS_HTTP_TIMEOUT = 2.0

# SMS: off unless a test turns it on (tests/integration/test_sms.py points it at the simulator,
# which stays installed and served at /sms-api/ on the live server).
# A real RQ worker started by a test (test_sms.py) gets its mode and timeout through these.
SMS_MODE = os.environ.get("TEST_SMS_MODE", "off")
SMS_HTTP_TIMEOUT = float(os.environ.get("TEST_SMS_HTTP_TIMEOUT", "1.0"))
