"""What the books depend on (prices, costs, stock rules) changes only through the owner, and every
change of master data (items, prices, cylinder types, customers, roles, user permissions) is kept
with its old and new values for 7 years. That the app's database role may not rewrite or delete
history is in test_db_roles.py (MUST_BE_APPEND_ONLY)."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.urls import reverse

from modules.core.businesses.models import RolePermissionEvent, UserAccessEvent, UserPermissionEvent
from modules.core.customers.models import Customer, CustomerEvent
from modules.core.inventory.models import Item, ItemEvent
from modules.shop.models import CylinderType, CylinderTypeEvent, SwapFee

pytestmark = pytest.mark.django_db

def item_form(item, **changes):
    """The item's change form as the browser sends it (every editable field), with ``changes``."""
    data = {"business": item.business_id, "name": item.name, "sku": item.sku, "unit": item.unit,
            "selling_price": item.selling_price, "price_includes_vat": "on" if item.price_includes_vat else "",
            "tax_band": item.tax_band, "cost": item.cost, "is_active": "on" if item.is_active else "",
            "tracks_stock": "on" if item.tracks_stock else "",
            "allow_negative_stock": "on" if item.allow_negative_stock else "", **changes}
    return {key: value for key, value in data.items() if value != ""}  # an unticked box is not sent


def bread():
    return Item.objects.get(business__code="shop", sku="S-BREAD-400")


def test_staff_cannot_change_price_cost_or_stock_rules_even_by_forging_the_post(login):
    before = bread()
    assert (before.selling_price, before.cost, before.tracks_stock, before.allow_negative_stock) == (
        Decimal("70.00"), Decimal("58"), True, False)
    client = login("shop_staff")
    url = reverse("admin:inventory_item_change", args=[before.pk])
    page = client.get(url).content.decode()
    assert 'name="name"' in page  # staff still edit the name, SKU, unit …
    for guarded in ("selling_price", "cost", "tracks_stock", "allow_negative_stock", "tax_band"):
        assert f'name="{guarded}"' not in page, guarded  # … and see these read-only
    forged = client.post(url, item_form(before, name="Bread 400 g (white)", selling_price="1", cost="0.01",
                                        tracks_stock="", allow_negative_stock="on", tax_band="A"))
    assert forged.status_code == 302, forged.content.decode()[:800]
    after = bread()
    assert after.name == "Bread 400 g (white)"  # the honest part of the form saved
    assert (after.selling_price, after.cost, after.tracks_stock, after.allow_negative_stock, after.tax_band) == (
        before.selling_price, before.cost, True, False, before.tax_band)
    change = ItemEvent.objects.filter(pgh_obj=before, pgh_label="update").get()
    assert change.name == "Bread 400 g (white)" and change.cost == before.cost
    assert change.pgh_context["user"] == User.objects.get(username="shop_staff").pk


def test_a_new_item_from_staff_takes_the_default_stock_rules_whatever_is_posted(login):
    client = login("water_staff")
    water = Item.objects.filter(business__code="water").first().business
    response = client.post(reverse("admin:inventory_item_add"), {
        "business": water.pk, "name": "5 L bottle", "sku": "W-5L", "unit": "bottle", "selling_price": "150",
        "price_includes_vat": "on", "tax_band": "B", "is_active": "on", "cost": "1", "allow_negative_stock": "on"})
    assert response.status_code == 302, response.content.decode()[:800]
    added = Item.objects.get(sku="W-5L")
    assert (added.selling_price, added.cost, added.tracks_stock, added.allow_negative_stock) == (
        Decimal("150"), Decimal("0"), True, False)


