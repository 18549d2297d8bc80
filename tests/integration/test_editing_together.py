"""Two people on one laundry job: presence is shown and a stale save is refused, nothing lost."""

import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from modules.core.businesses.models import Business
from modules.core.inventory.models import Item
from modules.laundry import services as laundry
from modules.laundry.models import Job, JobEvent


@pytest.fixture
def job(demo):
    business = Business.objects.get(code="laundry")
    return laundry.create_job(business, customer_phone="0712345678", customer_name="Amina", notes="",
                              lines=[laundry.JobLineInput(Item.objects.get(sku="L-SUIT").pk, Decimal(1))],
                              promised_at=timezone.now() + timezone.timedelta(days=2), deposit="0",
                              user=User.objects.get(username="laundry_staff"))


def staff(username):
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def opened_values(job):
    from modules.core.live.locking import _plain

    return json.dumps({name: _plain(getattr(job, name)) for name in ("customer_name", "promised_at", "notes")})


def form_of(job, **changes):
    data = {"customer_name": job.customer_name, "promised_at_0": job.promised_at.astimezone().strftime("%Y-%m-%d"),
            "promised_at_1": job.promised_at.astimezone().strftime("%H:%M:%S"), "notes": job.notes,
            "opened_version": job.version, "opened_values": opened_values(job), **changes}
    for prefix in ("lines", "events"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return data


@pytest.mark.django_db
def test_the_second_save_is_refused_with_what_changed_and_keeps_the_input(job):
    url = reverse("admin:laundry_job_change", args=[job.pk])
    mwangi, owner = staff("laundry_staff"), staff("owner")
    assert b"is editing this" not in mwangi.get(url).content
    assert "Mwangi is editing this since" in owner.get(url).content.decode()  # the other one sees presence

    opened = Job.objects.get(pk=job.pk)
    first = mwangi.post(url, form_of(opened, notes="Red wine stain on the left sleeve"))
    assert first.status_code == 302, first.content.decode()[:500]
    second = owner.post(url, form_of(opened, customer_name="Amina Yusuf"))
    page = second.content.decode()
    assert second.status_code == 200 and "Someone saved this record after you opened it" in page
    assert "notes is now “Red wine stain on the left sleeve”" in page  # what the other person changed
    assert 'value="Amina Yusuf"' in page  # the user's input is still in the form
    assert ">Red wine stain on the left sleeve</textarea>" in page  # the untouched field shows the saved value

    saved = Job.objects.get(pk=job.pk)
    assert (saved.notes, saved.customer_name, saved.version) == ("Red wine stain on the left sleeve", "Amina", 2)
    again = owner.post(url, form_of(saved, customer_name="Amina Yusuf"))  # reviewed, saved on the new version
    assert again.status_code == 302
    final = Job.objects.get(pk=job.pk)
    assert (final.customer_name, final.notes) == ("Amina Yusuf", "Red wine stain on the left sleeve")
    assert list(JobEvent.objects.filter(job=job, kind="note").values_list("note", flat=True)) == [
        "Edited: notes", "Edited: customer_name"]


@pytest.mark.django_db
def test_other_businesses_cannot_open_the_job_and_closed_jobs_are_read_only(job):
    url = reverse("admin:laundry_job_change", args=[job.pk])
    assert staff("water_staff").get(url).status_code == 403
    Job.objects.filter(pk=job.pk).update(status=Job.Status.CANCELLED)
    response = staff("laundry_staff").post(url, form_of(job, notes="late edit"))
    assert Job.objects.get(pk=job.pk).notes == "" and response.status_code in (200, 302, 403)


@pytest.mark.django_db
@pytest.mark.parametrize("username, url_name, make", [
    ("water_staff", "admin:inventory_item_change", lambda: Item.objects.get(sku="W-REFILL-20")),
])
def test_a_stale_price_edit_is_refused_too(demo, username, url_name, make):
    item = make()
    url = reverse(url_name, args=[item.pk])
    first, second = staff(username), staff("owner")
    page = first.get(url).content.decode()
    assert 'name="opened_version"' in page and 'name="opened_values"' in page
    # staff rename it (prices are the owner's); the owner's form, opened before, would change the price
    form = {"business": item.business_id, "name": "20 L refill (own bottle)", "sku": item.sku, "unit": item.unit,
            "is_active": "on", "opened_version": item.version}
    second_form = {**form, "name": item.name, "selling_price": "125.00", "cost": item.cost, "tracks_stock": "",
                   "price_includes_vat": "on", "tax_band": item.tax_band}
    assert first.post(url, form).status_code == 302
    refused = second.post(url, second_form)
    assert refused.status_code == 200 and "Someone saved this record after you opened it" in refused.content.decode()
    item.refresh_from_db()
    assert (item.name, item.selling_price) == ("20 L refill (own bottle)", Decimal("120.00"))


def live_token(page: str) -> str:
    return re.search(r'data-live-editing="([^"]+)"', page).group(1)


@pytest.mark.django_db
def test_presence_is_told_only_about_records_the_user_may_open(job):
    url = reverse("admin:laundry_job_change", args=[job.pk])
    owner = staff("owner")
    owners_token = live_token(owner.get(url).content.decode())  # the owner has the job open
    water = staff("water_staff")
    assert water.get(url).status_code in (302, 403, 404)  # not hers to open
    for editing in [f"laundry.job:{job.pk}", owners_token, "laundry.job:1:forged"]:
        response = water.get("/admin/live/", {"editing": editing})
        assert response.status_code == 200 and response.json()["editors"] == [], editing
    mwangi = staff("laundry_staff")  # who may open it sees the owner through his own form's token
    editors = mwangi.get("/admin/live/", {"editing": live_token(mwangi.get(url).content.decode())}).json()["editors"]
    assert len(editors) == 1
