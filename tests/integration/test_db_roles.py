"""The app's database role, as production has it: exact grants, append-only audit trails, and
retention that still prunes them."""

from datetime import timedelta

import psycopg
import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from modules.core.exports.specs import all_imports
from modules.core.registry import registry
from modules.core.system import db_roles as grants
from modules.core.system.models import SecurityEvent
from modules.core.system.services import security_event
from tests import db_roles
from tests.conftest import PASSWORD

APP = "biashara_app"
# The audit trails and money records that must never be rewritten by the app: if a declaration
# disappears, this list still holds.
MUST_BE_APPEND_ONLY = {
    "ledger_journalentry", "ledger_journalline", "payments_payment", "sales_saleline", "inventory_stockmovement",
    "system_securityevent", "django_admin_log", "axes_accesslog", "axes_accessfailurelog",
    "approvals_approvaldecision", "exports_exportlogentry",
    # history of master data (django-pghistory): the triggers INSERT as the app, nothing rewrites it
    "inventory_itemevent", "shop_cylindertypeevent", "shop_swapfeeevent", "customers_customerevent",
    "customers_customerphoneevent", "businesses_useraccessevent", "businesses_rolepermissionevent",
    "businesses_userroleevent", "businesses_userpermissionevent", "pghistory_context",
    "purchasing_supplierpriceevent",
}
WRITE = {"SELECT", "INSERT", "UPDATE", "DELETE"}


def privileges(relkinds):
    """{relation: {privilege, ...}} the app role holds, read from the catalogue."""
    with db_roles.connect("superuser") as conn:
        rows = conn.execute(
            "SELECT c.relname, a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = ANY(%s) AND a.grantee = %s::regrole",
            [list(relkinds), APP]).fetchall()
        names = conn.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                             "AND relkind = ANY(%s)", [list(relkinds)]).fetchall()
    held = {name: set() for (name,) in names}
    for name, privilege in rows:
        held[name].add(privilege)
    return held


@pytest.mark.django_db
def test_the_suite_itself_runs_as_the_app_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls "
                       "FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (APP, False, False, False, False)


@pytest.mark.django_db
def test_the_app_role_holds_exactly_the_declared_privileges_table_by_table():
    append_only = {apps.get_model(label)._meta.db_table for m in registry.modules() for label in m.append_only}
    assert MUST_BE_APPEND_ONLY <= append_only
    tables = privileges("rp")
    expected = {table: {"SELECT", "INSERT"} if table in append_only else {"SELECT"}
                if table == "django_migrations" else WRITE for table in tables}
    assert tables == expected
    assert {frozenset(held) for held in privileges("S").values()} == {frozenset({"USAGE", "SELECT"})}  # no setval


@pytest.mark.django_db
def test_the_only_column_grant_is_the_security_event_counter():
    """Column-level grants (which the table-level check above cannot see): the app may UPDATE the
    count of a security event and no other column of any table."""
    with db_roles.connect("superuser") as conn:
        columns = conn.execute(
            "SELECT c.relname, t.attname, a.privilege_type FROM pg_attribute t JOIN pg_class c ON c.oid = t.attrelid "
            "CROSS JOIN LATERAL aclexplode(t.attacl) a WHERE c.relnamespace = 'public'::regnamespace "
            "AND a.grantee = %s::regrole", [APP]).fetchall()
    assert columns == [("system_securityevent", "count", "UPDATE")]


@pytest.mark.django_db(transaction=True)
def test_the_app_may_only_raise_a_security_events_count():
    security_event("mpesa.bad_token", "Callback with a wrong token", ip="105.163.2.9")
    security_event("mpesa.bad_token", "Callback with a wrong token", ip="105.163.2.9")
    assert SecurityEvent.objects.get().count == 2
    with db_roles.connect("app") as app:
        app.execute("UPDATE system_securityevent SET count = count + 1")
        for sql in ("UPDATE system_securityevent SET count = 1", "UPDATE system_securityevent SET count = count",
                    "UPDATE system_securityevent SET message = 'nothing happened'",
                    "UPDATE system_securityevent SET ip_address = '10.0.0.1', count = count + 1"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)
    with db_roles.connect("owner") as owner:  # the trigger holds for the table's owner too
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            owner.execute("UPDATE system_securityevent SET count = 0")
    event = SecurityEvent.objects.get()
    assert (event.count, event.message, event.ip_address) == (3, "Callback with a wrong token", "105.163.2.9")


