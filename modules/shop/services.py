"""Public surface of the shop module. Other modules never import it; they react to its events."""

BUSINESS_CODE = "shop"
