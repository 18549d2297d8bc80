import os
import secrets

from .base import *  # noqa: F403
from .base import LEDGER_KEY, LEDGER_KEY_FILE, ROOT

# `make run` turns DEBUG off (ops/run.py) and serves collected, compressed static like production;
# `DJANGO_DEBUG=1 make run` gives tracebacks and static straight from the apps' folders.
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
if DEBUG:
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
    WHITENOISE_AUTOREFRESH = True
DEMO_ALLOWED = True
ALLOWED_HOSTS = ["*"]

if not (LEDGER_KEY or LEDGER_KEY_FILE):  # a random key of this checkout's own, kept beside its data
    LEDGER_KEY_FILE = ROOT / ".data" / "ledger.key"
    if not LEDGER_KEY_FILE.exists():
        LEDGER_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        LEDGER_KEY_FILE.touch(mode=0o600)
        LEDGER_KEY_FILE.write_text(secrets.token_urlsafe(48))
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
