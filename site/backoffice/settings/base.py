"""Settings shared by every environment. Anything secret or machine-specific comes from the env."""

import os
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import dj_database_url
import pghistory

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # modules/ and theme/ live beside site/
    sys.path.insert(0, str(ROOT))

from theme.unfold import UNFOLD  # noqa: E402  (needs ROOT on sys.path)


def env_list(name, default):
    value = os.environ.get(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else list(default)


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-not-secret")
# Customers' signed receipt links (/r/<token>/) expire after this many seconds.
RECEIPT_LINK_MAX_AGE = int(os.environ.get("RECEIPT_LINK_MAX_AGE", str(90 * 24 * 3600)))
# … and the statement links a statement text carries (/r/statement/<token>/)
STATEMENT_LINK_MAX_AGE = int(os.environ.get("STATEMENT_LINK_MAX_AGE", str(30 * 24 * 3600)))
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1"])

# --- modules -----------------------------------------------------------------------------------
# The shared core is always on; business modules are an explicit, env-overridable list.
BACKOFFICE_CORE = [
    "modules.core.registry",
    "modules.core.outbox",
    "modules.core.businesses",
    "modules.core.inventory",
    "modules.core.ledger",
    "modules.core.tax",  # VAT bands, rates and the split (below inventory and payments, which tax through it)
    "modules.core.payments",
    "modules.core.purchasing",
    "modules.core.approvals",
    "modules.core.money",
    "modules.core.customers",
    "modules.core.sales",
    "modules.core.notifications",
    "modules.core.exports",
    "modules.core.reports",
    "modules.core.live",
    "modules.core.system",
    "modules.core.cms",
    "modules.core.etims",
    "modules.core.sms",
    "modules.core.demo",  # the top floor: seed_demo and generate_history, which use every other module
]
BACKOFFICE_MODULES = env_list("BACKOFFICE_MODULES", ["modules.water", "modules.laundry", "modules.shop"])

INSTALLED_APPS = [
    "unfold.apps.BasicAppConfig",  # keeps our admin site (Unfold's default config replaces it)
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "backoffice.apps.BackofficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "axes",
    "django_rq",
    "health_check",
    "wagtail.sites",
    "wagtail.contrib.sitemaps",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "pgtrigger",
    "pghistory",
    *BACKOFFICE_CORE,
    *BACKOFFICE_MODULES,
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, before anything that reads the session
    # Pages and JSON gzipped (a dashboard's 108 KB of HTML is 11 KB) when no proxy does it; Django
    # masks the CSRF token per response (BREACH), as nginx's gzip relies on too.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "modules.core.businesses.language.UserLanguageMiddleware",  # the user's language, from the session
    "modules.core.system.middleware.HistoryMiddleware",  # pghistory's: who changed master data, which page
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "modules.core.system.middleware.DatabaseUnavailableMiddleware",  # PostgreSQL restarting: 503, retry
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

# --- history of master data (django-pghistory; modules/core/businesses/history.py) ----------------
# PostgreSQL triggers write an event row for every change of an item, price, cylinder type,
# customer, role or user permission, whoever makes it (the admin, a service's .update(), an import,
# psql). The context (user, page) is stored in each event row, so the app role only ever INSERTs
# history: the event tables are append-only for it (modules/core/system/db_roles.py).
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")  # reads change nothing

ROOT_URLCONF = "backoffice.urls"
WSGI_APPLICATION = "backoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT / "theme" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "backoffice.context_processors.pages",
            ],
            # backoffice is no app of its own (BackofficeAdminConfig is the admin's): its tags by name
            "libraries": {"lean_pages": "backoffice.templatetags.lean_pages"},
        },
    },
]

# --- PostgreSQL only ---------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/biashara"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
# A hot standby for reports and exports (modules/core/system/replica.py, ops/deploy/SCALING.md), read
# as the same app role; reads go back to the primary while it lags more than REPLICA_MAX_LAG_SECONDS.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"], conn_max_age=60,
                                                 conn_health_checks=True)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["modules.core.system.replica.ReplicaRouter"]
