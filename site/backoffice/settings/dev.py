import os

from .base import *  # noqa: F403

# `make run` turns DEBUG off (ops/run.py) and serves collected, compressed static like production;
# `DJANGO_DEBUG=1 make run` gives tracebacks and static straight from the apps' folders.
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
if DEBUG:
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
    WHITENOISE_AUTOREFRESH = True
DEMO_ALLOWED = True
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
