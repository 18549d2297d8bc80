"""The admin kit's contract: one refusal type, admin pages declared by title and permission,
"the object of a business I may see, else 403"."""

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.test import RequestFactory
from django.utils.module_loading import import_string

from modules.core.businesses.admin_kit import admin_page, scoped_or_403
from modules.core.businesses.models import Business
from modules.core.registry.refusals import Refusal

REFUSALS = ["modules.core.ledger.services.LedgerError", "modules.core.inventory.services.OutOfStock",
            "modules.core.sales.services.SaleConflict", "modules.core.approvals.services.ApprovalError",
            "modules.core.approvals.services.AlreadyDecided", "modules.core.purchasing.services.PurchasingError",
            "modules.core.exports.spreadsheets.FileProblem", "modules.shop.services.LpgConflict",
            "modules.laundry.services.JobChanged", "modules.water.services.WaterError"]


@pytest.mark.parametrize("path", REFUSALS)
def test_business_refusals_are_validation_errors_that_read_as_their_message(path):
    refusal = import_string(path)
    assert issubclass(refusal, Refusal) and issubclass(refusal, ValidationError)
    error = refusal("Only 2 Bread 400 g left.")
    assert error.messages == ["Only 2 Bread 400 g left."]
    assert str(error) == "Only 2 Bread 400 g left."  # not "['Only 2 …']"


def _request(username):
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username=username)
    return request


@pytest.mark.django_db
def test_scoped_or_403_answers_403_for_another_business_and_404_for_nothing(demo):
    laundry = Business.objects.get(code="laundry")
    assert scoped_or_403(_request("laundry_staff"), Business, code="laundry") == laundry
    assert scoped_or_403(_request("owner"), laundry) == laundry
    with pytest.raises(PermissionDenied):
        scoped_or_403(_request("water_staff"), Business, code="laundry")
    with pytest.raises(PermissionDenied):  # its own business, without the permission asked for
        scoped_or_403(_request("laundry_staff"), laundry, "ledger.add_journalentry")
    with pytest.raises(Http404):
        scoped_or_403(_request("owner"), Business, code="car_wash")


@pytest.mark.django_db
def test_scoped_or_403_follows_a_business_path(demo):
    from modules.core.inventory.models import Item

    water_item = Item.objects.filter(business__code="water").first()
    assert scoped_or_403(_request("water_staff"), Item, "inventory.view_item", pk=water_item.pk) == water_item
    with pytest.raises(PermissionDenied):
        scoped_or_403(_request("shop_staff"), Item.objects.all(), pk=water_item.pk)


@pytest.mark.django_db
def test_admin_page_declares_title_and_permission_and_refuses_without_it(demo):
    @admin_page("Stock count", permission="inventory.view_stocklevel")
    def page(request):
        return JsonResponse({"ok": True})

    assert page.title == "Stock count" and page.permission_required == ("inventory.view_stocklevel",)
    assert page(_request("owner")).status_code == 200
    User.objects.create_user("no_perms", is_staff=True)
    with pytest.raises(PermissionDenied):
        page(_request("no_perms"))