@pytest.mark.django_db
def test_the_app_role_owns_nothing_and_may_run_only_the_prune_functions():
    with db_roles.connect("superuser") as conn:
        owned = conn.execute("SELECT count(*) FROM pg_class WHERE relowner = %s::regrole", [APP]).fetchone()[0]
        functions = conn.execute(
            "SELECT p.proname, p.prosecdef, pg_get_userbyid(p.proowner) FROM pg_proc p "
            "CROSS JOIN LATERAL aclexplode(p.proacl) a WHERE a.grantee = %s::regrole AND a.privilege_type = 'EXECUTE'",
            [APP]).fetchall()
    assert owned == 0
    expected = {grants.prune_function(retention)[0] for retention in registry.retentions()}
    assert {name for name, _, _ in functions} == expected
    assert {(definer, owner) for _, definer, owner in functions} == {(True, "biashara_owner")}


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(MUST_BE_APPEND_ONLY))
def test_the_app_role_may_not_update_or_delete_an_append_only_table(table):
    with db_roles.connect("app") as app:
        app.execute(f"SELECT count(*) FROM {table}")
        for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table}"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                app.execute(sql)


@pytest.mark.django_db(transaction=True)
def test_retention_prunes_old_security_events_through_the_owners_function():
    security_event("mpesa.bad_token", "Callback with a wrong token", ip="105.163.2.9")
    with db_roles.connect("app") as app:  # the app may backdate nothing, but may insert
        app.execute("INSERT INTO system_securityevent (kind, message, detail, created_at) "
                    "VALUES ('old', 'from last season', '{}', %s)", [timezone.now() - timedelta(days=91)])
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute("DELETE FROM system_securityevent WHERE kind = 'old'")
    assert SecurityEvent.objects.count() == 2
    deleted = grants.prune_old_rows()
    assert deleted["system.SecurityEvent"] == 1
    assert list(SecurityEvent.objects.values_list("kind", flat=True)) == ["mpesa.bad_token"]
    assert set(deleted) == {r.model for r in registry.retentions()}


def test_every_append_only_model_has_a_read_only_admin():
    owner = User(username="probe", is_active=True, is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = owner
    append_only = {apps.get_model(label) for label in registry.append_only_models()}
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model in append_only:
            checked += 1
            assert not model_admin.has_change_permission(request), model
            assert not model_admin.has_delete_permission(request), model
    assert checked >= 6


def test_no_import_brings_its_own_ids():
    """So skipping import-export's sequence reset (setval, refused to the app role) loses nothing."""
    assert all_imports()
    for declared in all_imports():
        fields = [field.column_name for field in declared.resource_class().get_import_fields()]
        assert "id" not in fields, declared.key


@pytest.mark.django_db
def test_a_user_with_an_admin_history_is_kept_and_the_page_says_why(login):
    staff = User.objects.get(username="water_staff")
    LogEntry.objects.log_actions(user_id=staff.pk, queryset=[staff], action_flag=CHANGE, change_message="x",
                                 single_object=True)
    owner = login("owner")
    url = reverse("admin:auth_user_delete", args=[staff.pk])
    page = owner.get(url)
    assert page.status_code == 200 and b"entries in the admin log" in page.content
    refused = owner.post(url, {"post": "yes"})  # before: a 500, permission denied on django_admin_log
    assert refused.status_code == 200 and b"Cannot delete" in refused.content
    assert User.objects.filter(pk=staff.pk).exists()


@pytest.mark.django_db
def test_logging_in_and_out_keeps_the_login_history_append_only(client, demo):
    response = client.post(reverse("admin:login"), {"username": "owner", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    assert client.post(reverse("admin:logout")).status_code in (200, 302)
    for n in range(3):
        client.post(reverse("admin:login"), {"username": "owner", "password": f"wrong-{n}", "next": "/admin/"})
    from axes.models import AccessFailureLog, AccessLog

    assert AccessLog.objects.filter(username="owner").count() == 1
    assert AccessFailureLog.objects.filter(username="owner").count() == 3
