from modules.core.registry.contract import MenuItem, Module, Role

MODULE = Module(
    key="customers",
    label="Customers",
    icon="person",
    order=51,
    menu=(MenuItem("Customers", "admin:customers_customer_changelist", "person", "customers.view_customer"),),
    roles=(Role("Accountant", permissions=("customers.view_*",)),),
)
