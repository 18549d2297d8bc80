"""Every admin URL, for every role: 200 where the role may go, 403 where it may not.

Parametrised over the admin registry and the dashboard widgets, so new models and widgets join
automatically. Scoping expectations come from this file's own table, not from the code under test.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory
from django.urls import reverse

from modules.core.registry import registry
from tests.conftest import ROLE_USERS

ALL = {"water", "laundry", "shop"}
SEES = {"owner": ALL, "accountant": ALL, "water_staff": {"water"}, "laundry_staff": {"laundry"},
        "shop_staff": {"shop"}}
MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)
# Who sees each widget that belongs to no single business: a new one must be added here.
WIDGET_AUDIENCE = {"system": {"owner"}, "payments.waiting": set(SEES), "payments.inbox": set(SEES), "sales.quick": set(SEES) - {"accountant"},
                   "inventory.low_stock": set(SEES), "approvals.pending": {"owner"},
                   "sales.today": {"owner", "accountant"}, "sales.debtors": {"owner", "accountant"},
                   "reports.revenue_trend": {"owner", "accountant"},
                   "money.tills": set(SEES) - {"accountant"}, "cms.requests": set(SEES),
                   "etims.pending": {"owner", "accountant"}, "sms.cost": {"owner", "accountant"}}
CAN = {"changelist": ("view", "change"), "history": ("view", "change"), "change": ("view", "change"),
       "add": ("add",), "delete": ("delete",)}


def allowed(user, model, action, obj):
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = user
    opts = model._meta
    if not any(user.has_perm(f"{opts.app_label}.{a}_{opts.model_name}") for a in CAN[action]):
        return False
    if action == "add" and not model_admin.has_add_permission(request):
        return False
    if action == "delete" and not model_admin.has_delete_permission(request, obj):
        return False
    business = getattr(obj, "business", None)
    return business is None or business.code in SEES[user.username]


def objects_of(model):
    if any(f.name == "business" for f in model._meta.fields):
        return list(model.objects.filter(business__code__in=ALL).order_by("business__code", "pk").distinct("business__code"))
    first = model.objects.order_by("pk").first()
    return [first] if first else []


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
@pytest.mark.parametrize("username", ROLE_USERS)
def test_admin_urls(login, username, model):
    client = login(username)
    user = User.objects.get(username=username)
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    checks = [("changelist", reverse(f"{prefix}_changelist"), None), ("add", reverse(f"{prefix}_add"), None)]
    for obj in objects_of(model):
        for action in ("change", "history", "delete"):
            checks.append((action, reverse(f"{prefix}_{action}", args=[obj.pk]), obj))
    failures = []
    for action, url, obj in checks:
        expected = 200 if allowed(user, model, action, obj) else 403
        status = client.get(url).status_code
        if status != expected:
            failures.append(f"{action} {url}: {status}, expected {expected}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("widget", registry.widgets(), ids=lambda w: w.key)
@pytest.mark.parametrize("username", ROLE_USERS)
def test_widgets(login, username, widget):
    client = login(username)
    may = widget.business in SEES[username] if widget.business else username in WIDGET_AUDIENCE[widget.key]
    response = client.get(reverse("admin:widget", args=[widget.key]))
    assert response.status_code == (200 if may else 403)
    on_dashboard = f'data-widget="{widget.key}"'.encode() in client.get(reverse("admin:index")).content
    assert on_dashboard == may


@pytest.mark.django_db
def test_the_accountant_can_read_but_not_edit(login):
    from modules.core.inventory.models import Item

    item = Item.objects.filter(business__code="water").first()
    client = login("accountant")
    url = reverse("admin:inventory_item_change", args=[item.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"business": item.business_id, "name": "Hacked", "sku": item.sku,
                                 "unit": item.unit, "selling_price": "1", "price_includes_vat": "on"})
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.name != "Hacked"


@pytest.mark.django_db
def test_staff_cannot_touch_another_business(login):
    from modules.core.inventory.models import Item

    shop_item = Item.objects.filter(business__code="shop").first()
    client = login("water_staff")
    listing = client.get(reverse("admin:inventory_item_changelist")).content.decode()
    assert "20 L refill" in listing and shop_item.name not in listing
    url = reverse("admin:inventory_item_change", args=[shop_item.pk])
    response = client.post(url, {"business": shop_item.business_id, "name": "Hacked", "sku": shop_item.sku,
                                 "unit": "piece", "selling_price": "1"})
    assert response.status_code == 403
    shop_item.refresh_from_db()
    assert shop_item.name != "Hacked"


@pytest.mark.django_db
def test_staff_can_only_file_items_under_their_business(login):
    from modules.core.businesses.models import Business
    from modules.core.inventory.models import Item

    client = login("water_staff")
    shop = Business.objects.get(code="shop")
    response = client.post(reverse("admin:inventory_item_add"), {
        "business": shop.pk, "name": "Smuggled", "sku": "X-1", "unit": "piece", "selling_price": "5",
    })
    assert response.status_code == 200  # the form re-renders with an error
    assert not Item.objects.filter(name="Smuggled").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ROLE_USERS)
def test_sidebar_shows_only_what_the_role_may_open(login, username):
    page = login(username).get(reverse("admin:index")).content.decode()
    for business, label in [("water", "Water prices"), ("laundry", "Laundry prices"), ("shop", "Shop prices")]:
        assert (label in page) == (business in SEES[username]), label
    assert ("Job queue" in page) == (username == "owner")
    assert ("/admin/auth/user/" in page) == (username == "owner")


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["accountant", "water_staff"])
def test_only_the_owner_opens_the_job_queue_and_the_cms(login, username):
    client = login(username)
    assert client.get("/admin/rq/").status_code == 403
    assert client.get("/cms/").status_code in (302, 403)
    owner = login("owner")
    assert owner.get("/admin/rq/").status_code == 200
    assert owner.get("/cms/").status_code == 200
