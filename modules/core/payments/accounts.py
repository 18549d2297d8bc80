"""Ledger accounts payments adds to every business's chart (declared in module.py)."""

MPESA_UNALLOCATED = "2250"  # liability: received on M-Pesa, not yet known what for (the inbox)
MPESA_CHARGES = "6150"  # expense: Safaricom's charges, posted from the statement