def test_the_owner_changes_them_and_the_history_page_shows_old_and_new(login):
    before = bread()
    owner = login("owner")
    url = reverse("admin:inventory_item_change", args=[before.pk])
    saved = owner.post(url, item_form(before, selling_price="75", cost="60.5", allow_negative_stock="on"))
    assert saved.status_code == 302, saved.content.decode()[:800]
    after = bread()
    assert (after.selling_price, after.cost, after.allow_negative_stock) == (Decimal("75"), Decimal("60.5"), True)
    event = ItemEvent.objects.filter(pgh_obj=before).order_by("-pgh_id").first()
    assert (event.pgh_label, event.selling_price, event.cost) == ("update", Decimal("75"), Decimal("60.5"))
    assert event.pgh_context == {"user": User.objects.get(username="owner").pk, "url": url}

    history = reverse("admin:inventory_item_history", args=[before.pk])
    for who in ("owner", "accountant"):
        page = login(who).get(history).content.decode()
        assert "What changed" in page, who
        assert ('<span class="line-through text-base-500">70.00</span> → <span class="font-medium">75.00</span>'
                in page)
        assert '58.00</span> → <span class="font-medium">60.5' in page
        assert '>no</span> → <span class="font-medium">yes</span>' in page  # allow negative stock
    staff_page = login("shop_staff").get(history)
    assert staff_page.status_code == 200 and "What changed" not in staff_page.content.decode()  # values: not theirs


def test_a_change_outside_the_admin_is_recorded_too(demo):
    """Triggers, not signals: a service's queryset update, an import, psql."""
    before = bread()
    Item.objects.filter(pk=before.pk).update(cost=Decimal("61"))
    with connection.cursor() as cursor:  # as the app role, in plain SQL
        cursor.execute("UPDATE inventory_item SET selling_price = 80 WHERE id = %s", [before.pk])
    updates = list(ItemEvent.objects.filter(pgh_obj=before, pgh_label="update").order_by("pgh_id")
                   .values_list("cost", "selling_price"))
    assert updates == [(Decimal("61"), Decimal("70")), (Decimal("61"), Decimal("80"))]


def test_staff_cannot_change_cylinder_prices_or_swap_fees_by_forging_the_post(login):
    cylinder = CylinderType.objects.select_related("full_item").filter(business__code="shop").first()
    fee = SwapFee.objects.filter(business__code="shop").first()
    client = login("shop_staff")
    url = reverse("admin:shop_cylindertype_change", args=[cylinder.pk])
    page = client.get(url).content.decode()
    assert 'name="brand"' in page and 'name="refill_price"' not in page and 'name="outright_price"' not in page
    forged = client.post(url, {"business": cylinder.business_id, "size_kg": cylinder.size_kg, "brand": cylinder.brand,
                               "refill_price": "1", "outright_price": "2", "deposit": "3", "is_active": "on"})
    assert forged.status_code == 302, forged.content.decode()[:800]
    after = CylinderType.objects.select_related("full_item").get(pk=cylinder.pk)
    assert (after.refill_price, after.deposit, after.full_item.selling_price) == (
        cylinder.refill_price, cylinder.deposit, cylinder.full_item.selling_price)

    fee_url = reverse("admin:shop_swapfee_change", args=[fee.pk])
    forged = client.post(fee_url, {"business": fee.business_id, "size_kg": fee.size_kg, "fee": "0"})
    assert forged.status_code == 302
    assert SwapFee.objects.get(pk=fee.pk).fee == fee.fee

    owner = login("owner")
    saved = owner.post(url, {"business": cylinder.business_id, "size_kg": cylinder.size_kg, "brand": cylinder.brand,
                             "refill_price": cylinder.refill_price + 50, "outright_price": "9000",
                             "deposit": cylinder.deposit, "is_active": "on"})
    assert saved.status_code == 302, saved.content.decode()[:800]
    change = CylinderTypeEvent.objects.filter(pgh_obj=cylinder).order_by("-pgh_id").first()
    assert change.refill_price == cylinder.refill_price + 50
    assert ItemEvent.objects.filter(pgh_obj=cylinder.full_item).latest("pgh_id").selling_price == Decimal("9000")
    page = owner.get(reverse("admin:shop_cylindertype_history", args=[cylinder.pk])).content.decode()
    assert f'{cylinder.refill_price:,.2f}</span> → <span class="font-medium">{cylinder.refill_price + 50:,.2f}' in page


