import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fixtures import public_site
from fixtures.demo import seed

DEFAULT_PASSWORD = "demo-pass-2026"


class Command(BaseCommand):
    help = "Create the three businesses, a few products, the public site's pages and the demo logins (idempotent)."

    def handle(self, *args, **options):
        if not settings.DEMO_ALLOWED:
            raise CommandError("seed_demo refuses to run here: these settings do not allow demo data (production?)")
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_PASSWORD
        usernames = seed(password, activity=True)
        public_site.seed()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password: %s):" % password))
        for username in usernames:
            self.stdout.write(f"  {username}")
