import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from fixtures.history import generate, verify_history


class Command(BaseCommand):
    help = "Add N days of sales history (stock, payments, ledger) for benchmarks; run seed_demo first."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--per-day", type=int, default=500, help="sales a day across all businesses")
        parser.add_argument("--seed", type=int, default=2026, help="random seed for what is sold, when and by whom")
        parser.add_argument("--verify", action="store_true", help="check stock, receipts and the hash chain after")

    def handle(self, *args, days, per_day, seed, verify, verbosity, **options):
        if not settings.DEMO_ALLOWED:
            raise CommandError("generate_history refuses to run here: these settings do not allow demo data")
        if days < 1 or per_day < 1:
            raise CommandError("--days and --per-day must be at least 1")
        started = time.monotonic()

        def progress(day, counts):
            if day.day == 1 or verbosity > 1:
                self.stdout.write(f"  {day:%Y-%m-%d}: {counts['sales']:,} sales so far "
                                  f"({time.monotonic() - started:.0f} s)")

        try:
            counts = generate(days=days, per_day=per_day, seed=seed, progress=progress)
        except ValueError as error:
            raise CommandError(str(error)) from error
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"{counts['sales']:,} sales, {counts['lines']:,} lines, {counts['movements']:,} stock movements, "
            f"{counts['entries']:,} journal entries, {counts['restocks']:,} restocks, "
            f"{counts.get('money', 0):,} money movements in {elapsed:.1f} s "
            f"({counts['sales'] / elapsed:,.0f} sales/s)"))
        if verify:
            problems = verify_history()
            for problem in problems:
                self.stderr.write(problem)
            call_command("verify_ledger", stdout=self.stdout)
            if problems:
                raise CommandError(f"{len(problems)} problem(s) in the generated history")