def test_importing_items_cannot_change_a_price_without_the_owners_permission(demo):
    from modules.core.inventory.resources import ItemImport
    from tablib import Dataset

    shop = bread().business
    importer = User.objects.get(username="shop_staff")
    importer.user_permissions.add(Permission.objects.get(codename="import_data"))
    dataset = Dataset(headers=["sku", "name", "price", "unit"])
    dataset.append(["S-BREAD-400", "Bread 400 g", "1", "loaf"])
    result = ItemImport(business=shop, user=User.objects.get(pk=importer.pk)).import_data(dataset, dry_run=True)
    assert result.has_validation_errors()
    assert "Only the owner changes prices" in str(result.invalid_rows[0].error_dict)
    owner_result = ItemImport(business=shop, user=User.objects.get(username="owner")).import_data(dataset, dry_run=True)
    assert not owner_result.has_validation_errors()


def test_a_customer_change_is_recorded_with_old_and_new(login):
    owner = login("owner")
    customer = Customer.objects.create(name="Mama Njeri", credit_limit=Decimal("1000"))
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    saved = owner.post(url, {"name": "Mama Njeri", "language": customer.language, "credit_limit": "5000",
                             "phones-TOTAL_FORMS": 1, "phones-INITIAL_FORMS": 0, "phones-MIN_NUM_FORMS": 1,
                             "phones-MAX_NUM_FORMS": 1000, "phones-0-phone": "0712 400 101"})
    assert saved.status_code == 302, saved.content.decode()[:800]
    change = CustomerEvent.objects.filter(pgh_obj=customer, pgh_label="update").get()
    assert change.credit_limit == Decimal("5000")
    page = owner.get(reverse("admin:customers_customer_history", args=[customer.pk])).content.decode()
    assert '1,000.00</span> → <span class="font-medium">5,000.00' in page
    assert "254712400101" in page  # the phone added


def test_a_roles_permissions_and_a_users_access_are_recorded(login):
    owner = login("owner")
    role = Group.objects.get(name="Shop staff")
    set_prices = Permission.objects.get(codename="set_prices")
    url = reverse("admin:auth_group_change", args=[role.pk])
    kept = list(role.permissions.values_list("pk", flat=True))
    saved = owner.post(url, {"name": role.name, "permissions": [*kept, set_prices.pk]})
    assert saved.status_code == 302, saved.content.decode()[:800]
    added = RolePermissionEvent.objects.get(group=role, permission=set_prices)
    assert added.pgh_label == "added" and added.pgh_context["user"] == User.objects.get(username="owner").pk
    role.permissions.remove(set_prices)
    assert RolePermissionEvent.objects.filter(group=role, permission=set_prices, pgh_label="removed").exists()
    page = owner.get(reverse("admin:auth_group_history", args=[role.pk])).content.decode()
    assert page.count("Can change prices, costs and stock rules") == 2  # added, then removed

    staff = User.objects.get(username="shop_staff")
    staff.user_permissions.add(set_prices)
    staff.is_superuser = True
    staff.save()
    assert UserPermissionEvent.objects.filter(user=staff, permission=set_prices, pgh_label="added").exists()
    access = UserAccessEvent.objects.filter(pgh_obj=staff).order_by("-pgh_id").first()
    assert (access.pgh_label, access.is_superuser) == ("update", True)
    page = owner.get(reverse("admin:auth_user_history", args=[staff.pk])).content.decode()
    assert '>no</span> → <span class="font-medium">yes</span>' in page  # superuser status


