"""Accounts and lock dates keep a history that PostgreSQL writes itself.

Every change to an account's row and every added, moved or removed lock date appends a
``ledger_settingchange`` row (before, after, database login, time) from a trigger, so it is
recorded whoever makes it, through the admin or straight in SQL with the app's login; the history
is append-only like the entries (and the app role may only SELECT/INSERT it: module.append_only).
"""

from django.db import migrations, models

SQL = """
CREATE FUNCTION ledger_record_setting_change() RETURNS trigger AS $$
DECLARE
    before jsonb;
    after jsonb;
BEGIN
    IF TG_OP <> 'INSERT' THEN before := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN after := to_jsonb(NEW); END IF;
    INSERT INTO ledger_settingchange (changed_at, db_role, what, business_id, record_id, before, after)
    VALUES (clock_timestamp(), current_user, TG_ARGV[0], (COALESCE(after, before) ->> 'business_id')::bigint,
            (COALESCE(after, before) ->> 'id')::bigint, before, after);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_account_history AFTER UPDATE ON ledger_account FOR EACH ROW
    WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ledger_record_setting_change('account');
CREATE TRIGGER ledger_account_history_delete AFTER DELETE ON ledger_account FOR EACH ROW
    EXECUTE FUNCTION ledger_record_setting_change('account');
CREATE TRIGGER ledger_lockdate_history AFTER INSERT OR DELETE ON ledger_lockdate FOR EACH ROW
    EXECUTE FUNCTION ledger_record_setting_change('lock date');
CREATE TRIGGER ledger_lockdate_history_update AFTER UPDATE ON ledger_lockdate FOR EACH ROW
    WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION ledger_record_setting_change('lock date');

CREATE TRIGGER ledger_settingchange_append_only BEFORE UPDATE OR DELETE ON ledger_settingchange
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_settingchange_no_truncate BEFORE TRUNCATE ON ledger_settingchange
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
"""

REVERSE_SQL = """
DROP TRIGGER ledger_settingchange_no_truncate ON ledger_settingchange;
DROP TRIGGER ledger_settingchange_append_only ON ledger_settingchange;
DROP TRIGGER ledger_lockdate_history_update ON ledger_lockdate;
DROP TRIGGER ledger_lockdate_history ON ledger_lockdate;
DROP TRIGGER ledger_account_history_delete ON ledger_account;
DROP TRIGGER ledger_account_history ON ledger_account;
DROP FUNCTION ledger_record_setting_change();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("businesses", "0001_initial"),
        ("ledger", "0003_keyed_chain"),
    ]

    operations = [
        migrations.CreateModel(
            name="SettingChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("changed_at", models.DateTimeField()),
                ("db_role", models.CharField(max_length=63, verbose_name="database login")),
                ("what", models.CharField(choices=[("account", "Account"), ("lock date", "Lock date")], max_length=16)),
                ("record_id", models.BigIntegerField()),
                ("before", models.JSONField(blank=True, help_text="The row before; empty when it was added.",
                                            null=True)),
                ("after", models.JSONField(blank=True, help_text="The row after; empty when it was removed.",
                                           null=True)),
                ("business", models.ForeignKey(on_delete=models.deletion.PROTECT, related_name="+",
                                               to="businesses.business")),
            ],
            options={
                "ordering": ["-changed_at", "-id"],
                "indexes": [models.Index(fields=["business", "what", "record_id"],
                                         name="ledger_sett_busines_3d47a0_idx")],
            },
        ),
        migrations.RunSQL(SQL, REVERSE_SQL),
    ]
