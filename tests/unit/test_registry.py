"""Roles merge across modules; bad declarations fail loudly."""

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from modules.core.registry import registry
from modules.core.registry.contract import Module, Role, Widget

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture
def declared(monkeypatch):
    def use(*modules):
        monkeypatch.setattr(registry, "modules", lambda: modules)
    return use


def test_roles_with_the_same_name_merge_their_permissions(declared):
    declared(
        Module("a", "A", roles=(Role("Accountant", ("a.view_*",), sees_all_businesses=True),)),
        Module("b", "B", roles=(Role("Accountant", ("b.view_*",)),)),
    )
    (accountant,) = registry.roles()
    assert accountant.permissions == ("a.view_*", "b.view_*")
    assert accountant.sees_all_businesses


def test_a_role_cannot_be_scoped_to_two_businesses(declared):
    declared(Module("a", "A", roles=(Role("Staff", business="water"),)),
             Module("b", "B", roles=(Role("Staff", business="shop"),)))
    with pytest.raises(ImproperlyConfigured):
        registry.roles()


def test_the_enabled_modules_are_discovered_in_order():
    keys = [m.key for m in registry.modules()]
    assert keys[:5] == ["sales", "water", "laundry", "shop", "inventory"]
    assert {"businesses", "system"} <= set(keys)


def test_widget_keys_are_unique_and_resolvable():
    keys = [w.key for w in registry.widgets()]
    assert len(keys) == len(set(keys))
    assert registry.widget("water.prices") == Widget(
        key="water.prices", title="Water: price list", callable="modules.core.inventory.widgets.price_list",
        template="inventory/widget_price_list.html", refresh_seconds=15, permission="inventory.view_item",
        business="water",
    )


def test_the_declared_paths_templates_models_and_links_all_resolve():
    from modules.core.registry.checks import declarations_resolve

    assert declarations_resolve() == []


def test_a_typo_in_a_declaration_fails_manage_py_check_naming_module_and_field(declared):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.urls import reverse

    from modules.core.registry.contract import ApprovalRule, FiscalReceipt, MenuItem, Retention, Schedule

    reverse("admin:index")  # the URLconf is built from the real registry before it is replaced
    declared(Module("car_wash", "Car wash", demo="modules.car_wash.demo.seed", menu=(
        MenuItem("Bays", "admin:car_wash_bay_changelist"),), widgets=(
        Widget("car_wash.queue", "Queue", "modules.core.inventory.widgets.price_lsit", "car_wash/queue.html"),),
        schedules=(Schedule("car_wash.digest", "modules.core.reports.jobs.nightly"),),
        approval_rules=(ApprovalRule("car_wash.Wash"), ApprovalRule("sales.Sale")),
        retention=(Retention("system.SecurityEvent", "created", 90),),
        fiscal_receipt=FiscalReceipt(block="modules.core.etims.receipts.for_sael", template="car_wash/fiscal.html",
                                     issue="modules.core.etims.receipts.issue",
                                     check_buyer="modules.core.etims.services.check_buyer_pin")))
    with pytest.raises(SystemCheckError) as failed:
        call_command("check")
    report = str(failed.value)
    for problem in ("'car_wash': demo 'modules.car_wash.demo.seed'",
                    "'car_wash': widgets[car_wash.queue].callable 'modules.core.inventory.widgets.price_lsit'",
                    "'car_wash': widgets[car_wash.queue] template 'car_wash/queue.html'",
                    "'car_wash': schedules[car_wash.digest].job 'modules.core.reports.jobs.nightly'",
                    "'car_wash': approval_rules document 'car_wash.Wash'",
                    "'car_wash': approval_rules document 'sales.Sale' has no approval_details()",
                    "'car_wash': menu[Bays].link URL name 'admin:car_wash_bay_changelist'",
                    "'car_wash': retention 'system.SecurityEvent' has no field 'created'",
                    "'car_wash': fiscal_receipt.block 'modules.core.etims.receipts.for_sael'",
                    "'car_wash': fiscal_receipt template 'car_wash/fiscal.html'"):
        assert problem in report


def test_a_new_business_s_staff_get_what_the_core_grants_staff_with_no_edit_in_the_core(declared):
    from modules.core.registry.contract import Business

    declared(Module("approvals", "Approvals", staff_permissions=("approvals.add_expenserequest",)),
             Module("car_wash", "Car wash", business=Business("car_wash", "Car wash"),
                    roles=(Role("Car wash staff", ("car_wash.add_wash",), business="car_wash"),
                           Role("Accountant", ("car_wash.view_*",)))),
             Module("reports", "Reports", staff_permissions=("reports.add_cashup",),
                    roles=(Role("Accountant", ("reports.view_*",)),)))
    roles = {role.name: role for role in registry.roles()}
    assert roles["Car wash staff"].business == "car_wash"
    assert set(roles["Car wash staff"].permissions) == {
        "car_wash.add_wash", "approvals.add_expenserequest", "reports.add_cashup"}
    assert roles["Accountant"].permissions == ("car_wash.view_*", "reports.view_*")  # staff grants only


def test_without_a_fiscal_module_a_receipt_has_no_fiscal_part_and_a_buyer_pin_is_kept_as_typed(declared):
    """Sales asks for a tax authority's part only through the declaration (eTIMS's, when enabled)."""
    from modules.core.registry.contract import FiscalReceipt
    from modules.core.sales import fiscal

    declared(Module("sales", "Sales"))
    assert fiscal.block(object(), issue=1) is None and fiscal.template() == "" and fiscal.issue(object()) == 0
    assert fiscal.check_buyer(" a123 456789z ").pin == "A123456789Z"
    declared(Module("etims", "eTIMS", fiscal_receipt=FiscalReceipt(
        block="modules.core.etims.receipts.for_sale", template="etims/receipt_block.html",
        issue="modules.core.etims.receipts.issue", check_buyer="modules.core.etims.services.check_buyer_pin")))
    assert fiscal.template() == "etims/receipt_block.html"
    with pytest.raises(ValidationError):  # etims' own rule: a KRA PIN is a letter, 9 digits and a letter
        fiscal.check_buyer("A12")
