"""Changelists of big tables never run an exact COUNT(*) over the whole table."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from modules.core.system.models import SecurityEvent
from modules.core.businesses.pagination import EstimatedCountPaginator
from tests import db_roles


def analyze(table):
    """What autovacuum does in production; only the table's owner may (the app role is skipped)."""
    with db_roles.connect("owner") as owner:
        owner.execute(f"ANALYZE {table}")


@pytest.mark.django_db
def test_small_tables_are_counted_exactly():
    SecurityEvent.objects.bulk_create(SecurityEvent(kind="k", message=str(n)) for n in range(25))
    assert EstimatedCountPaginator(SecurityEvent.objects.order_by("pk"), 10).count == 25


@pytest.mark.django_db(transaction=True)
def test_big_tables_are_estimated_from_a_bounded_count(monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "CAP", 50)
    SecurityEvent.objects.bulk_create(SecurityEvent(kind="k", message=str(n)) for n in range(300))
    analyze("system_securityevent")
    paginator = EstimatedCountPaginator(SecurityEvent.objects.order_by("pk"), 10)
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    sql = [q["sql"] for q in queries.captured_queries]
    assert any("LIMIT 51" in s for s in sql) and any(s.startswith("EXPLAIN") for s in sql)
    assert not any(s.startswith("SELECT COUNT(*)") and "LIMIT" not in s for s in sql)
    assert 250 <= count <= 350


@pytest.mark.django_db
def test_the_sales_changelist_uses_it(login):
    from django.contrib import admin

    from modules.core.sales.models import Sale

    assert admin.site._registry[Sale].paginator is EstimatedCountPaginator
    assert login("owner").get("/admin/sales/sale/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_underestimating_planner_falls_back_to_the_table_size(monkeypatch):
    """Expressions the planner cannot see into get default selectivities (about a third each), so it
    guesses ~11 of 300 rows: below what the bounded count already proved. Every page must stay reachable."""
    monkeypatch.setattr(EstimatedCountPaginator, "CAP", 50)
    SecurityEvent.objects.bulk_create(SecurityEvent(kind="k", message=str(n)) for n in range(300))
    analyze("system_securityevent")
    blind = SecurityEvent.objects.extra(where=["length(message) < 100", "length(kind) < 100", "length(message) > 0"])
    paginator = EstimatedCountPaginator(blind.order_by("pk"), 10)
    assert paginator.count == 300
    assert len(paginator.page(30).object_list) == 10
