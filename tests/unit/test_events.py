"""Events reach subscribers only after the transaction commits."""

import pytest
from django.db import transaction

from modules.core.registry import events, registry
from modules.core.registry.contract import Module, Subscription

received = []


def remember(**payload):
    received.append(payload)


@pytest.fixture(autouse=True)
def subscribed(monkeypatch):
    received.clear()
    module = Module("listener", "Listener", subscriptions=(Subscription("sale.committed", f"{__name__}.remember"),))
    monkeypatch.setattr(registry, "modules", lambda: (module,))


@pytest.mark.django_db(transaction=True)
def test_a_committed_event_reaches_its_subscriber():
    with transaction.atomic():
        events.publish("sale.committed", sale_id=7)
        assert received == [], "nothing is announced before the commit"
    assert received == [{"sale_id": 7}]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_event_is_never_announced():
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("sale.committed", sale_id=8)
        raise RuntimeError("payment failed")
    assert received == []


@pytest.mark.django_db(transaction=True)
def test_other_events_are_not_delivered():
    events.publish("stock.low", item_id=1)
    assert received == []
