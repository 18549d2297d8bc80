from django.core.management.base import BaseCommand, CommandError
from django.db.models import Prefetch

from modules.core.ledger import chain
from modules.core.ledger.models import JournalEntry, JournalLine


class Command(BaseCommand):
    help = "Walk the ledger's hash chain and name the first entry that was altered, removed or inserted."

    def handle(self, *args, **options):
        entries = (JournalEntry.objects.order_by("number")
                   .select_related("business", "reversal_of", "source_type")
                   .prefetch_related(Prefetch("lines", JournalLine.objects.select_related("account").order_by("id")))
                   .iterator(chunk_size=2000))
        broken, detail = chain.verify(entries)
        if broken is not None:
            raise CommandError(f"Ledger chain broken at entry #{broken.number} (id {broken.pk}, "
                               f"{broken.date:%d %b %Y}, {broken.memo!r}): {detail}")
        self.stdout.write(self.style.SUCCESS(f"Ledger chain intact: {detail} entries verified"))
