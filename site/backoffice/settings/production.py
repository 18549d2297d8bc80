"""Production: every secret from the env, HTTPS only, behind nginx (ops/deploy/nginx.conf)."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a long random value in production")

DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS]  # noqa: F405
if MPESA_MODE == "simulator":  # noqa: F405
    raise ImproperlyConfigured("MPESA_MODE=simulator is for dev and tests; use sandbox or production")
for name in ("MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_PASSKEY", "MPESA_CALLBACK_TOKEN"):
    if not os.environ.get(name):
        raise ImproperlyConfigured(f"{name} must be set in production")
if not LEDGER_KEY_FILE and len(LEDGER_KEY) < 32:  # noqa: F405
    raise ImproperlyConfigured("LEDGER_HMAC_KEY (32+ random characters) or LEDGER_KEY_FILE must be set in "
                               "production, and never stored in the database (ops/deploy/README.md)")
REDIS_MAXMEMORY = os.environ.get("REDIS_MAXMEMORY", "256mb")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
LOGGING["root"]["level"] = "INFO"  # noqa: F405
