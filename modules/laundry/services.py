"""Public surface of the laundry module. Other modules never import it; they react to its events."""

BUSINESS_CODE = "laundry"