def test_staff_ask_for_a_price_change_and_it_applies_when_the_owner_approves(login):
    from modules.core.approvals import services as approvals
    from modules.core.inventory.models import PriceChangeRequest

    before = bread()
    client = login("shop_staff")
    asked = client.post(reverse("admin:inventory_pricechangerequest_add") + f"?item={before.pk}",
                        {"item": before.pk, "selling_price": "75", "cost": "", "reason": "Supplier put bread up"})
    assert asked.status_code == 302, asked.content.decode()[:800]
    change = PriceChangeRequest.objects.get(item=before)
    assert change.status == "pending" and bread().selling_price == Decimal("70.00")  # nothing moves yet
    request = approvals.latest(change)
    decide = reverse("admin:approvals:decide", args=[request.pk])
    owner = login("owner")
    page = owner.get(decide).content.decode()
    assert "Price change" in page and "70.00 → 75.00" in page and "Supplier put bread up" in page
    assert owner.post(decide, {"decision": "approve"}).status_code == 302
    change.refresh_from_db()
    assert change.status == "done" and bread().selling_price == Decimal("75.00")
    applied = ItemEvent.objects.filter(pgh_obj=before).latest("pgh_id")
    assert applied.selling_price == Decimal("75") and applied.pgh_context["user"] == User.objects.get(
        username="owner").pk  # the history names who approved it

    again = login("shop_staff").post(reverse("admin:inventory_pricechangerequest_add"), {
        "item": before.pk, "allow_negative_stock": "true", "reason": "Sell before the delivery is booked"})
    assert again.status_code == 302
    refused = PriceChangeRequest.objects.filter(item=before).latest("pk")
    approvals.reject(approvals.latest(refused), User.objects.get(username="owner"), comment="Count it in first")
    refused.refresh_from_db()
    assert refused.status == "rejected" and bread().allow_negative_stock is False

    nothing = login("shop_staff").post(reverse("admin:inventory_pricechangerequest_add"), {
        "item": before.pk, "selling_price": "75", "reason": "again"})
    assert nothing.status_code == 200 and "nothing to change" in nothing.content.decode()


def test_a_supplier_price_list_imported_again_keeps_the_old_price_in_history(login):
    from modules.core.purchasing.models import Supplier, SupplierPrice, SupplierPriceEvent
    from tests.integration.test_imports import token_of, upload

    water = Item.objects.get(business__code="water", sku="W-BOTTLE-20").business
    Supplier.objects.create(business=water, name="Kisumu Plastics")
    owner = login("owner")
    for cost in ("350.5", "362"):
        preview = upload(owner, "supplier_prices", f"supplier,sku,unit_cost\nKisumu Plastics,W-BOTTLE-20,{cost}\n")
        owner.post(reverse("admin:exports:import_confirm"), {"token": token_of(preview)})
    price = SupplierPrice.objects.get()
    assert list(SupplierPriceEvent.objects.filter(pgh_obj=price).order_by("pgh_id").values_list(
        "pgh_label", "unit_cost")) == [("insert", Decimal("350.5")), ("update", Decimal("362"))]
    page = owner.get(reverse("admin:purchasing_supplierprice_history", args=[price.pk])).content.decode()
    assert '350.50</span> → <span class="font-medium">362.00' in page


def test_history_is_kept_seven_years_then_pruned_by_the_owners_function(demo):
    from modules.core.system import db_roles as grants

    event = ItemEvent.objects.filter(pgh_obj=bread()).latest("pgh_id")
    columns = ", ".join(f.column for f in ItemEvent._meta.concrete_fields if f.name not in ("pgh_id", "pgh_created_at"))
    with connection.cursor() as cursor:  # the app may add a backdated event, as a trigger adds any
        for days in (7 * 366 + 1, 7 * 365):
            cursor.execute(f"INSERT INTO inventory_itemevent (pgh_created_at, {columns}) SELECT now() - interval "
                           f"'{days} days', {columns} FROM inventory_itemevent WHERE pgh_id = %s", [event.pgh_id])
    count = ItemEvent.objects.count()
    assert grants.prune_old_rows()["inventory.ItemEvent"] == 1  # older than 7 years
    assert ItemEvent.objects.count() == count - 1
    assert ItemEvent.objects.filter(pgh_created_at__lt=event.pgh_created_at).count() == 1  # 7 years to the day: kept
