"""Production: every secret from the env, HTTPS only, behind nginx (ops/deploy/nginx.conf)."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

from modules.core.etims.configuration import production_problems as etims_problems  # noqa: E402
from modules.core.payments.configuration import production_problems  # noqa: E402  (base puts modules/ on the path)
from modules.core.sms.configuration import production_problems as sms_problems  # noqa: E402

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
# M-Pesa: refuse to start half-configured (simulator, default or weak token, http or local callback
# base, Safaricom's sandbox shortcode). Secrets are read from the env: base.py's are simulator values.
_mpesa_problems = production_problems({
    "MPESA_MODE": MPESA_MODE, "MPESA_SHORTCODE": MPESA_SHORTCODE,  # noqa: F405
    "MPESA_CALLBACK_BASE_URL": os.environ.get("MPESA_CALLBACK_BASE_URL", ""),
    **{name: os.environ.get(name, "") for name in (
        "MPESA_CONSUMER_KEY", "MPESA_CONSUMER_SECRET", "MPESA_PASSKEY", "MPESA_CALLBACK_TOKEN")}})
if _mpesa_problems:
    raise ImproperlyConfigured("M-Pesa is not configured for production:\n  " + "\n  ".join(_mpesa_problems))
# eTIMS: never the simulator; the device and KRA's address from the env (cmcKey too: ETIMS_CMC_KEY).
# The PIN and serial must be the owner's (base.py's are the simulator's demo ones); the branch defaults to 00.
_etims_problems = etims_problems({"ETIMS_MODE": os.environ.get("ETIMS_MODE", ""), "ETIMS_BASE_URL": ETIMS_BASE_URL,  # noqa: F405
                                  "ETIMS_BHF_ID": ETIMS_BHF_ID,  # noqa: F405
                                  **{name: os.environ.get(name, "") for name in ("ETIMS_TIN", "ETIMS_DEVICE_SERIAL")}})
if _etims_problems:
    raise ImproperlyConfigured("eTIMS is not configured for production:\n  " + "\n  ".join(_etims_problems))
# SMS: never the simulator; Africa's Talking's key and the callback token from the env.
_sms_problems = sms_problems({"SMS_MODE": os.environ.get("SMS_MODE", ""), "SMS_BASE_URL": SMS_BASE_URL,  # noqa: F405
                              **{name: os.environ.get(name, "") for name in ("AT_USERNAME", "AT_API_KEY",
                                                                             "SMS_CALLBACK_TOKEN",
                                                                             "PUBLIC_BASE_URL")}})
if _sms_problems:
    raise ImproperlyConfigured("SMS is not configured for production:\n  " + "\n  ".join(_sms_problems))
if not LEDGER_KEY_FILE and len(LEDGER_KEY) < 32:  # noqa: F405
    raise ImproperlyConfigured("LEDGER_HMAC_KEY (32+ random characters) or LEDGER_KEY_FILE must be set in "
                               "production, and never stored in the database (ops/deploy/README.md)")
# nginx sends export files from its internal location (ops/deploy/nginx.conf) once the view allowed it.
EXPORTS_X_ACCEL_PREFIX = os.environ.get("EXPORTS_X_ACCEL_PREFIX", "/internal/exports/")
REDIS_MAXMEMORY = os.environ.get("REDIS_MAXMEMORY", "256mb")
HEALTH_WATCH_BACKUPS = os.environ.get("HEALTH_WATCH_BACKUPS", "1") == "1"
LOGGING["root"]["level"] = "INFO"  # noqa: F405
