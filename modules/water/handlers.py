"""Event subscribers declared in module.py."""

from modules.core.sms import services as sms

from .models import DeliveryOrder


def text_the_customer_it_is_on_its_way(business, delivery_id, **payload):
    """water.dispatched (durable): "your delivery is on its way", once per delivery, with what it
    costs on delivery, unless the customer opted out of SMS."""
    order = DeliveryOrder.objects.select_related("business").get(pk=delivery_id)
    if order.status != DeliveryOrder.Status.OUT:
        return  # delivered or failed before this ran: no news for the customer
    sms.send("water.on_its_way", order.customer_phone,
             f"{order.business.name}: your delivery is on its way with {order.driver}. "
             f"To pay on delivery: KES {order.total:,}.",
             business=order.business, key=f"water.delivery:{order.pk}", customer=order.customer)
