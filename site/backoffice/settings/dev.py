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

if not os.environ.get("DJANGO_SECRET_KEY"):  # `make run`: a random key of this checkout's own, kept in .data/
    _secret_key_file = ROOT / ".data" / "secret.key"  # (the default one would let anyone forge receipt links)
    if not _secret_key_file.exists():  # written whole, then linked: processes starting at once agree
        _secret_key_file.parent.mkdir(parents=True, exist_ok=True)
        _draft = _secret_key_file.with_name(f"secret.key.{os.getpid()}")
        _draft.touch(mode=0o600)
        _draft.write_text(secrets.token_urlsafe(50))
        try:
            os.link(_draft, _secret_key_file)
        except FileExistsError:
            pass
        finally:
            _draft.unlink()
    SECRET_KEY = _secret_key_file.read_text().strip()

if not (LEDGER_KEY or LEDGER_KEY_FILE):  # a random key of this checkout's own, kept beside its data
    LEDGER_KEY_FILE = ROOT / ".data" / "ledger.key"
    if not LEDGER_KEY_FILE.exists():
        LEDGER_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        LEDGER_KEY_FILE.touch(mode=0o600)
        LEDGER_KEY_FILE.write_text(secrets.token_urlsafe(48))
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
