"""Demo data for this business (declared as the module's ``demo``; run by `manage.py seed_demo`).

The price list always; with ``opening_stock`` (``make run``, not the tests' empty ledger) also a
believable day at the counter: jobs in every status, deposits, an overdue job, one waiting a
week to be collected, one collected and one cancelled. Idempotent: only when no job exists yet."""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from modules.core.inventory.services import seed_catalogue

from . import services
from .models import Job

# sku, name, price, unit, opening stock (None: a service, no stock), unit cost
CATALOGUE = [
    ("L-WASH-KG", "Wash & fold, per kg", "150", "kg", None, "40"),
    ("L-SUIT", "Suit, dry clean", "600", "piece", None, "150"),
    ("L-DUVET", "Duvet", "800", "piece", None, "200"),
    ("L-IRON", "Ironing only, per item", "50", "piece", None, "10"),
    ("L-CURTAIN", "Curtains, per panel", "350", "panel", None, "80"),
    ("L-SHIRT", "Shirt, wash & iron", "120", "piece", None, "30"),
    (services.EXPRESS_SKU, "Express (same day)", "300", "job", None, "0"),
]

# name, phone, lines (sku, qty), express, promised (hours from now), dropped (hours ago), status path,
# deposit, notes
JOBS = [
    ("Achieng Odhiambo", "0712 480 110", [("L-WASH-KG", "6")], False, 52, 1, "received", "500", ""),
    ("Kamau Njoroge", "0722 301 452", [("L-SUIT", "2")], True, 4, 2, "received", "1500",
     "Grey suit: small tear on the left pocket, shown to the customer"),
    ("Wambui Karanja", "0733 918 207", [("L-WASH-KG", "8")], False, 26, 20, "washing", "0", ""),
    ("Mutua Kilonzo", "0711 264 839", [("L-DUVET", "1")], False, -3, 50, "washing", "400",
     "Coffee stain near the corner"),
    ("Nyambura Wanjiku", "0745 377 120", [("L-WASH-KG", "4"), ("L-IRON", "5")], False, 20, 28, "drying", "0", ""),
    ("Otieno Ouma", "0798 552 016", [("L-CURTAIN", "4")], False, 2, 46, "finishing", "700", "Remove hooks first"),
    ("Fatuma Hassan", "0721 640 905", [("L-WASH-KG", "5"), ("L-SHIRT", "3")], False, -20, 70, "ready", "500", ""),
    ("Kiprop Cheruiyot", "0714 093 558", [("L-DUVET", "1")], False, -24 * 9, 24 * 11, "ready", "800", ""),
    ("Njeri Mwangi", "0702 815 344", [("L-SHIRT", "6")], False, -26, 72, "collected", "720", ""),
    ("Baraka Mwenda", "0757 126 780", [("L-WASH-KG", "3")], False, 30, 30, "cancelled", "200", ""),
]


def seed(business, *, opening_stock: bool, activity: bool = False) -> None:
    items = seed_catalogue(business, CATALOGUE, opening_stock=opening_stock)
    if activity and not Job.objects.filter(business=business).exists():
        _jobs(business, items)


def _jobs(business, items):
    staff, _ = User.objects.get_or_create(username="laundry_staff", defaults={"first_name": "Mwangi", "is_staff": True})
    now = timezone.now()
    for name, phone, lines, express, promised_in, dropped_ago, status, deposit, notes in JOBS:
        dropped = now - timedelta(hours=dropped_ago)
        job = services.create_job(
            business, customer_phone=phone, customer_name=name, express=express, notes=notes, deposit=deposit,
            lines=[services.JobLineInput(items[sku].pk, Decimal(qty)) for sku, qty in lines],
            promised_at=now + timedelta(hours=promised_in), user=staff, at=dropped)
        Job.objects.filter(pk=job.pk).update(created_at=dropped)
        if status == "cancelled":
            services.cancel_job(job, reason="Customer took it back unwashed", refund="credit", user=staff,
                                at=dropped + timedelta(hours=2))
            continue
        steps = services.flow()
        target = steps.index(status)
        if status == "ready" and promised_in < -24:  # ready long ago, never collected
            done_by = now - timedelta(hours=-promised_in)
        else:
            done_by = min(now - timedelta(minutes=20), dropped + timedelta(hours=max(dropped_ago - 1, 1)))
        for i in range(target):
            at = dropped + (done_by - dropped) * (i + 1) / target
            if steps[i + 1] == Job.Status.COLLECTED and services.balance_due(job) > 0:
                services.take_payment(job, user=staff, at=at)
            job = services.advance(job, user=staff, at=at)
