"""Texts the sales module sends (issue 16 §2), against the Africa's Talking simulator over real
HTTP: the receipt as a short link once a sale with a customer is paid in cash or M-Pesa, and the
owner's statement reminder (at most once a customer, business and day; opt-out honoured). The
short links and the signed pages they lead to show that one document and nothing else; bad or
swept links are 404 (then 429), never a page."""

import re
import secrets
import uuid
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.customers import services as customers
from modules.core.customers.models import Customer
from modules.core.inventory.models import Item
from modules.core.payments.models import Payment
from modules.core.sales import accounts
from modules.core.sales import services as sales
from modules.core.sales import texts
from modules.core.sms.models import ShortLink, SmsMessage
from modules.core.sms.simulator.models import SimSms
from tests.integration.test_sms import sms_on  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "254712345001"
LINK = re.compile(r"(http://\S+/s/([A-Za-z0-9_-]+)/)")


def biz(code):
    return Business.objects.get(code=code)


def buy(business, sku, quantity, *, method="cash", phone="0712 345 001", **kwargs):
    item = Item.objects.get(business__code=business, sku=sku)
    sale, _ = sales.create_sale(business=biz(business), client_uuid=uuid.uuid4(), method=method,
                                lines=[sales.SaleLineInput(item.pk, D(quantity))], customer_phone=phone, **kwargs)
    return sale


def path_of(url):
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def amina(stocked):
    customer = customers.find_or_create("0712 345 001", name="Amina", business=biz("water"))
    customer.credit_limit = D("5000")
    customer.save()
    return customer


def test_a_paid_sale_texts_its_receipt_as_a_short_link_once(amina, sms_on, client, settings):
    sale = buy("water", "W-BOTTLE-20", 1)  # 650 cash
    sent = SimSms.objects.get()
    assert sent.to == f"+{PHONE}"
    url, slug = LINK.search(sent.text).groups()
    assert sent.text == f"{sale.business.name}: receipt {sale.receipt_number}, KES 650.00 paid by cash. Asante! {url}"
    assert len(sent.text) <= 160 and len(slug) == 8  # one SMS part
    message = SmsMessage.objects.get()
    assert (message.kind, message.key, message.status) == ("sale.receipt", f"sale.receipt:sales.sale:{sale.pk}", "sent")
    # the short link leads to the signed receipt: no login, the receipt and nothing else
    hop = client.get(path_of(url))
    assert hop.status_code == 302 and hop["Location"].startswith("/r/") and hop["Cache-Control"] == "private, no-store"
    page = client.get(hop["Location"])
    body = page.content.decode()
    assert page.status_code == 200 and sale.receipt_number in body and "650.00" in body
    assert PHONE not in body and "Amina" not in body
    # the event again (a replayed delivery): no second text, no second link
    payment = Payment.objects.get(document_id=str(sale.pk))
    texts.text_the_receipt(business="water", payment_id=payment.pk)
    assert SimSms.objects.count() == 1 and ShortLink.objects.count() == 1 and SmsMessage.objects.count() == 1


def test_only_a_settled_sale_with_a_customer_gets_a_receipt_text(amina, sms_on):
    buy("water", "W-REFILL-20", 1, phone="")  # no customer: nobody to text
    credit = buy("water", "W-BOTTLE-20", 1, method="credit")  # owed: no receipt yet
    assert SimSms.objects.count() == 0
    with transaction.atomic():
        accounts.receive(amina, biz("water"), amount="400", method="mpesa", mpesa_receipt="QST400")
    assert SimSms.objects.count() == 0  # a part payment settles nothing
    with transaction.atomic():
        accounts.receive(amina, biz("water"), amount="250", method="mpesa", mpesa_receipt="QST250")
    (sent,) = SimSms.objects.all()
    assert f"receipt {credit.receipt_number}, KES 650.00 paid by M-Pesa." in sent.text
    Customer.objects.filter(pk=amina.pk).update(language="sw")  # her texts in Kiswahili
    swahili = buy("water", "W-REFILL-20", 1)
    assert SimSms.objects.latest("pk").text.startswith(
        f"{swahili.business.name}: risiti {swahili.receipt_number}, KES 120.00 zimelipwa taslimu. Asante! http")
    Customer.objects.filter(pk=amina.pk).update(sms_opt_out=True)
    opted_out = buy("water", "W-REFILL-20", 1)
    assert SimSms.objects.count() == 2
    assert SmsMessage.objects.get(key=f"sale.receipt:sales.sale:{opted_out.pk}").status == "skipped"


