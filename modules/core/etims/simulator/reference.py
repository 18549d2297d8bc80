"""The code lists, item classes and taxpayers the simulated KRA answers with (etims-brief §2.3, §5).

Code values come from the brief's tables (Odoo's code CSV, confirmed on KRA's sandbox by Navari and
Paybill). Item classes and taxpayers are a small demo set: the class numbers for laundry and LPG are
*assumed* (the brief names UNSPSC families, not verified codes); check them with the live
``selectItemClsList`` before go-live.
"""

from decimal import Decimal

RESULT_DT_FORMAT = "%Y%m%d%H%M%S"

TAX_TYPES = {"A": ("Exempt", Decimal("0")), "B": ("VAT 16%", Decimal("16")), "C": ("Zero-rated", Decimal("0")),
             "D": ("Non-VAT", Decimal("0")), "E": ("VAT 8%", Decimal("8"))}

CODE_CLASSES = {
    "04": ("Taxation type", [(code, name, str(rate)) for code, (name, rate) in TAX_TYPES.items()]),
    "07": ("Payment type", [("01", "Cash", ""), ("02", "Credit", ""), ("03", "Cash/Credit", ""),
                            ("04", "Bank check", ""), ("05", "Debit&Credit card", ""), ("06", "Mobile money", ""),
                            ("07", "Other", "")]),
    "10": ("Quantity unit", [("U", "Pieces/item", ""), ("KG", "Kilogram", ""), ("L", "Litre", ""),
                             ("LTR", "Litre", "")]),
    "11": ("Sale status", [("01", "Wait for approval", ""), ("02", "Approved", ""), ("03", "Cancel requested", ""),
                           ("04", "Canceled", ""), ("05", "Credit note generated", ""), ("06", "Transferred", "")]),
    "12": ("Stock I/O type", [("01", "Import", ""), ("02", "Purchase", ""), ("03", "Return", ""),
                              ("04", "Stock movement", ""), ("05", "Processing", ""), ("06", "Adjustment", ""),
                              ("11", "Sale", ""), ("12", "Return", ""), ("13", "Stock movement", ""),
                              ("14", "Processing", ""), ("15", "Discarding", ""), ("16", "Adjustment", "")]),
    "14": ("Transaction type", [("C", "Copy", ""), ("N", "Normal", ""), ("P", "Proforma", ""), ("T", "Training", "")]),
    "17": ("Packing unit", [("CY", "Cylinder", ""), ("JY", "Jerry can", ""), ("BQ", "Bottle", ""),
                            ("BG", "Bag", ""), ("OU", "Outer / non-exterior", ""), ("NT", "Net", "")]),
    "24": ("Item type", [("1", "Raw material", ""), ("2", "Finished product", ""), ("3", "Service", "")]),
    "32": ("Refund reason", [("01", "Missing quantity", ""), ("02", "Missing data", ""), ("03", "Damaged", ""),
                             ("04", "Wasted", ""), ("05", "Raw material shortage", ""), ("06", "Refund", ""),
                             ("07", "Wrong customer PIN", ""), ("08", "Wrong customer name", ""),
                             ("09", "Wrong amount/price", ""), ("10", "Wrong quantity", ""),
                             ("11", "Wrong item(s)", ""), ("12", "Wrong tax type", ""), ("13", "Other", "")]),
    "34": ("Purchase status", [("01", "Wait for approval", ""), ("02", "Approved", ""), ("03", "Cancel requested", ""),
                               ("04", "Canceled", ""), ("05", "Refunded", ""), ("06", "Transferred", "")]),
    "37": ("Sales receipt type", [("S", "Sale", ""), ("R", "Credit note after sale", "")]),
    "38": ("Purchase receipt type", [("P", "Purchase", ""), ("R", "Credit note after purchase", "")]),
}


def codes(cls: str) -> set[str]:
    return {code for code, _, _ in CODE_CLASSES[cls][1]}


# itemClsCd -> (name, level, taxTyCd)
ITEM_CLASSES = {
    "50200000": ("Beverages", 2, "B"),
    "50202301": ("Drinking water (bottled)", 4, "B"),
    "99011095": ("Natural water excluding bottled water (VAT Act exempt supply)", 4, "A"),
    "15110000": ("Gaseous fuels and additives", 2, "C"),
    "15111510": ("Liquefied petroleum gas", 4, "C"),  # assumed code
    "91111500": ("Laundering services", 3, "B"),  # assumed code
    "24111800": ("Tanks and cylinders and their accessories", 3, "B"),
    "50000000": ("Food, beverage and tobacco products", 1, "B"),
    "53131600": ("Bath and body", 3, "B"),
    "47131800": ("Cleaning and janitorial supplies", 3, "B"),
    "99000000": ("Other goods and services", 1, "B"),
}

# PIN -> (name, status A active / D dormant, county, locality)
TAXPAYERS = {
    "P051234567X": ("Biashara demo taxpayer", "A", "Nairobi", "Westlands"),
    "P052345678Y": ("Maji Safi Supplies Ltd", "A", "Kiambu", "Ruiru"),
    "P053456789Z": ("Gesi Bora Distributors Ltd", "A", "Nairobi", "Industrial Area"),
    "A123456789Z": ("Mama Mboga Traders", "A", "Nairobi", "Kawangware"),
    "P054567890A": ("Kilimani Apartments Ltd", "A", "Nairobi", "Kilimani"),
    "A987654321B": ("Dormant Enterprises", "D", "Mombasa", "Nyali"),
}
