"""Register our C2B validation and confirmation URLs with M-Pesa for each business's number."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from modules.core.payments import c2b
from modules.core.payments.daraja import DarajaError, get_client
from modules.core.payments.models import MpesaSetting


class Command(BaseCommand):
    help = ("Register the C2B URLs (validation and confirmation) for the businesses' M-Pesa numbers, or for "
            "MPESA_SHORTCODE when no business has its own. Run once per number, and again after changing "
            "MPESA_CALLBACK_BASE_URL.")

    def add_arguments(self, parser):
        parser.add_argument("business", nargs="*", help="business codes (default: every business with a setting)")

    def handle(self, *args, **options):
        rows = MpesaSetting.objects.select_related("business").order_by("business__code")
        if options["business"]:
            rows = rows.filter(business__code__in=options["business"])
            missing = set(options["business"]) - {row.business.code for row in rows}
            if missing:
                raise CommandError(f"No M-Pesa setting for {', '.join(sorted(missing))}: add it in admin → "
                                   "Payments → M-Pesa settings first.")
        targets = list(rows) or [None]
        validation, confirmation = get_client().c2b_urls()
        self.stdout.write(f"Validation URL:   {validation}\nConfirmation URL: {confirmation}")
        failed = False
        for setting in targets:
            number = setting.shortcode if setting else str(settings.MPESA_SHORTCODE)
            who = setting.business.name if setting else "businesses without their own number"
            try:
                answer = c2b.register(setting)
            except DarajaError as error:
                failed = True
                self.stderr.write(f"{number} ({who}): refused: {error}")
            else:
                self.stdout.write(f"{number} ({who}): {answer}")
        if failed:
            raise CommandError("Some numbers were not registered (see above).")
