import os

from .base import *  # noqa: F403
from .base import CACHES, REDIS_URL, RQ_QUEUES, redis_db_url

DEMO_ALLOWED = True
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; never in production

# Own DB indexes, so a run against a shared Redis (CI's 127.0.0.1:6379) never touches dev data.
REDIS_QUEUE_DB = 2
REDIS_CACHE_DB = 3
CACHES["default"]["LOCATION"] = redis_db_url(REDIS_URL, REDIS_CACHE_DB)
RQ_QUEUES["default"]["URL"] = redis_db_url(REDIS_URL, REDIS_QUEUE_DB)

# Live-server request threads die after each request: don't leave their connections open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# The suite runs the app as the app role (DATABASE_URL), as production does. It creates and migrates
# its database as the owner, and empties it between transactional tests as the superuser (TRUNCATE
# of the ledger is refused to everyone else): tests/db_roles.py. `make test` sets all three.
DATABASE_ROLE_URLS = {
    "app": os.environ.get("DATABASE_URL", ""),
    "owner": os.environ.get("DATABASE_OWNER_URL", ""),
    "superuser": os.environ.get("DATABASE_SUPERUSER_URL", ""),
}
