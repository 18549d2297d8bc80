from django.utils.translation import gettext_noop as _  # marked here, translated where shown

from modules.core.registry.contract import Module, Role

# The VAT rates page stays in the Sales group of the sidebar (sales' menu links to it).
MODULE = Module(
    key="tax",
    label=_("Tax"),
    icon="percent",
    order=61,  # beside eTIMS; it has no menu of its own
    roles=(Role("Accountant", permissions=("tax.view_*",)),),
)
