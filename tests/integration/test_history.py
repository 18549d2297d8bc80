"""generate_history: the bulk path leaves the same invariants the services keep."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.utils import timezone

from fixtures.history import verify_history
from modules.core.inventory.models import Item, StockLevel, StockMovement
from modules.core.ledger import services as ledger
from modules.core.ledger.models import JournalEntry
from modules.core.money.models import Movement
from modules.core.payments.models import Payment
from modules.core.businesses.models import Business
from modules.core.sales import accounts
from modules.core.sales import services as sales
from modules.core.sales.models import Sale

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_few_days_of_history_keep_every_invariant(stocked):
    out = StringIO()
    call_command("generate_history", days=3, per_day=80, verify=True, stdout=out)
    assert "Ledger chain intact" in out.getvalue()
    assert verify_history() == []

    assert Sale.objects.filter(kind="quick").exclude(payment_method="credit").count() == 240  # the day's baskets
    # every business's own documents too: laundry jobs, LPG refill exchanges, deliveries, credit sales
    kinds = set(Sale.objects.values_list("kind", flat=True))
    assert {"quick", "laundry", "lpg", "delivery"} <= kinds and Sale.objects.filter(payment_method="credit").exists()
    from modules.laundry.models import Job
    from modules.shop.models import LpgSale

    assert Job.objects.count() == Sale.objects.filter(kind="laundry").count() > 0
    assert LpgSale.objects.count() == Sale.objects.filter(kind="lpg").count() > 0
    days = set(Sale.objects.values_list("created_at__date", flat=True))
    today = timezone.localdate()
    assert days <= {today - timedelta(days=n) for n in (1, 2, 3)}  # three days, ending yesterday
    # what was sold is paid or still owed (credit sales, laundry balances not yet collected)
    paid = Payment.objects.filter(document_type__model="sale").aggregate(s=Sum("applied"))["s"]
    owed = sum((row["total"] for row in accounts.ageing(Business.objects.all(), as_of=today)), 0)
    assert owed > 0 and paid + owed == Sale.objects.aggregate(s=Sum("total"))["s"]
    kinds = set(Movement.objects.values_list("kind", flat=True))  # the owner's money moved too
    assert {"capital", "float_in", "bank_deposit"} <= kinds
    for movement in Movement.objects.all():
        assert movement.entry is not None and movement.status == "posted"
        assert sum(line.debit - line.credit for entry in ledger.entries_for(movement) for line in entry.lines.all()) == 0
    rows = ledger.trial_balance()
    assert sum(r["debit"] for r in rows) == sum(r["credit"] for r in rows)
    for level in StockLevel.objects.filter(item__tracks_stock=True):
        moved = StockMovement.objects.filter(item=level.item, location=level.location).aggregate(q=Sum("quantity"))
        assert level.quantity == moved["q"] and level.quantity >= 0

    # the services carry on from the generated history: receipt numbers and the hash chain continue
    refill = Item.objects.get(sku="W-REFILL-20")
    new, _ = sales.create_sale(business=refill.business, client_uuid="3f6c2a8e-1b9d-4c1e-9a51-0d4f3b7e2c11",
                               lines=[sales.SaleLineInput(refill.pk, 1)])
    assert new.number == Sale.objects.filter(business=refill.business).count()  # the one counter, no gaps
    assert timezone.localdate(new.created_at) == today  # auto_now_add is back on after generating
    assert timezone.localdate(JournalEntry.objects.order_by("-number").first().posted_at) == today
    call_command("verify_ledger", stdout=StringIO())


def test_a_tampered_stock_level_is_reported(stocked):
    call_command("generate_history", days=1, per_day=20, stdout=StringIO())
    level = StockLevel.objects.filter(item__tracks_stock=True).first()
    StockLevel.objects.filter(pk=level.pk).update(quantity=level.quantity + 1)
    assert any("movements add up to" in problem for problem in verify_history())


def test_refuses_nonsense_arguments(stocked):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_history", days=0, per_day=10)
