"""Swahili (issue 16): a user who picks Kiswahili in the language menu gets the staff screens in
Swahili (quick sale, laundry board and job, LPG, water batch and delivery, approvals, notifications),
on every login after; a customer whose language is Swahili gets their texts in Swahili. Each screen
is read as its user sees it (text, placeholders, labels, the strings the page's script shows) and
must hold none of its key English phrases, and some of their Swahili."""

import gettext
import io
import subprocess
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from modules.core.approvals import services as approvals
from modules.core.businesses.language import SESSION_KEY
from modules.core.businesses.models import UserPreference
from modules.core.customers.models import Customer
from modules.core.ledger import chart
from modules.core.ledger.models import JournalEntry
from modules.core.notifications.models import Notification
from modules.core.sales.views import share_token
from modules.core.sms.models import SmsMessage
from modules.core.sms.simulator.models import SimSms
from modules.laundry import services as laundry
from modules.shop.models import CylinderType, LpgSale
from modules.water import services as water
from modules.water.models import ProductionBatch, Recipe
from tests.integration.test_approvals import cash_in
from tests.integration.test_laundry import drop_off, staff
from tests.integration.test_sms import ready_job, sms_on  # noqa: F401  (a fixture)
from tests.integration.test_water import new_delivery

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "sw" / "LC_MESSAGES"

# On every screen: the sidebar and the page shell.
SHELL = {"english": ["Dashboard", "Notification settings"], "swahili": ["Muhtasari", "Mipangilio ya arifa"]}


