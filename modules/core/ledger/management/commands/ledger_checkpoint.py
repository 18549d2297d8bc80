from django.core.management.base import BaseCommand

from modules.core.ledger import anchors


class Command(BaseCommand):
    help = ("Write a signed checkpoint of the ledger's hash chain. PATH is a file, or a directory to write "
            "checkpoint-YYYYmmdd-HHMM.json into. Without PATH it goes to LEDGER_ANCHOR_DIR and the signed "
            "JSON is printed, which ops/backup.py keeps beside the dump as checkpoint-STAMP.json.")

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="default: LEDGER_ANCHOR_DIR, and print the checkpoint")

    def handle(self, *args, path=None, **options):
        written = anchors.write_checkpoint(path)
        if path is None:
            self.stdout.write(written.read_text(), ending="")
            return
        anchor = anchors.read(written)
        self.stdout.write(f"{written}: chain link {anchor.seq}, head {anchor.head}")
