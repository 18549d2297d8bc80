"""Two phones edit the same laundry job: each sees the other, the second save is refused, nothing lost."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.laundry import services as laundry
from modules.laundry.models import Job
from tests.e2e.conftest import ARTIFACTS, PHONE_DEVICE, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_two_phones_edit_one_job_and_the_second_save_keeps_its_input(live_server, demo, browser, phone):
    job = laundry.create_job(Business.objects.get(code="laundry"), customer_phone="0712345678", customer_name="Amina",
                             lines=[laundry.JobLineInput(Item.objects.get(sku="L-SUIT").pk, Decimal(1))],
                             promised_at=timezone.now() + timezone.timedelta(days=2), deposit="0", notes="",
                             user=User.objects.get(username="laundry_staff"))
    url = f"{live_server.url}/admin/laundry/job/{job.pk}/change/"
    log_in(phone, live_server, "laundry_staff")
    phone.goto(url)
    owner_context = browser.new_context(**PHONE_DEVICE)
    owner = owner_context.new_page()
    log_in(owner, live_server, "owner")
    owner.goto(url)
    assert "Mwangi is editing this since" in owner.locator("[data-live-editing]").inner_text()

    phone.fill("#id_notes", "Red wine stain on the left sleeve")
    phone.locator("button[name=_save]").first.click()
    phone.wait_for_url("**/laundry/job/**")

    owner.fill("#id_customer_name", "Amina Yusuf")
    owner.locator("button[name=_save]").first.click()
    owner.get_by_text("Someone saved this record after you opened it").wait_for()
    assert "notes is now “Red wine stain on the left sleeve”" in owner.content()
    assert "promised for is now" not in owner.content()  # only what really changed is named
    assert owner.input_value("#id_customer_name") == "Amina Yusuf"  # nothing the owner typed is lost
    owner.screenshot(path=str(ARTIFACTS / "editing-stale-save.png"), full_page=True)
    owner.locator("button[name=_save]").first.click()  # reviewed: saved on top of the new version
    owner.wait_for_url("**/laundry/job/**")
    owner_context.close()
    saved = Job.objects.get(pk=job.pk)
    assert (saved.customer_name, saved.notes, saved.version) == ("Amina Yusuf", "Red wine stain on the left sleeve", 3)