REPLICA_MAX_LAG_SECONDS = float(os.environ.get("REPLICA_MAX_LAG_SECONDS", "30"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The role the app connects as (DATABASE_URL): it owns nothing and may only SELECT/INSERT the
# ledger. Migrations run as the owner role (DATABASE_OWNER_URL); see ops/deploy/README.md.
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "biashara_app")


# --- one Redis: RQ in db 0, cache in db 1 (Django's cache.clear() is FLUSHDB) -------------------
def redis_db_url(url, db):
    """The same server at another DB index, for redis://, rediss:// and unix:// URLs."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = urlencode({**dict(parse_qsl(parts.query)), "db": db})
        return f"unix://{parts.path}?{query}"
    return urlunsplit(parts._replace(path=f"/{db}"))


REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
# Scale-out: the cache on a Redis instance of its own, by this setting alone (SCALING.md).
REDIS_CACHE_URL = os.environ.get("REDIS_CACHE_URL") or REDIS_URL
REDIS_QUEUE_DB = 0
REDIS_CACHE_DB = 1
# Applied to the server by `manage.py configure_redis` (make run, tests); ops/redis.conf in production.
REDIS_MAXMEMORY = os.environ.get("REDIS_MAXMEMORY", "64mb")
REDIS_MAXMEMORY_POLICY = "volatile-lru"

CACHES = {
    "default": {
        "BACKEND": "backoffice.cache.ResilientRedisCache",
        "LOCATION": redis_db_url(REDIS_CACHE_URL, REDIS_CACHE_DB),
        "KEY_PREFIX": "bo",
        "TIMEOUT": 300,
        "MAX_TIMEOUT": 24 * 3600,  # no cache key lives longer; None is clamped to this
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.5},
    }
}

RQ_QUEUES = {
    "default": {
        "URL": redis_db_url(REDIS_URL, REDIS_QUEUE_DB),
        "DEFAULT_TIMEOUT": 600,
        "DEFAULT_RESULT_TTL": 600,
        "REDIS_CLIENT_KWARGS": {"socket_connect_timeout": 1, "socket_timeout": 5},
    },
}
# The PostgreSQL outbox (modules/core/outbox) hands each committed message to an RQ worker;
# OUTBOX_EAGER runs it in the committing process instead, right after the commit (the tests do).
OUTBOX_EAGER = False
RQ_EXCEPTION_HANDLERS = ["modules.core.system.jobs.record_failure"]
RQ_SHOW_ADMIN_LINK = False  # the sidebar links to it, for owners only

# --- sessions and login ------------------------------------------------------------------------
# Sessions live in PostgreSQL, read through the Redis cache: the unchanged live poll (304) needs no
# database, and a Redis outage falls back to the table (cache errors are misses).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 14 * 24 * 3600
LOGIN_URL = "admin:login"
# Unfold's login form has no hidden "next" field, so a login with no ?next= (a bookmark, after
# logging out) would land on Django's default /accounts/profile/, a 404.
LOGIN_REDIRECT_URL = "admin:index"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lockout (modules/core/system/login.py): 5 failures lock a username *from one address* for 15
# minutes, so nobody elsewhere can lock the owner out; 30 failures from one address within an hour,
# whatever the usernames, lock that address. Never an address alone after a few failures: phones on
# Kenyan carriers share NATed addresses.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LOGIN_ADDRESS_FAILURE_LIMIT = 30
LOGIN_ADDRESS_WINDOW = timedelta(hours=1)
AXES_RESET_ON_SUCCESS = True
# Login and failure history are append-only audit trails (modules/core/system/login.py).
AXES_HANDLER = "modules.core.system.login.AppendOnlyAxesHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# Behind nginx (PROXY_COUNT=1) the client is the address nginx appended to X-Forwarded-For;
# anything to its left was written by the client and is not trusted (modules/core/system/network.py).
PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "modules.core.system.network.client_ip"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- locale ------------------------------------------------------------------------------------
# Staff screens and customer texts in English or Swahili: each user picks theirs (the language menu
# under their name; modules/core/businesses/language.py), each customer has theirs (Customer.language).
# The catalogue is locale/sw/LC_MESSAGES/django.po, compiled to the committed django.mo (README: Languages).
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("sw", "Kiswahili")]
LOCALE_PATHS = [ROOT / "locale"]
FORMAT_MODULE_PATH = ["backoffice.formats"]  # Swahili numbers and dates as English ones (sw/formats.py)
TIME_ZONE = "Africa/Nairobi"
USE_I18N = True
USE_TZ = True

# --- static and media --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", ROOT / "staticfiles"))
STATICFILES_DIRS = [ROOT / "theme" / "static"]
# WhiteNoise serves them from STATIC_ROOT (after `collectstatic`) with content-hashed names, brotli
# and gzip copies made at collectstatic time, and a 10-year immutable Cache-Control on hashed
# names; the service worker and manifest (unhashed names) get WHITENOISE_MAX_AGE. nginx may serve
# STATIC_ROOT itself with the same headers (ops/deploy/README.md); the app works either way.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 600
# The trimmed page shell (system font, subset icons, deferred scripts: theme/templates/biashara/
# skeleton.html). Off gives Unfold's own shell, the baseline ops/bench/lighthouse.py measures.
BACKOFFICE_LEAN_PAGES = os.environ.get("BACKOFFICE_LEAN_PAGES", "1") == "1"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", ROOT / "media"))
# Export files (MEDIA_ROOT/private/exports) are only ever sent by the exports' download view, which
# checks who asks. Set (production: "/internal/exports/"), the view answers X-Accel-Redirect to that
# `internal` nginx location; empty, Django streams the file itself.
EXPORTS_X_ACCEL_PREFIX = os.environ.get("EXPORTS_X_ACCEL_PREFIX", "")

# --- Wagtail (public site, edited at /cms/) ----------------------------------------------------
WAGTAIL_SITE_NAME = "Biashara"
# The site's public address: Wagtail's editor links, and the short links texted to customers (/s/<slug>/)
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = PUBLIC_BASE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILIMAGES_IMAGE_MODEL = "wagtailimages.Image"

# --- M-Pesa (Daraja) ----------------------------------------------------------------------------
# "simulator" (dev and tests) serves Daraja's endpoints from this app at /simulator/daraja/;
# "sandbox" and "production" point the same client at Safaricom.
MPESA_MODE = os.environ.get("MPESA_MODE", "simulator")
MPESA_BASE_URL = os.environ.get("MPESA_BASE_URL") or {
    "simulator": "http://127.0.0.1:8000/simulator/daraja",
    "sandbox": "https://sandbox.safaricom.co.ke",
    "production": "https://api.safaricom.co.ke",
}[MPESA_MODE]
MPESA_CONSUMER_KEY = os.environ.get("MPESA_CONSUMER_KEY", "simulator-key")
MPESA_CONSUMER_SECRET = os.environ.get("MPESA_CONSUMER_SECRET", "simulator-secret")
MPESA_SHORTCODE = os.environ.get("MPESA_SHORTCODE", "174379")  # Safaricom's public sandbox till
MPESA_PASSKEY = os.environ.get("MPESA_PASSKEY", "simulator-passkey")
MPESA_CALLBACK_BASE_URL = os.environ.get("MPESA_CALLBACK_BASE_URL", "http://127.0.0.1:8000")
MPESA_CALLBACK_TOKEN = os.environ.get("MPESA_CALLBACK_TOKEN", "dev-callback-token")
MPESA_CALLBACK_ALLOWED_IPS = env_list("MPESA_CALLBACK_ALLOWED_IPS", [])  # empty: any IP
# Refused callbacks (wrong token, outside the allowlist) an address may make in a minute before it
# gets 429 without a database write (counted in the Redis cache; genuine callbacks are never limited).
MPESA_CALLBACK_REFUSALS_PER_MINUTE = int(os.environ.get("MPESA_CALLBACK_REFUSALS_PER_MINUTE", "30"))
MPESA_HTTP_TIMEOUT = float(os.environ.get("MPESA_HTTP_TIMEOUT", "10"))
# How long STK Query keeps asking before giving up (a payment after that still reaches the inbox).
MPESA_GIVE_UP_SECONDS = float(os.environ.get("MPESA_GIVE_UP_SECONDS", "600"))
if MPESA_MODE == "simulator":
    INSTALLED_APPS.append("modules.core.payments.simulator")
    # How the simulated customers and Daraja behave (dev, tests and benches only; see the simulator).
    MPESA_SIMULATOR_DELAY = float(os.environ.get("MPESA_SIMULATOR_DELAY", "2"))
    MPESA_SIMULATOR_LATE_SECONDS = float(os.environ.get("MPESA_SIMULATOR_LATE_SECONDS", "20"))
    MPESA_SIMULATOR_AFTER_GIVE_UP_SECONDS = float(os.environ.get("MPESA_SIMULATOR_AFTER_GIVE_UP_SECONDS", "660"))

# --- ledger tamper evidence (modules/core/ledger/chain.py) ------------------------------------------
# The HMAC key that seals entries and signs the chain's anchors. It must never be stored in the
# database: whoever holds only PostgreSQL then cannot redo the chain. Env or a key file (0400).
LEDGER_KEY = os.environ.get("LEDGER_HMAC_KEY", "")
LEDGER_KEY_FILE = os.environ.get("LEDGER_KEY_FILE", "")
# Where the signed chain head and nightly checkpoints are written: not the database's disk or
# account; production keeps them beside the backups and the owner gets each checkpoint by e-mail.
LEDGER_ANCHOR_DIR = Path(os.environ.get("LEDGER_ANCHOR_DIR", ROOT / ".data" / "ledger-anchors"))
LEDGER_CHECKPOINT_EMAILS = env_list("LEDGER_CHECKPOINT_EMAILS", [])

# --- KRA eTIMS (OSCU; modules/core/etims/README.md) ------------------------------------------------
# "simulator" (dev): this app serves KRA's OSCU API at /etims-api/; "sandbox" and "production" point
# the same client at KRA; "off": no sale is sent (the tests' default, a bench's baseline).
ETIMS_MODE = os.environ.get("ETIMS_MODE", "simulator")
ETIMS_BASE_URL = os.environ.get("ETIMS_BASE_URL") or {
    "simulator": f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/etims-api",
    "sandbox": "https://etims-api-sbx.kra.go.ke/etims-api",
    "production": "https://etims-api.kra.go.ke/etims-api",
}.get(ETIMS_MODE, "")  # "off" or a mistyped mode: none (production's checks name the mistake)
ETIMS_TIN = os.environ.get("ETIMS_TIN", "P051234567X")  # the owner's KRA PIN (the simulator's demo one)
ETIMS_BHF_ID = os.environ.get("ETIMS_BHF_ID", "00")  # the branch KRA gave this device (often 00, maybe 01)
ETIMS_DEVICE_SERIAL = os.environ.get("ETIMS_DEVICE_SERIAL", "BIASHARA/P051234567X/0")
ETIMS_CMC_KEY = os.environ.get("ETIMS_CMC_KEY", "")  # from `manage.py etims_init`; a secret, like MPESA_*
ETIMS_SDC_ID = os.environ.get("ETIMS_SDC_ID", "")  # the SCU ID, when the device was initialised elsewhere
ETIMS_HTTP_TIMEOUT = float(os.environ.get("ETIMS_HTTP_TIMEOUT", "30"))
# The buyer's PIN lookup at the counter: past this, the sale goes on with the PIN unchecked.
ETIMS_LOOKUP_TIMEOUT = float(os.environ.get("ETIMS_LOOKUP_TIMEOUT", "4"))
# KRA's receipt check the QR code links to: the sandbox's for everything but production.
ETIMS_QR_HOST = os.environ.get("ETIMS_QR_HOST") or (
    "etims.kra.go.ke" if ETIMS_MODE == "production" else "etims-sbx.kra.go.ke")
if ETIMS_MODE == "simulator":
    INSTALLED_APPS.append("modules.core.etims.simulator")

# --- customer SMS (Africa's Talking; modules/core/sms/README.md) -----------------------------------
# "simulator" (dev): this app serves AT's messaging API at /sms-api/; "sandbox" and "production" point
# the same SDK at Africa's Talking; "off": nothing is sent or recorded (the tests' default).
SMS_MODE = os.environ.get("SMS_MODE", "simulator")
SMS_BASE_URL = os.environ.get("SMS_BASE_URL") or {
    "simulator": f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/sms-api/version1",
    "sandbox": "https://api.sandbox.africastalking.com/version1",
    "production": "https://api.africastalking.com/version1",
}.get(SMS_MODE, "")
AT_USERNAME = os.environ.get("AT_USERNAME", "simulator")
AT_API_KEY = os.environ.get("AT_API_KEY", "simulator-api-key")
SMS_SENDER_ID = os.environ.get("SMS_SENDER_ID", "")  # an approved alphanumeric sender; empty: AT's shared code
# Delivery reports and incoming messages post to /sms/<SMS_CALLBACK_TOKEN>/delivery/ and …/incoming/.
SMS_CALLBACK_TOKEN = os.environ.get("SMS_CALLBACK_TOKEN", "dev-sms-callback-token")
SMS_CALLBACK_REFUSALS_PER_MINUTE = int(os.environ.get("SMS_CALLBACK_REFUSALS_PER_MINUTE", "30"))
SMS_HTTP_TIMEOUT = float(os.environ.get("SMS_HTTP_TIMEOUT", "10"))
SMS_LINK_MISSES_PER_MINUTE = int(os.environ.get("SMS_LINK_MISSES_PER_MINUTE", "20"))  # /s/<slug>/ not found, per address
if SMS_MODE == "simulator":
    INSTALLED_APPS.append("modules.core.sms.simulator")

# --- health watcher (modules/core/system/watcher.py) and its e-mail --------------------------------
# /health/deps/ answers the owner's login, or a monitor sending "Authorization: Bearer <HEALTH_TOKEN>"
# (empty: the owner only). /health/ (liveness) stays public.
HEALTH_TOKEN = os.environ.get("HEALTH_TOKEN", "")
HEALTH_WATCH_BACKUPS = os.environ.get("HEALTH_WATCH_BACKUPS", "0") == "1"  # production: on
HEALTH_WATCH_DISKS = env_list("HEALTH_WATCH_DISKS", [])  # beside MEDIA_ROOT: e.g. /var/lib/postgresql
HEALTH_ALERT_PHONES = env_list("HEALTH_ALERT_PHONES", [])  # SMS alerts, once an SMS module exists
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "0") == "1"
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "biashara@localhost")

# --- demo --------------------------------------------------------------------------------------
DEMO_ALLOWED = False  # seed_demo refuses unless an environment turns this on

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"backoffice": {"level": "INFO"}, "modules": {"level": "INFO"}},
}
