import pytest
from django.core.exceptions import ValidationError

from modules.core.customers.phones import PHONE_HELP, normalize_phone


@pytest.mark.parametrize("raw, expected", [
    ("0712345678", "254712345678"),
    ("+254712345678", "254712345678"),
    ("254712345678", "254712345678"),
    ("712345678", "254712345678"),
    ("0112345678", "254112345678"),
    ("112345678", "254112345678"),
    ("+254112345678", "254112345678"),
    ("254110000001", "254110000001"),
    ("0712 345 678", "254712345678"),
    ("0712-345-678", "254712345678"),
    ("+254 712 345 678", "254712345678"),
    ("+254-712-345-678", "254712345678"),
    ("  0799 000 111  ", "254799000111"),
    ("0712\u00a0345\u00a0678", "254712345678"),  # non-breaking spaces from a pasted contact
    ("0700000000", "254700000000"),
])
def test_accepted_forms_become_twelve_digits(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", [
    "",
    "   ",
    "0201234567",       # Nairobi landline
    "+254201234567",    # landline with country code
    "020 123 4567",
    "0412345678",       # Mombasa landline
    "071234567",        # too short
    "07123456789",      # too long
    "2547123456789",    # too long with country code
    "25471234567",      # too short with country code
    "254912345678",     # 2549… is not a mobile range
    "0912345678",
    "612345678",
    "+255712345678",    # Tanzania
    "+2540712345678",   # trunk 0 kept after the country code
    "00254712345678",   # international prefix
    "07123456ab",
    "zero seven one two",
    "0712.345.678",     # dots are not tolerated
    "(0712) 345678",
    "+ 254712345678x",
    "０７１２３４５６７８",  # full-width digits
])
def test_anything_else_is_refused_with_a_plain_message(raw):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(raw)
    assert caught.value.messages == [PHONE_HELP]
    assert caught.value.code == "invalid_phone"


@pytest.mark.parametrize("raw", [None, 712345678, 254712345678.0])
def test_non_strings_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_the_message_names_the_accepted_forms():
    assert "0712 345 678" in PHONE_HELP and "+254 712 345 678" in PHONE_HELP
