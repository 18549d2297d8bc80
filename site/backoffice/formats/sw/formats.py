"""Kiswahili as Kenyan shops write it. Django ships Swahili words but no formats, which left money
ungrouped (1200.00 where English screens say 1,200.00): the same numbers and dates as English
(en-GB), in Swahili words."""

from django.conf.locale.en_GB.formats import (  # noqa: F401  (Django reads them from this module)
    DATE_FORMAT,
    DATE_INPUT_FORMATS,
    DATETIME_FORMAT,
    DATETIME_INPUT_FORMATS,
    DECIMAL_SEPARATOR,
    FIRST_DAY_OF_WEEK,
    MONTH_DAY_FORMAT,
    NUMBER_GROUPING,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    THOUSAND_SEPARATOR,
    TIME_FORMAT,
    YEAR_MONTH_FORMAT,
)
