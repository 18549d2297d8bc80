"""Event subscribers declared in module.py."""

from django.utils.translation import gettext as _

from modules.core.customers.services import in_their_language
from modules.core.sms import services as sms

from .models import DeliveryOrder


def text_the_customer_it_is_on_its_way(business, delivery_id, **payload):
    """water.dispatched (durable): "your delivery is on its way", once per delivery, with what it
    costs on delivery, unless the customer opted out of SMS."""
    order = DeliveryOrder.objects.select_related("business").get(pk=delivery_id)
    if order.status != DeliveryOrder.Status.OUT:
        return  # delivered or failed before this ran: no news for the customer
    with in_their_language(order.customer):
        text = _("%(business)s: your delivery is on its way with %(driver)s. To pay on delivery: KES %(total)s.") % {
            "business": order.business.name, "driver": order.driver, "total": f"{order.total:,}"}
    sms.send("water.on_its_way", order.customer_phone, text,
             business=order.business, key=f"water.delivery:{order.pk}", customer=order.customer)
