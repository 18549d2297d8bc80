"""Public surface of the water module. Other modules never import it; they react to its events."""

BUSINESS_CODE = "water"
