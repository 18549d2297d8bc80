"""Posting without a global lock, and tamper evidence under a key the database never sees.

* Entry numbers come from a sequence (gaps where a posting rolled back); the hash chain moves to
  ``ChainLink``, appended by a follower after commit (see chain.py).
* Each entry gets a seal (HMAC of its content, lines with their account's code and kind); each
  account a seal of what it means. Existing entries are first checked against the old, unkeyed
  chain: a broken one stops the migration (it would otherwise be sealed as if it were sound).
* An account's business, code and kind can no longer change (every posted line depends on them);
  chain links are append-only like the entries.
"""

import hashlib
import json

import django.utils.timezone
from django.db import migrations, models

from modules.core.ledger import chain

LEGACY_GENESIS = "0" * 64

SQL = """
CREATE SEQUENCE ledger_journalentry_number_seq OWNED BY ledger_journalentry.number;
SELECT setval('ledger_journalentry_number_seq', COALESCE((SELECT max(number) FROM ledger_journalentry), 0) + 1, false);

CREATE FUNCTION ledger_account_meaning_fixed() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'account % (%): its business, code and kind cannot change, posted lines depend on them; '
                    'open a new account instead', OLD.code, OLD.name USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_account_meaning_fixed BEFORE UPDATE ON ledger_account FOR EACH ROW
    WHEN (OLD.business_id IS DISTINCT FROM NEW.business_id OR OLD.code IS DISTINCT FROM NEW.code
          OR OLD.kind IS DISTINCT FROM NEW.kind)
    EXECUTE FUNCTION ledger_account_meaning_fixed();

CREATE TRIGGER ledger_chainlink_append_only BEFORE UPDATE OR DELETE ON ledger_chainlink
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_chainlink_no_truncate BEFORE TRUNCATE ON ledger_chainlink
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
"""

REVERSE_SQL = """
DROP TRIGGER ledger_chainlink_no_truncate ON ledger_chainlink;
DROP TRIGGER ledger_chainlink_append_only ON ledger_chainlink;
DROP TRIGGER ledger_account_meaning_fixed ON ledger_account;
DROP FUNCTION ledger_account_meaning_fixed();
DROP SEQUENCE ledger_journalentry_number_seq;
"""


def _legacy_hash(previous, entry, lines):
    canonical = json.dumps({
        "number": entry.number, "business": entry.business.code, "date": entry.date.isoformat(), "memo": entry.memo,
        "reversal_of": entry.reversal_of.number if entry.reversal_of_id else None,
        "source": chain.source_label(entry.source_type, entry.source_id),
        "lines": [[line.account.code, f"{line.debit:.2f}", f"{line.credit:.2f}"] for line in lines],
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((previous + canonical).encode()).hexdigest()


def seal_existing(apps, schema_editor):
    JournalEntry = apps.get_model("ledger", "JournalEntry")
    JournalLine = apps.get_model("ledger", "JournalLine")
    Account = apps.get_model("ledger", "Account")
    for account in Account.objects.select_related("business"):
        Account.objects.filter(pk=account.pk).update(seal=chain.seal_of_account(account))
    if not JournalEntry.objects.exists():
        return
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_journalentry DISABLE TRIGGER ledger_journalentry_append_only")
    previous, expected = LEGACY_GENESIS, 0
    entries = (JournalEntry.objects.order_by("number").select_related("business", "reversal_of", "source_type")
               .prefetch_related(models.Prefetch("lines", JournalLine.objects.select_related("account").order_by("id")))
               .iterator(chunk_size=2000))
    batch = []
    for entry in entries:
        expected += 1
        lines = list(entry.lines.all())
        if entry.number != expected or entry.previous_hash != previous or _legacy_hash(previous, entry, lines) != entry.hash:
            raise RuntimeError(f"ledger entry #{entry.number} breaks the old hash chain (run verify_ledger on the "
                               f"previous release): refusing to seal a tampered ledger")
        previous = entry.hash
        batch.append((entry.pk, chain.seal_of(entry)))
        if len(batch) == 2000:
            _write_seals(connection, batch)
            batch = []
    _write_seals(connection, batch)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_journalentry ENABLE TRIGGER ledger_journalentry_append_only")


def _write_seals(connection, batch):
    if not batch:
        return
    with connection.cursor() as cursor:
        values = ",".join(["(%s::bigint, %s)"] * len(batch))
        cursor.execute(f"UPDATE ledger_journalentry e SET seal = v.seal FROM (VALUES {values}) AS v(id, seal) "
                       # bandit: only %s placeholders are joined into the SQL
                       f"WHERE e.id = v.id", [x for pair in batch for x in pair])  # nosec B608


class Migration(migrations.Migration):
    dependencies = [
        ("businesses", "0001_initial"),
        ("ledger", "0002_enforce_in_postgresql"),
    ]

    operations = [
        migrations.AlterField(
            model_name="journalentry",
            name="number",
            field=models.PositiveBigIntegerField(
                help_text="From a sequence: increasing, with a gap where a posting was rolled back.", unique=True),
        ),
        migrations.AlterField(
            model_name="journalentry",
            name="posted_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="journalentry",
            name="seal",
            field=models.CharField(default="", help_text="HMAC of the entry's content under the ledger's key.",
                                   max_length=64),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="account",
            name="seal",
            field=models.CharField(blank=True, editable=False, max_length=64,
                                   help_text="HMAC of what the account means (chain.account_seal); set on every save."),
        ),
        migrations.CreateModel(
            name="ChainLink",
            fields=[
                ("seq", models.PositiveBigIntegerField(help_text="Position in the chain, from 1, no gaps.",
                                                       primary_key=True, serialize=False)),
                ("entry_seal", models.CharField(max_length=64)),
                ("link", models.CharField(help_text="HMAC(seq, entry number, entry seal, previous link).",
                                          max_length=64)),
                ("linked_at", models.DateTimeField(auto_now_add=True)),
                ("entry", models.OneToOneField(on_delete=models.deletion.PROTECT, related_name="link",
                                               to="ledger.journalentry")),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.RemoveIndex(model_name="journalline", name="ledger_jour_account_a9c677_idx"),
        migrations.AddIndex(
            model_name="journalline",
            index=models.Index(fields=["account", "entry"], include=["debit", "credit"],
                               name="ledger_line_account_cover"),
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.RemoveField(model_name="journalentry", name="previous_hash"),
        migrations.RemoveField(model_name="journalentry", name="hash"),
    ]
