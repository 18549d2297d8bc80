"""The sales module's texts to customers (through modules/core/sms):

* the receipt as a short link once a sale with a customer is paid in full by cash or M-Pesa
  (``payment.received``, durable), once per sale;
* the statement text the owner sends from the customer's statement page: the balance due with
  a business and a short link to the customer's own statement, at most once per customer,
  business and Nairobi day.

Both links are signed (``django.core.signing``, their own salts) and expire; the short link in
front of them only makes the text shorter (``sms.links``)."""

from __future__ import annotations

from decimal import Decimal

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils import timezone

from modules.core.customers.services import in_their_language
from modules.core.payments.models import Payment
from modules.core.sms import links
from modules.core.sms import services as sms
from modules.core.sms.models import SmsMessage

from . import accounts
from .models import Sale

RECEIPT = "sale.receipt"
REMINDER = "sale.statement_reminder"
STATEMENT_SALT = "sales.statement"
PAID_BY = (Payment.Method.CASH, Payment.Method.MPESA)


def text_the_receipt(business, payment_id, **payload):
    """``payment.received`` (durable): the payment that settled a sale with a customer, in cash or
    M-Pesa, texts the customer the receipt's short link. Keyed by the sale: once, ever."""
    from .views import share_token  # the receipt link is the views' own

    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.method not in PAID_BY or payment.document_type.model_class() is not Sale:
        return
    sale = (Sale.objects.select_related("business", "customer").prefetch_related("customer__phones")
            .filter(pk=payment.document_id).first())
    if sale is None or sale.customer is None or sale.paid_at is None or sale.status != Sale.Status.COMPLETED:
        return  # not settled yet (a deposit, a part), no customer to text, or voided since
    phone = sale.customer.primary_phone
    if not phone or not sms.enabled():
        return
    key = f"sales.sale:{sale.pk}"
    url = links.short_link(reverse("sales:public_receipt", args=[share_token(sale)]), key=f"{RECEIPT}:{key}")
    values = {"business": sale.business.name, "number": sale.receipt_number, "total": f"{sale.total:,}", "link": url}
    with in_their_language(sale.customer):
        text = (_("%(business)s: receipt %(number)s, KES %(total)s paid by M-Pesa. Asante! %(link)s")
                if payment.method == Payment.Method.MPESA
                else _("%(business)s: receipt %(number)s, KES %(total)s paid by cash. Asante! %(link)s")) % values
    sms.send(RECEIPT, phone, text, business=sale.business, key=key, customer=sale.customer)


def statement_token(customer, business) -> str:
    return signing.dumps({"c": customer.pk, "b": business.pk}, salt=STATEMENT_SALT, compress=True)


def read_statement_token(token: str, max_age: int) -> tuple[int, int]:
    """(customer id, business id); raises ``signing.BadSignature`` (or ``SignatureExpired``)."""
    found = signing.loads(token, salt=STATEMENT_SALT, max_age=max_age)
    if not isinstance(found, dict) or not isinstance(found.get("c"), int) or not isinstance(found.get("b"), int):
        raise signing.BadSignature("not a statement token")
    return found["c"], found["b"]


def remind(customer, business, *, today=None) -> tuple[SmsMessage, bool]:
    """Text the customer what they owe ``business`` with a link to their statement there. Once per
    customer, business and day (a second tap returns the day's message); an opted-out customer's
    text is recorded as skipped. Returns (the message, made now). Refuses (ValidationError) when nothing is owed or there is no
    phone or SMS is off."""
    if not sms.enabled():
        raise ValidationError("SMS is switched off (SMS_MODE=off): nothing can be texted.")
    owed = accounts.subledgers(customer, business).get(business.pk, {}).get("balance", Decimal("0"))
    if owed <= 0:
        raise ValidationError(f"{customer} owes {business.name} nothing: there is no balance to text.")
    phone = customer.primary_phone
    if not phone:
        raise ValidationError(f"{customer} has no phone number to text.")
    with transaction.atomic():
        return _remind(customer, business, phone, owed, today)


def _remind(customer, business, phone, owed, today):
    day = (today or timezone.localdate()).isoformat()
    key = f"customer:{customer.pk}:{business.code}:{day}"
    earlier = SmsMessage.objects.filter(key=f"{REMINDER}:{key}").first()
    if earlier is not None:
        return earlier, False
    url = links.short_link(reverse("sales:public_statement", args=[statement_token(customer, business)]),
                           key=f"{REMINDER}:{key}")
    with in_their_language(customer):
        text = _("%(business)s: your balance is KES %(owed)s. Please pay by M-Pesa or at the counter. "
                 "Statement: %(link)s") % {"business": business.name, "owed": f"{owed:,}", "link": url}
    message = sms.send(REMINDER, phone, text, business=business, key=key, customer=customer)
    if message is None:
        raise ValidationError(f"{phone} is not a mobile number that can be texted.")
    return message, True
