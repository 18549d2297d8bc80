"""The owner's own alerts by SMS (issue 16 §2), chosen per kind on the notification settings page,
and what texts cost per business and month (the widget, the page and its CSV agree with the
stored costs). Against the Africa's Talking simulator over real HTTP."""

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.notifications import services as notifications
from modules.core.notifications.models import Notification, Preference
from modules.core.outbox import services as outbox
from modules.core.outbox.models import Message
from modules.core.sms import services as sms
from modules.core.sms.models import AlertPhone, SmsMessage
from modules.core.sms.simulator.models import SimSms
from tests.integration.test_sms import send_later, sms_on  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)
PREFS = "/admin/notifications/preferences/"
PHONE_PAGE = "/admin/sms/alert-phone/"


def run_outbox():
    """What the worker and the 30 s sweep do: everything due now, until nothing is left."""
    for _ in range(5):
        Message.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        if not outbox.process_due():
            return


def test_the_owner_chooses_which_alerts_are_texted(demo, sms_on, login):
    owner = login("owner")
    page = owner.get(PREFS).content.decode()
    assert "data-sms-hint" in page
    assert 'data-sms-kind="system.warning"' in page and 'data-sms-kind="approvals.requested"' in page
    assert 'data-sms-kind="payments.unallocated"' in page  # M-Pesa money waiting in the inbox
    assert 'data-sms-kind="inventory.low_stock"' not in page  # only the kinds declared sms=True
    every_kind = [k.key for k in notifications.kinds()]
    inbox = "payments.unallocated"
    bad = owner.post(PHONE_PAGE, {"phone": "12345"})
    assert bad.status_code == 400 and "data-error" in bad.content.decode() and not AlertPhone.objects.exists()
    assert owner.post(PHONE_PAGE, {"phone": "0712 000 222"}).status_code == 302
    saved = owner.post(PREFS, {"kind": every_kind, "sms": ["system.warning", inbox]})
    assert saved.status_code == 302
    me = User.objects.get(username="owner")
    assert AlertPhone.objects.get(user=me).phone == "254712000222"
    assert set(notifications.texted_kinds(me)) == {"system.warning", inbox}

    notifications.send(notifications.SYSTEM_WARNING, to="Owner", message="Disk almost full", link="/health/deps/")
    notifications.send(inbox, to="Owner", business="water", message="KES 1,500 from 0712…345 waits in the inbox")
    notifications.send(notifications.APPROVAL_REQUESTED, to="Owner", business="water", message="Approve PO-7")
    run_outbox()
    assert Notification.objects.filter(recipient=me).count() == 3  # all three ring the bell
    texts = {m.kind: m for m in SmsMessage.objects.all()}
    assert set(texts) == {"alert.system.warning", f"alert.{inbox}"}  # the approval was not ticked "SMS"
    assert texts["alert.system.warning"].business is None and texts[f"alert.{inbox}"].business.code == "water"
    assert sorted(SimSms.objects.values_list("to", "text")) == sorted([
        ("+254712000222", "Biashara: Disk almost full"),
        ("+254712000222", "Biashara: KES 1,500 from 0712…345 waits in the inbox")])
    # each notification row is texted once, ever: a replayed delivery message adds nothing
    Message.objects.filter(topic=sms.TOPIC).update(status="pending", next_attempt_at=timezone.now())
    run_outbox()
    assert SimSms.objects.count() == 2

    # unticking the kind on the bell also stops its texts
    owner.post(PREFS, {"kind": [k for k in every_kind if k != "system.warning"], "sms": ["system.warning"]})
    assert not Preference.objects.get(user=me, kind="system.warning").by_sms
    notifications.send(notifications.SYSTEM_WARNING, to="Owner", message="Redis memory high")
    run_outbox()
    assert SimSms.objects.count() == 2


def test_staff_cannot_have_alerts_texted(demo, sms_on, login):
    staff = login("water_staff")
    assert "data-sms-hint" not in staff.get(PREFS).content.decode()
    assert staff.get(PHONE_PAGE).status_code == 403
    staff.post(PREFS, {"kind": [k.key for k in notifications.kinds()], "sms": ["system.warning"]})
    me = User.objects.get(username="water_staff")
    assert not AlertPhone.objects.filter(user=me).exists() and not notifications.texted_kinds(me)
    Preference.objects.filter(user=me, kind="system.warning").update(by_sms=True)  # even forced in the table
    AlertPhone.objects.create(user=me, phone="254712000333")
    notifications.send(notifications.SYSTEM_WARNING, to=me, message="Disk almost full")
    run_outbox()
    assert Notification.objects.filter(recipient=me).exists() and not SmsMessage.objects.exists()


def test_the_cost_per_business_and_month_agrees_with_the_stored_costs(demo, sms_on, login, settings):
    settings.HEALTH_ALERT_PHONES = ["0712 000 111"]
    for n in range(3):
        _, queued = send_later(key=f"cost:{n}", text="x" * (170 if n == 0 else 20))  # laundry: 2 + 1 + 1 parts
        outbox.process(queued.pk)
    from modules.core.system import watcher

    watcher.alert("disk_free", "Disk almost full")
    run_outbox()
    stored = {}
    for message in SmsMessage.objects.filter(status="sent"):
        name = message.business.name if message.business else sms.OWNER_ALERTS
        stored[name] = stored.get(name, Decimal(0)) + message.cost
    assert stored == {"Laundry": Decimal("3.2000"), sms.OWNER_ALERTS: Decimal("0.8000")}
    assert sum(SimSms.objects.values_list("cost", flat=True)) == Decimal("4.0000")  # what the gateway charged

    owner = login("owner")
    widget = owner.get("/admin/widgets/sms.cost/").content.decode()
    assert "KES 4.00" in widget and "Owner&#x27;s alerts: 1 · KES 0.80" in widget
    page = owner.get("/admin/sms/costs/")
    assert page.status_code == 200 and len(page.context["rows"]) == 2
    rows = list(csv.reader(io.StringIO(owner.get("/admin/sms/costs/", {"format": "csv"}).content.decode("utf-8-sig"))))
    month = timezone.localdate().strftime("%Y-%m")
    assert rows == [["Month", "Business", "Texts sent", "Cost (KES)"], [month, "Laundry", "3", "3.20"],
                    [month, "Owner's alerts", "1", "0.80"]]
    # the accountant sees the business figures; staff see no cost at all
    assert login("accountant").get("/admin/sms/costs/").status_code == 200
    assert login("laundry_staff").get("/admin/sms/costs/").status_code == 403
    assert Business.objects.get(code="laundry").name == "Laundry"
