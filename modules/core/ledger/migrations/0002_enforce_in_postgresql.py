"""What PostgreSQL itself guarantees about the ledger, whoever writes to it.

* Balance: a DEFERRABLE INITIALLY DEFERRED constraint trigger checks, at COMMIT, that every entry
  touched by the transaction has at least two lines and debits = credits exactly.
* Append-only: UPDATE and DELETE of entries and lines are refused; TRUNCATE is refused too, except
  for superusers (who can disable triggers anyway; the hash chain is what catches them).
* A line's business is its account's business: a composite foreign key.
"""

from django.db import migrations

SQL = """
CREATE FUNCTION ledger_check_entry_balanced(entry bigint) RETURNS void AS $$
DECLARE
    debits numeric; credits numeric; line_count integer;
BEGIN
    SELECT COALESCE(SUM(debit), 0), COALESCE(SUM(credit), 0), COUNT(*)
      INTO debits, credits, line_count
      FROM ledger_journalline WHERE entry_id = entry;
    IF line_count < 2 THEN
        RAISE EXCEPTION 'journal entry % has % line(s); an entry needs at least two', entry, line_count
            USING ERRCODE = 'check_violation';
    END IF;
    IF debits <> credits THEN
        RAISE EXCEPTION 'journal entry % is unbalanced: debits % <> credits %', entry, debits, credits
            USING ERRCODE = 'check_violation';
    END IF;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION ledger_entry_balanced_on_commit() RETURNS trigger AS $$
BEGIN
    PERFORM ledger_check_entry_balanced(NEW.id);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION ledger_line_balanced_on_commit() RETURNS trigger AS $$
BEGIN
    PERFORM ledger_check_entry_balanced(NEW.entry_id);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_entry_balanced
    AFTER INSERT ON ledger_journalentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_balanced_on_commit();
CREATE CONSTRAINT TRIGGER ledger_line_balanced
    AFTER INSERT ON ledger_journalline DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_line_balanced_on_commit();

CREATE FUNCTION ledger_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% on % refused: the ledger is append-only; post a reversing entry instead',
        TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_journalentry_append_only BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_journalline_append_only BEFORE UPDATE OR DELETE ON ledger_journalline
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_journalentry_no_truncate BEFORE TRUNCATE ON ledger_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_journalline_no_truncate BEFORE TRUNCATE ON ledger_journalline
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

ALTER TABLE ledger_journalline ADD CONSTRAINT ledger_line_account_business_match
    FOREIGN KEY (account_id, business_id) REFERENCES ledger_account (id, business_id);
"""

REVERSE_SQL = """
ALTER TABLE ledger_journalline DROP CONSTRAINT ledger_line_account_business_match;
DROP TRIGGER ledger_journalline_no_truncate ON ledger_journalline;
DROP TRIGGER ledger_journalentry_no_truncate ON ledger_journalentry;
DROP TRIGGER ledger_journalline_append_only ON ledger_journalline;
DROP TRIGGER ledger_journalentry_append_only ON ledger_journalentry;
DROP FUNCTION ledger_refuse_change();
DROP TRIGGER ledger_line_balanced ON ledger_journalline;
DROP TRIGGER ledger_entry_balanced ON ledger_journalentry;
DROP FUNCTION ledger_line_balanced_on_commit();
DROP FUNCTION ledger_entry_balanced_on_commit();
DROP FUNCTION ledger_check_entry_balanced(bigint);
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE_SQL)]
