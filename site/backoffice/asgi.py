"""ASGI entry point, kept for tooling; serve with gunicorn sync workers (WSGI measured 5-7x faster)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backoffice.settings.production")
application = get_asgi_application()
