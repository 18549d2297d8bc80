from django.db import migrations, models

# Security events stay an audit trail the app's role cannot rewrite: db_roles grants it UPDATE on
# the ``count`` column only (Module.append_only_counters), and this trigger (owned by the owner
# role, which the app cannot drop or disable) refuses any update that does not raise the count.
COUNT_ONLY_GROWS = """
CREATE FUNCTION system_securityevent_count_only_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.count <= OLD.count OR (NEW.id, NEW.kind, NEW.message, NEW.ip_address, NEW.detail, NEW.created_at,
                                  NEW.minute) IS DISTINCT FROM (OLD.id, OLD.kind, OLD.message, OLD.ip_address,
                                  OLD.detail, OLD.created_at, OLD.minute) THEN
        RAISE EXCEPTION 'security events are append-only: only their count may grow'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
REVOKE ALL ON FUNCTION system_securityevent_count_only_grows() FROM PUBLIC;
CREATE TRIGGER system_securityevent_count_only_grows BEFORE UPDATE ON system_securityevent
    FOR EACH ROW EXECUTE FUNCTION system_securityevent_count_only_grows();
"""
DROP = """
DROP TRIGGER system_securityevent_count_only_grows ON system_securityevent;
DROP FUNCTION system_securityevent_count_only_grows();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('system', '0003_backups_and_health_watcher'),
    ]

    operations = [
        migrations.AddField(
            model_name='securityevent',
            name='count',
            field=models.PositiveIntegerField(db_default=1, default=1, editable=False, help_text='How many times it happened from this address in that minute.'),
        ),
        migrations.AddField(
            model_name='securityevent',
            name='minute',
            field=models.DateTimeField(blank=True, editable=False, help_text='The minute the events happened in (repeats are counted).', null=True),
        ),
        migrations.AddConstraint(
            model_name='securityevent',
            constraint=models.UniqueConstraint(condition=models.Q(('minute__isnull', False)), fields=('kind', 'ip_address', 'minute'), name='securityevent_one_per_minute', nulls_distinct=False),
        ),
        migrations.RunSQL(COUNT_ONLY_GROWS, DROP),
    ]