def test_bad_or_swept_links_are_404_then_429(amina, sms_on, client, settings):
    settings.SMS_LINK_MISSES_PER_MINUTE = 3
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    buy("water", "W-BOTTLE-20", 1)
    url, slug = LINK.search(SimSms.objects.get().text).groups()
    for n in range(3):
        miss = client.get(f"/s/{secrets.token_urlsafe(6)}/", REMOTE_ADDR=address)
        assert miss.status_code == 404 and b"No such link" in miss.content
    assert client.get(f"/s/{secrets.token_urlsafe(6)}/", REMOTE_ADDR=address).status_code == 429
    assert client.get(f"/s/{slug}/").status_code == 302  # another address is not held up
    token = client.get(f"/s/{slug}/")["Location"].split("/")[2]
    assert client.get(f"/r/{token[:-2]}xx/").status_code == 404  # a tampered signature
    assert client.get(f"/r/statement/{token}/").status_code == 404  # a receipt token is no statement token


def test_the_owner_texts_a_statement_reminder_at_most_once_a_day(amina, sms_on, login, settings):
    buy("water", "W-BOTTLE-20", 1, method="credit")  # 650 owed to water
    buy("laundry", "L-WASH-KG", 2, method="credit")  # and something to laundry, never shown to water's link
    SimSms.objects.all().delete()
    url = reverse("admin:sales:statement", args=[amina.pk])
    owner = login("owner")
    page = owner.get(url).content.decode()
    assert 'data-remind="water"' in page and 'data-remind="laundry"' in page
    assert 'data-remind' not in login("water_staff").get(url).content.decode()
    assert login("water_staff").post(url, {"business": "water", "action": "remind"}).status_code == 403
    assert SimSms.objects.count() == 0

    owner = login("owner")
    answer = owner.post(url, {"business": "water", "action": "remind"}, follow=True)
    assert "Balance texted to 254712345001" in answer.content.decode()
    sent = SimSms.objects.get()
    link, _ = LINK.search(sent.text).groups()
    assert sent.text.startswith(f"{biz('water').name}: your balance is KES 650.00.") and len(sent.text) <= 160
    again = owner.post(url, {"business": "water", "action": "remind"}, follow=True)
    assert "already reminded today" in again.content.decode() and SimSms.objects.count() == 1

    owner.logout()
    hop = owner.get(path_of(link))  # the customer's page: no login needed
    statement = owner.get(hop["Location"])
    body = statement.content.decode()
    assert statement.status_code == 200 and "Balance due: KES 650.00" in body
    laundry_sale = accounts.open_sales(amina, biz("laundry")).get()
    assert laundry_sale.receipt_number not in body and "Laundry" not in body and PHONE not in body
    # tomorrow is another day: one more reminder may go
    message, fresh = texts.remind(amina, biz("water"), today=timezone.localdate() + timedelta(days=1))
    message.refresh_from_db()
    assert fresh and message.status == "sent" and SimSms.objects.count() == 2
    # the link expires
    settings.STATEMENT_LINK_MAX_AGE = -1
    assert owner.get(hop["Location"]).status_code == 410


def test_a_reminder_honours_the_opt_out_and_refuses_when_nothing_is_owed(amina, sms_on, login):
    url = reverse("admin:sales:statement", args=[amina.pk])
    owner = login("owner")
    nothing = owner.post(url, {"business": "water", "action": "remind"}, follow=True).content.decode()
    assert "owes" in nothing and "nothing" in nothing and not SmsMessage.objects.exists()
    buy("water", "W-BOTTLE-20", 1, method="credit")
    Customer.objects.filter(pk=amina.pk).update(sms_opt_out=True)
    answer = owner.post(url, {"business": "water", "action": "remind"}, follow=True).content.decode()
    assert "asked for no SMS" in answer
    assert SmsMessage.objects.get(kind="sale.statement_reminder").status == "skipped" and not SimSms.objects.exists()
