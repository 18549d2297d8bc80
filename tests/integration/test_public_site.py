"""The public site: pages made from the module registry, SEO basics, the live price list, the
laundry ticket lookup and its rate limits, and the order / call-back form down to staff's one tap."""

import time
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fixtures import public_site
from modules.core.cms import forms, lookups, services, sync
from modules.core.cms.models import BusinessPage, ContactPage, CustomerRequest, HomePage
from modules.core.inventory.models import Item
from modules.core.notifications.models import Notification
from modules.core.registry import registry
from modules.core.registry.contract import Business, Module, PublicSite
from modules.laundry import services as laundry
from modules.water.models import DeliveryOrder
from tests.integration.test_redis_down import private_redis  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def page_of(code) -> BusinessPage:
    return BusinessPage.objects.get(business_code=code)


def block_id(page, block_type) -> str:
    return next(child.id for child in page.body if child.block_type == block_type)


def drop_off(phone="0712 480 110"):
    item = Item.objects.get(business__code="laundry", sku="L-WASH-KG")
    return laundry.create_job(item.business, customer_phone=phone, customer_name="Achieng",
                              lines=[laundry.JobLineInput(item.pk, Decimal("4"))], deposit="200")


def look_up(client, ticket, phone, *, ip="10.1.1.1"):
    page = page_of("laundry")
    return client.post(page.url, {"block": block_id(page, "lookup"), "reference": ticket, "phone": phone},
                       REMOTE_ADDR=ip)


def outcome(response):
    html = response.content.decode()
    if 'class="alert ok" role="status"' in html:
        return "answer"
    if "enter your whole phone number this time" in html:
        return "whole number please"
    if "We found no ticket number with that phone number" in html:
        return "miss"
    return response.status_code


def token(seconds_ago=30):
    return signing.dumps(time.time() - seconds_ago, salt=forms.TOKEN_SALT)


def ask(client, code="water", *, ip="10.2.2.2", **fields):
    page = page_of(code)
    water_item = Item.objects.get(business__code="water", sku="W-REFILL-20")
    data = {"block": block_id(page, "request_form"), "token": token(), "uuid": str(uuid.uuid4()),
            "kind": "water.delivery", "name": "Wambui", "phone": "0722 000 111", "place": "Kahawa West, blue gate",
            "item": str(water_item.pk), "quantity": "3", "details": "", "website": "", **fields}
    return client.post(page.url, data, REMOTE_ADDR=ip)


# --- pages from the registry -------------------------------------------------------------------

def test_each_enabled_business_has_its_page_with_prices_lookups_and_requests(demo):
    pages = {p.business_code: p for p in BusinessPage.objects.live()}
    assert set(pages) == {b.code for b in registry.businesses()} == {"water", "laundry", "shop"}
    assert [c.block_type for c in pages["laundry"].body] == ["price_list", "lookup", "request_form"]
    assert [c.block_type for c in pages["water"].body] == ["price_list", "request_form"]
    assert all(p.get_parent().specific_class is HomePage and p.show_in_menus for p in pages.values())


def test_a_new_module_gets_its_page_and_an_edited_page_is_never_overwritten(demo, monkeypatch):
    water = page_of("water")
    water.intro = "Written by the owner"
    water.save_revision().publish()
    bakery = Module("bakery", "Bakery", business=Business("bakery", "Bakery"), public=PublicSite("Bread daily."))
    enabled = registry.modules()
    monkeypatch.setattr(registry, "modules", lambda: (*enabled, bakery))
    sync.sync_public_site()
    sync.sync_public_site()  # idempotent
    assert BusinessPage.objects.filter(business_code="bakery").count() == 1
    assert page_of("bakery").intro == "Bread daily." and page_of("water").intro == "Written by the owner"


def test_the_page_of_a_disabled_module_is_gone_from_the_site_and_the_sitemap(client, demo, monkeypatch):
    assert client.get("/shop/").status_code == 200
    enabled = tuple(m for m in registry.modules() if m.key != "shop")
    monkeypatch.setattr(registry, "modules", lambda: enabled)
    assert client.get("/shop/").status_code == 404
    assert b"/shop/" not in client.get("/sitemap.xml").content
    assert b"/shop/" not in client.get("/").content