class VisibleText(HTMLParser):
    """What a user reads: text outside <script>/<style>, and the placeholders, labels and
    Alpine x-text strings the page shows."""

    SHOWN_ATTRIBUTES = ("placeholder", "aria-label", "title", "x-text", "alt")

    def __init__(self):
        super().__init__()
        self.parts, self.hidden = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        self.parts += [value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def speaking_swahili(username) -> Client:
    """Logged in, then Kiswahili chosen in the language menu (Unfold's, under the user's name)."""
    client = Client()
    client.force_login(User.objects.get(username=username))
    response = client.post(reverse("set_language"), {"language": "sw", "next": reverse("admin:index")})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    return client


def screen(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Language"] == "sw"
    return visible(response.content.decode())


def assert_in_swahili(text, english, swahili):
    english, swahili = english + SHELL["english"], swahili + SHELL["swahili"]
    left = [phrase for phrase in english if phrase in text]
    assert not left, f"untranslated on the screen: {left}"
    missing = [phrase for phrase in swahili if phrase not in text]
    assert not missing, f"Swahili missing: {missing}"


@pytest.fixture
def water_records(stocked):
    recipe = Recipe.objects.get(business__code="water", product__sku="W-PACK-500x24")
    batch = ProductionBatch.objects.create(business=recipe.business, recipe=recipe, planned_quantity=5)
    return batch, new_delivery()


@pytest.mark.django_db
def test_the_shop_screens_in_swahili(stocked):
    client = speaking_swahili("shop_staff")
    text = screen(client, reverse("admin:sales:quick_sale") + "?business=shop")
    assert_in_swahili(
        text,
        ["Quick sale", "Search items", "Discount, split or buyer PIN", "Paid to the till", "On credit (deni)",
         "Customer's phone number", "M-Pesa code from the SMS", "Cash part, rest M-Pesa", "Waiting to send"],
        ["Uuzaji wa haraka", "Tafuta bidhaa", "Kwa deni", "Taslimu", "Amelipa kwa till"])
    text = screen(client, reverse("admin:shop:lpg"))
    assert_in_swahili(
        text,
        ["LPG exchange", "Which cylinder?", "What does the customer want?", "How many", "Refill exchange",
         "Brand swap", "Deposit cylinder returned", "To pay", "Customer phone", "Low on fulls", "Full ", "Empty "],
        ["Kubadilisha gesi", "1. Mtungi upi?", "2. Mteja anataka nini?", "Ngapi", "Kulipa", "Taslimu"])
    text = screen(client, reverse("admin:shop:lpg_deposits"))
    assert_in_swahili(text, ["Deposit cylinders out", "No deposit cylinders out", "A customer bringing one back"],
                      ["Mitungi ya dhamana iliyo nje", "Tafuta"])


@pytest.mark.django_db
def test_the_laundry_screens_in_swahili(demo):
    job = drop_off(user=staff())
    client = speaking_swahili("laundry_staff")
    text = screen(client, reverse("admin:laundry:board"))
    assert_in_swahili(
        text,
        ["Laundry board", "New job", "collected today", "Received", "Washing", "Drying", "Ironing", "promised",
         "express", " due", "None."],
        ["Ubao wa dobi", "Kazi mpya", "imechukuliwa leo", "Imepokelewa", "Inafuliwa", "Tayari kuchukuliwa",
         "imeahidiwa", "inadaiwa", "→ Inafuliwa"])
    text = screen(client, reverse("admin:laundry:job", args=[job.pk]))
    assert_in_swahili(
        text,
        ["Ticket ", "Promised", "Total KES", "Paid", "Balance", "Take cash", "History", "Dropped off",
         "Cancel this job", "Edit name, promised time or notes"],
        [f"Tiketi {job.ticket_number}", "Jumla KES", "Salio", "Pokea taslimu", "Historia", "Imeletwa"])
    text = screen(client, reverse("admin:laundry:new_job"))
    assert_in_swahili(
        text,
        ["New laundry job", "Customer phone", "What came in", "Promised for", "Notes: stains", "Paid now",
         "Save and print ticket"],
        ["Kazi mpya ya dobi", "Simu ya mteja", "Kilicholetwa", "Hifadhi na uchapishe tiketi"])


@pytest.mark.django_db
def test_the_water_batch_and_delivery_screens_in_swahili(water_records):
    batch, order = water_records
    client = speaking_swahili("water_staff")
    text = screen(client, reverse("admin:water:batch", args=[batch.pk]))
    assert_in_swahili(
        text,
        ["Batch ", "Planned", "planned ", "Operator", "Material", "Need", "Have", "Materials at average cost",
         "Start batch", "All batches"],
        [f"Awamu {batch.pk}", "Imepangwa", "Malighafi", "Anza awamu", "Awamu zote"])
    text = screen(client, reverse("admin:water:delivery", args=[order.pk]))
    assert_in_swahili(
        text,
        ["Delivery ", "Pending", "Total KES", "Out for delivery", "Delivered, paid by", "On credit", "Why it failed",
         "Failed", "All deliveries"],
        [f"Upelekaji {order.pk}", "Inasubiri", "Iko njiani", "Imefikishwa, imelipwa kwa", "Kwa deni", "Upelekaji wote"])
    water.dispatch(order, driver="Juma")
    text = screen(client, reverse("admin:water:delivery", args=[order.pk]))
    assert_in_swahili(text, ["Out for delivery", "driver Juma"], ["Iko njiani", "dereva Juma"])


@pytest.mark.django_db
def test_approvals_and_notifications_in_swahili(demo, django_capture_on_commit_callbacks):
    cash_in("water", 2000)
    expense = approvals.request_expense("water", "450", staff("water_staff"), description="Fuel for the van",
                                        category=chart.TRANSPORT)
    request = approvals.latest(expense)
    owner = User.objects.get(username="owner")
    Notification.objects.create(recipient=owner, kind="system.warning", message="Disk 91% full")
    Notification.objects.create(recipient=owner, kind="system.warning", message="Disk 95% full")
    Notification.objects.filter(message="Disk 95% full").update(created_at=timezone.now() - timedelta(hours=2))
    client = speaking_swahili("owner")
    text = screen(client, reverse("admin:approvals:pending"))
    assert_in_swahili(text, ["Approvals", "Waiting for you", "Ask for an expense", "Your requests"],
                      ["Idhini", "Zinakusubiri", "Omba pesa za matumizi"])
    text = screen(client, reverse("admin:approvals:decide", args=[request.pk]))
    assert_in_swahili(
        text,
        ["Approval #", "Asked by", "Status", "Waiting for approval", "Comment (optional)", "Approve", "Reject",
         "All approvals", "Expense ·", "Paid from", "Category", "Expense status"],
        [f"Idhini #{request.pk}", "Imeombwa na", "Inasubiri idhini", "Idhinisha", "Kataa", "Matumizi ·",
         "Imelipwa kutoka Taslimu", "Hali ya matumizi"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:approvals:decide", args=[request.pk]), {"decision": "approve"})
    text = screen(client, reverse("admin:approvals:decide", args=[request.pk]))
    assert_in_swahili(text, ["Approved: ", "Approved by"], [f"Imeidhinishwa: {request.summary}.", "Imeidhinishwa na kulipwa",
                                                            f"Imeidhinishwa na {owner.get_full_name()} (owner)"])
    # what the requester is told is stored text: written in the site's language, whoever decided
    told = Notification.objects.get(recipient=staff("water_staff"), kind="approvals.decided")
    assert " approved by " in told.message, told.message

    text = screen(client, reverse("admin:notifications:list"))
    assert_in_swahili(
        text,
        ["Unread (", "Mark all read", "Mark read", "Choose which notifications you receive", "kept 180 days"],
        ["Arifa", "Hazijasomwa (", "Weka zote zimesomwa", "Chagua arifa unazotaka kupokea"])
    text = screen(client, reverse("admin:notifications:preferences"))
    assert_in_swahili(text, ["Tick what you want", "Approval requested", "System warning", "Save"],
                      ["Weka alama", "Idhini imeombwa", "Onyo la mfumo", "Hifadhi"])
    text = visible(client.get(reverse("admin:notifications:bell")).content.decode())
    assert "Tazama arifa zote" in text and "saa 2 zilizopita" in text and "sasa hivi" in text
    assert not [phrase for phrase in ("See all notifications", " ago", "just now", "hours") if phrase in text]


@pytest.mark.django_db
def test_the_choice_is_the_users_and_stays_with_them(demo):
    speaking_swahili("laundry_staff")
    assert UserPreference.objects.get(user__username="laundry_staff").language == "sw"
    # the next login, another device: Swahili from the first page, and nobody else's
    again, other = Client(), Client()
    again.force_login(User.objects.get(username="laundry_staff"))
    other.force_login(User.objects.get(username="shop_staff"))
    assert again.session[SESSION_KEY] == "sw" and other.session[SESSION_KEY] == "en-gb"
    assert "Ubao wa dobi" in visible(again.get(reverse("admin:laundry:board")).content.decode())
    page = visible(other.get(reverse("admin:shop:lpg")).content.decode())
    assert "LPG exchange" in page and "Kubadilisha gesi" not in page
    # back to English from the same menu; a language we do not have changes nothing
    again.post(reverse("set_language"), {"language": "en-gb", "next": "/admin/"})
    again.post(reverse("set_language"), {"language": "fr", "next": "/admin/"})
    assert UserPreference.objects.get(user__username="laundry_staff").language == "en-gb"
    page = visible(again.get(reverse("admin:laundry:board")).content.decode())
    assert "Laundry board" in page and "Ubao wa dobi" not in page
    # the menu lists both languages by their own names
    assert "Kiswahili" in page and "English" in page


def test_the_committed_catalogue_is_the_compiled_po():
    """locale/sw/LC_MESSAGES/django.mo is committed (nothing compiles it at start-up or deploy):
    it must hold exactly what django.po says, every entry translated and none a fuzzy guess (which
    msgfmt leaves out, so the screen would show English)."""
    fresh = subprocess.run(["msgfmt", "--check", "-o", "-", str(CATALOGUE / "django.po")], capture_output=True,
                           check=True).stdout
    with open(CATALOGUE / "django.mo", "rb") as committed:
        assert gettext.GNUTranslations(committed)._catalog == gettext.GNUTranslations(
            io.BytesIO(fresh))._catalog, "run `make messages` and commit django.mo"
    for which in ("--untranslated", "--only-fuzzy"):
        left = subprocess.run(["msgattrib", which, "--no-obsolete", str(CATALOGUE / "django.po")],
                              capture_output=True, text=True, check=True).stdout
        assert "msgid" not in left.replace('msgid ""\nmsgstr ""', "", 1), left


@pytest.mark.django_db(transaction=True)
def test_a_swahili_speaking_customer_gets_swahili_texts(stocked, sms_on):  # noqa: F811
    job = ready_job(phone="0712 480 111")  # an English-speaking customer
    swahili_job = drop_off(user=staff(), phone="0712 480 110")
    Customer.objects.filter(pk=swahili_job.customer_id).update(language="sw")
    for _ in range(4):
        swahili_job = laundry.advance(swahili_job, user=staff())
    texts = {message.phone: message.text for message in SmsMessage.objects.filter(kind="laundry.ready")}
    assert texts["254712480110"] == (f"Laundry: nguo zako (tiketi {swahili_job.ticket_number}) ziko tayari "
                                     f"kuchukuliwa. Salio la kulipa: KES 700.00.")
    assert texts["254712480111"] == (f"Laundry: your laundry {job.ticket_number} is ready for collection. "
                                     f"Balance due: KES 700.00.")
    assert {sent.text for sent in SimSms.objects.all()} == set(texts.values())

    order = new_delivery()
    Customer.objects.filter(pk=order.customer_id).update(language="sw")
    water.dispatch(order, driver="Juma")
    message = SmsMessage.objects.get(kind="water.on_its_way")
    assert message.text == f"{order.business.name}: oda yako iko njiani na Juma. Utalipa ukipokea: KES 840.00."


@pytest.mark.django_db
def test_what_a_swahili_speaking_customer_keeps_is_in_their_language(demo):
    """The laundry ticket (printed, or sent to their WhatsApp) and the receipt link are the
    customer's: in their language, whatever the staff member's; the staff's own buttons stay theirs."""
    job = drop_off(user=staff(), phone="0712 480 110")  # KES 1,200, 500 paid
    Customer.objects.filter(pk=job.customer_id).update(language="sw")
    client = Client()
    client.force_login(staff())  # English
    response = client.get(reverse("admin:laundry:ticket", args=[job.pk]))
    text = visible(response.content.decode())
    assert "Salio wakati wa kuchukua" in text and "Leta namba hii ya tiketi unapokuja kuchukua" in text
    assert "Jumla KES 1,200.00" in text and "Balance at pickup" not in text and "Bring this ticket" not in text
    assert "Print" in text and "Laundry board" in text and "Chapisha" not in text
    assert response.context["share_text"].startswith(f"Laundry tiketi {job.ticket_number}: ")
    assert "salio KES 700.00. Itakuwa tayari " in response.context["share_text"]

    receipt = client.get(reverse("sales:public_receipt", args=[share_token(job.sale)])).content.decode()
    assert '<html lang="sw">' in receipt
    text = visible(receipt)
    assert f"Risiti {job.sale.receipt_number}" in text and "Jumla KES 1,200.00" in text and "Imelipwa 500.00" in text
    assert "Total KES" not in text and "Receipt " not in text

    # an English-speaking customer's stay English, for a Swahili-speaking staff member too
    english = drop_off(user=staff(), phone="0712 480 111")
    swahili_staff = speaking_swahili("laundry_staff")
    text = visible(swahili_staff.get(reverse("admin:laundry:ticket", args=[english.pk])).content.decode())
    assert "Balance at pickup" in text and "Chapisha" in text and "Salio wakati wa kuchukua" not in text


@pytest.mark.django_db
def test_the_books_stay_in_english_whoever_records_the_sale(stocked):
    """An LPG sale by a Swahili-speaking attendant: the screen says the kind in Swahili, the
    ledger's memo (the accountant's, hash-chained) in English."""
    client = speaking_swahili("shop_staff")
    cylinder = CylinderType.objects.filter(business__code="shop").order_by("pk").first()
    response = client.post(reverse("admin:shop:lpg"), {"uuid": str(uuid.uuid4()), "type": cylinder.pk,
                                                       "kind": "refill", "quantity": "1", "method": "cash"})
    assert response.status_code == 302
    sale = LpgSale.objects.get()
    assert "Kujaza gesi (kubadilishana mtungi)" in screen(client, response["Location"])
    memos = list(JournalEntry.objects.values_list("memo", flat=True))
    assert any(f"LPG {sale.receipt_number}: Refill exchange, 1 × {cylinder}" in memo for memo in memos), memos
