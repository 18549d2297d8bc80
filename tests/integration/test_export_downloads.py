"""Export files are sent only through the download view, to the person who made the export:
streamed by Django in development, handed to nginx's internal location (X-Accel-Redirect) in
production. nginx itself never serves /media/private/ (the rehearsal checks it through nginx)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from modules.core.exports.models import ExportJob

CONTENT = "\ufeffreceipt,total\r\nW-000123,450.00\r\n"


@pytest.fixture
def export(demo, settings, tmp_path):
    """A finished background export water staff made, its file where the worker writes it."""
    settings.EXPORTS_ROOT = tmp_path / "exports"
    settings.EXPORTS_ROOT.mkdir()
    (settings.EXPORTS_ROOT / "sales-7f3a.csv").write_text(CONTENT, encoding="utf-8")
    return ExportJob.objects.create(
        requested_by=User.objects.get(username="water_staff"), kind="sales.sales", label="Sales", file_format="csv",
        mode=ExportJob.Mode.BACKGROUND, status=ExportJob.Status.DONE, file_path="sales-7f3a.csv",
        expires_at=timezone.now() + timedelta(hours=1))


def url(job):
    return reverse("admin:exports:download", args=[job.pk])


@pytest.mark.django_db
def test_the_maker_gets_the_file_streamed(export, login):
    response = login("water_staff").get(url(export))
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content).decode("utf-8") == CONTENT
    assert response["Content-Disposition"].startswith('attachment; filename="sales-sales-')
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert "X-Accel-Redirect" not in response


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["shop_staff", "laundry_staff", "accountant", "owner"])
def test_nobody_else_learns_the_file_exists(export, login, who):
    response = login(who).get(url(export))
    assert response.status_code == 404 and CONTENT.encode() not in response.content


@pytest.mark.django_db
def test_anonymous_gets_the_login_page_not_the_file(export, client):
    response = client.get(url(export))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_behind_nginx_the_view_decides_and_nginx_sends(export, login, settings):
    settings.EXPORTS_X_ACCEL_PREFIX = "/internal/exports/"
    response = login("water_staff").get(url(export))
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/internal/exports/sales-7f3a.csv"
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="sales-sales-')
    assert "no-store" in response["Cache-Control"]
    assert login("shop_staff").get(url(export)).status_code == 404  # the check still runs first