def test_pages_have_titles_descriptions_canonical_links_sitemap_and_robots(client, demo):
    public_site.seed()
    for url, title in [("/", "<title>Biashara</title>"), ("/water/", "<title>Water refill and packaging · Biashara"),
                       ("/contact/", "<title>Find us · Biashara"), ("/about/", "<title>About us · Biashara")]:
        html = client.get(url).content.decode()
        assert title in html, url
        assert '<meta name="description" content="' in html and 'content=""' not in html, url
        assert '<link rel="canonical" href="http' in html and '<html lang="en">' in html, url
        assert "unfold" not in html and "<script src" not in html, url  # light: no admin assets, no JS
    contact = client.get("/contact/").content.decode()
    assert 'href="tel:+254712345678"' in contact and 'href="https://wa.me/254712345678"' in contact
    assert '"@type": "LocalBusiness"' in contact and "Monday to Saturday" in contact
    sitemap = client.get("/sitemap.xml").content.decode()
    assert all(f"/{slug}/</loc>" in sitemap for slug in ("water", "laundry", "shop", "contact", "about"))
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in robots and "Disallow: /cms/" in robots and "Sitemap: http" in robots


def test_the_owner_may_edit_pages_in_the_cms(client, demo):
    client.force_login(User.objects.get(username="owner"))
    water = page_of("water")
    assert client.get(f"/cms/pages/{water.pk}/edit/").status_code == 200
    client.force_login(User.objects.get(username="water_staff"))
    assert client.get(f"/cms/pages/{water.pk}/edit/").status_code in (302, 403)


# --- the live price list -----------------------------------------------------------------------

