from django.core.management.base import BaseCommand

from modules.core.ledger import anchors


class Command(BaseCommand):
    help = ("Write a signed checkpoint of the ledger's hash chain (for backups: ops/deploy/backup.sh). "
            "PATH is a file, or a directory to write checkpoint-YYYYmmdd-HHMM.json into.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="default: LEDGER_ANCHOR_DIR")

    def handle(self, *args, path=None, **options):
        written = anchors.write_checkpoint(path)
        anchor = anchors.read(written)
        self.stdout.write(f"{written}: chain link {anchor.seq}, head {anchor.head}")