def test_a_price_change_shows_on_the_next_request_and_unchanged_lists_come_from_the_cache(
        client, demo, django_capture_on_commit_callbacks):
    refill = Item.objects.get(business__code="water", sku="W-REFILL-20")
    assert f"KES {refill.selling_price:,.0f}" in client.get("/water/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get("/water/")
    assert not [q for q in queries if "inventory_item" in q["sql"]], "the second request reads the cached list"
    with django_capture_on_commit_callbacks(execute=True):
        refill.selling_price = Decimal("77.00")
        refill.save()
    assert "KES 77</td>" in client.get("/water/").content.decode()


def test_prices_are_what_the_till_charges_and_items_not_for_sale_are_left_out(client, demo,
                                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Item.objects.filter(business__code="water", sku="W-REFILL-20").update(price_includes_vat=False,
                                                                               selling_price=Decimal("100.00"))
        Item.objects.get(business__code="water", sku="W-REFILL-20").save()
    html = client.get("/water/").content.decode()
    assert "KES 116</td>" in html
    assert "Preform" not in html  # raw materials have no selling price


def test_prices_are_right_with_redis_down(client, demo, private_redis, django_capture_on_commit_callbacks):  # noqa: F811
    client.get("/water/")
    private_redis.kill()
    with django_capture_on_commit_callbacks(execute=True):
        refill = Item.objects.get(business__code="water", sku="W-REFILL-20")
        refill.selling_price = Decimal("66.00")
        refill.save()
    response = client.get("/water/")
    assert response.status_code == 200 and "KES 66</td>" in response.content.decode()


# --- the laundry ticket lookup -----------------------------------------------------------------

def test_a_customer_sees_status_due_and_when_ready(client, demo):
    job = drop_off()
    response = look_up(client, "lt-0001", "0110")
    html = response.content.decode()
    assert outcome(response) == "answer" and response["Cache-Control"] == "no-store"
    assert "LT-0001" in html and "Received" in html and "KES 400" in html  # 4 kg × 150 − 200 deposit
    assert "Ready by" in html and '<meta name="robots" content="noindex">' in html
    laundry.take_payment(job)
    for status in ["washing", "drying", "finishing", "ready"]:
        job = laundry.advance(job, expected=job.status)
    html = look_up(client, "1", "0110").content.decode()
    assert "Ready since" in html and "Nothing, fully paid" in html


def test_a_wrong_ticket_or_phone_answers_the_same(client, demo):
    drop_off()
    wrong_phone, no_ticket = look_up(client, "LT-0001", "9999"), look_up(client, "LT-0099", "0110")
    assert outcome(wrong_phone) == outcome(no_ticket) == "miss"  # a page like any other: no console error
    assert look_up(client, "hello", "0110").status_code == 400
    assert look_up(client, "LT-0001", "12").status_code == 400


def test_guessing_a_ticket_switches_it_to_the_whole_number_and_never_locks_the_customer_out(client, demo):
    drop_off()
    for attempt in range(lookups.REFERENCE_LIMIT):  # from many addresses: the per-ticket limit
        assert outcome(look_up(client, "LT-0001", f"{attempt:04d}", ip=f"10.9.0.{attempt}")) == "miss"
    guarded = look_up(client, "LT-0001", "0110", ip="10.9.1.1")
    assert outcome(guarded) == "whole number please" and 'name="phone" type="tel"' in guarded.content.decode()
    assert outcome(look_up(client, "LT-0001", "0712 480 110", ip="10.9.1.1")) == "answer"  # the real customer
    assert outcome(look_up(client, "LT-0001", "0799 990 110", ip="10.9.1.2")) == "miss"
    drop_off(phone="0733 000 222")  # another ticket is not guarded
    assert outcome(look_up(client, "LT-0002", "0222", ip="10.9.1.3")) == "answer"


def test_one_address_is_slowed_then_stopped(client, demo):
    drop_off()
    for n in range(lookups.ADDRESS_LIMIT):
        drop_off(phone=f"0733 000 {n:03d}")
        assert outcome(look_up(client, f"LT-{n + 2:04d}", "9999")) == "miss"
    assert outcome(look_up(client, "LT-0001", "0110")) == "whole number please"  # this address
    assert outcome(look_up(client, "LT-0001", "0712480110")) == "answer"
    assert outcome(look_up(client, "LT-0001", "0110", ip="10.3.3.3")) == "answer"  # others are not slowed
    for _ in range(lookups.ADDRESS_HARD_LIMIT - lookups.ADDRESS_LIMIT):
        look_up(client, "LT-0001", "0799990110")
    stopped = look_up(client, "LT-0001", "0712480110")
    assert stopped.status_code == 429 and "Wait 15 minutes" in stopped.content.decode()


def test_the_lookup_and_its_limits_work_with_redis_down(client, demo, private_redis):  # noqa: F811
    drop_off()
    private_redis.kill()
    assert outcome(look_up(client, "LT-0001", "0110")) == "answer"
    for attempt in range(lookups.REFERENCE_LIMIT):
        look_up(client, "LT-0001", f"{attempt:04d}", ip=f"10.8.0.{attempt}")
    assert outcome(look_up(client, "LT-0001", "0110")) == "whole number please"


def test_a_post_for_a_block_the_page_does_not_have_is_refused_plainly(client, demo):
    response = client.post("/laundry/", {"block": "nope", "reference": "1", "phone": "0110"})
    assert response.status_code == 400 and "send it again" in response.content.decode()


# --- orders and call-backs ---------------------------------------------------------------------

def test_a_request_reaches_the_business_staff_and_the_owner(client, demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client)
    assert response.status_code == 302 and "?sent=" in response["Location"]
    request = CustomerRequest.objects.get()
    assert (request.kind, request.phone, request.quantity, request.business.code) == (
        "water.delivery", "254722000111", 3, "water")
    told = set(Notification.objects.filter(kind="cms.customer_request").values_list("recipient__username", flat=True))
    assert told == {"owner", "water_staff"}
    message = Notification.objects.filter(recipient__username="owner").get().message
    assert message == "Website: Water delivery: 3 × 20 L refill for Wambui at Kahawa West, blue gate"
    assert "Thank you, we have your request" in client.get(response["Location"]).content.decode()


def test_sending_twice_makes_one_request(client, demo):
    same = str(uuid.uuid4())
    ask(client, uuid=same)
    ask(client, uuid=same)
    assert CustomerRequest.objects.count() == 1


@pytest.mark.parametrize("spam", [lambda: {"website": "http://spam.example"},
                                  lambda: {"token": token(seconds_ago=1)}])  # faster than a person types
def test_bots_are_answered_like_people_and_recorded_nowhere(client, demo, spam):
    response = ask(client, **spam())
    assert response.status_code == 302 and "?sent=" in response["Location"]
    assert not CustomerRequest.objects.exists()


@pytest.mark.parametrize("fields, status, message", [
    ({"phone": "12345"}, 400, "Enter a Safaricom number"),
    ({"place": ""}, 400, "Tell us where"),
    ({"item": ""}, 400, "Choose what you would like"),
    ({"quantity": "500"}, 400, "From 1 to 50"),
    ({"kind": "laundry.pickup"}, 400, "Choose what you need"),  # not offered on the water page
    ({"token": "forged"}, 400, "drawn again"),
])
def test_bad_input_is_refused_with_a_plain_message_and_keeps_what_was_typed(client, demo, fields, status, message):
    response = ask(client, **fields)
    html = response.content.decode()
    assert response.status_code == status and message in html
    assert 'value="Wambui"' in html and not CustomerRequest.objects.exists()


def test_requests_are_limited_per_phone_and_per_address(client, demo):
    for n in range(forms.REQUESTS_PER_PHONE):
        assert ask(client, ip=f"10.4.0.{n}").status_code == 302
    assert ask(client, ip="10.4.1.1").status_code == 429
    for n in range(forms.REQUESTS_PER_ADDRESS):
        ask(client, ip="10.5.0.1", phone=f"0733 100 {n:03d}")
    assert ask(client, ip="10.5.0.1", phone="0733 200 000").status_code == 429
    assert CustomerRequest.objects.count() == forms.REQUESTS_PER_PHONE + forms.REQUESTS_PER_ADDRESS


def test_staff_make_the_delivery_in_one_tap_and_a_second_tap_makes_no_second(client, demo):
    ask(client)
    request = CustomerRequest.objects.get()
    client.force_login(User.objects.get(username="water_staff"))
    page = client.get(reverse("admin:cms:request", args=[request.pk]))
    assert page.status_code == 200 and "Create the delivery" in page.content.decode()
    first = client.post(reverse("admin:cms:take", args=[request.pk]))
    again = client.post(reverse("admin:cms:take", args=[request.pk]))
    order = DeliveryOrder.objects.get()
    assert first["Location"] == again["Location"] == reverse("admin:water_deliveryorder_change", args=[order.pk])
    assert (order.customer_phone, order.customer_name, order.area, order.status) == (
        "254722000111", "Wambui", "Kahawa West, blue gate", "pending")
    assert [(line.item.sku, line.quantity) for line in order.lines.all()] == [("W-REFILL-20", 3)]
    request.refresh_from_db()
    assert request.status == "taken" and request.handled_by.username == "water_staff"


def test_a_laundry_pick_up_opens_the_drop_off_form_filled_in(client, demo):
    ask(client, "laundry", kind="laundry.pickup", item="", quantity="", details="Two duvets")
    request = CustomerRequest.objects.get()
    client.force_login(User.objects.get(username="laundry_staff"))
    response = client.post(reverse("admin:cms:take", args=[request.pk]))
    form = client.get(response["Location"]).content.decode()
    assert 'value="254722000111"' in form and 'value="Wambui"' in form
    assert "Pick-up from Kahawa West, blue gate. Two duvets" in form


def test_other_businesses_and_readers_cannot_take_a_request(client, demo):
    ask(client)
    request = CustomerRequest.objects.get()
    for username, view, take in [("laundry_staff", 403, 403), ("accountant", 200, 403), ("owner", 200, 302)]:
        client.force_login(User.objects.get(username=username))
        assert client.get(reverse("admin:cms:request", args=[request.pk])).status_code == view, username
        assert client.post(reverse("admin:cms:take", args=[request.pk])).status_code == take, username
    assert client.get(reverse("admin:cms:take", args=[request.pk])).status_code == 405


def test_a_dismissed_request_makes_nothing(client, demo):
    ask(client)
    request = CustomerRequest.objects.get()
    client.force_login(User.objects.get(username="water_staff"))
    client.post(reverse("admin:cms:dismiss", args=[request.pk]))
    client.post(reverse("admin:cms:take", args=[request.pk]))
    assert not DeliveryOrder.objects.exists()
    assert CustomerRequest.objects.get().status == "dismissed"


def test_staff_list_their_business_requests_only(client, demo):
    ask(client)
    ask(client, "laundry", kind="laundry.pickup", item="", quantity="", phone="0733 999 888", ip="10.6.6.6")
    client.force_login(User.objects.get(username="laundry_staff"))
    html = client.get(reverse("admin:cms_customerrequest_changelist")).content.decode()
    assert "Laundry pick-up" in html and "Water delivery" not in html


def test_the_dashboard_widget_shows_new_requests_of_the_users_businesses(client, demo):
    ask(client)
    url = reverse("admin:widget", args=["cms.requests"])
    client.force_login(User.objects.get(username="water_staff"))
    html = client.get(url).content.decode()
    assert 'data-requests-count>1<' in html and "Water delivery: 3 × 20 L refill · Wambui" in html
    client.force_login(User.objects.get(username="laundry_staff"))
    assert 'data-requests-count>0<' in client.get(url).content.decode()
    client.force_login(User.objects.get(username="water_staff"))
    client.post(reverse("admin:cms:take", args=[CustomerRequest.objects.get().pk]))
    assert 'data-requests-count>0<' in client.get(url).content.decode()


def test_prune_drops_old_windows_and_old_requests(demo):
    from datetime import timedelta

    from django.utils import timezone

    from modules.core.cms import limits
    from modules.core.cms.models import RateCounter

    limits.hit("probe", timedelta(minutes=15), now=timezone.now() - timedelta(days=3))
    limits.hit("probe", timedelta(minutes=15))
    services.submit_request(kind="laundry.pickup", phone="0712000000", place="Here")
    CustomerRequest.objects.update(created_at=timezone.now() - services.RETENTION - timedelta(days=1))
    services.prune()
    assert RateCounter.objects.count() == 1 and not CustomerRequest.objects.exists()


def test_the_demo_site_is_complete(client, demo):
    public_site.seed()
    public_site.seed()  # idempotent
    assert ContactPage.objects.count() == 1
    home = client.get("/").content.decode()
    for text in ["Check your laundry", "Order or ask for a call back", "Water refill and packaging", "Find us"]:
        assert text in home
