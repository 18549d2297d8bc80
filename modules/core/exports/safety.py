"""Formula-injection safety for every spreadsheet cell we write.

A text cell starting with = + - @, a tab or a carriage return can run as a formula when the file
is opened in Excel, LibreOffice or Google Sheets. Such cells get a leading single quote (what
OWASP and defusedcsv do), which the spreadsheet shows but never evaluates. Numbers stay numbers:
Decimal/int values are never touched, and a string that is just a plain number ("-1500.00", how
django-import-export renders money in CSV) is not a formula, so it is left alone too.

django-import-export's own IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT strips only a leading "=" and
is off by default: it is not relied on.
"""

import re

from import_export import resources, widgets

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"-?\d[\d,]*(\.\d+)?\Z")
NUMERIC_WIDGETS = (widgets.NumberWidget, widgets.BooleanWidget, widgets.DateWidget, widgets.DateTimeWidget,
                   widgets.TimeWidget, widgets.DurationWidget)


def inert(value):
    """The value itself, unless it is text a spreadsheet would evaluate: then quoted."""
    if isinstance(value, str) and value[:1] in DANGEROUS and not PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def revive(value):
    """What ``inert`` was given, for a cell read back from one of our files (an import of an
    export): the quote it added comes off. Nothing is evaluated on import, so this is safe."""
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in DANGEROUS and not PLAIN_NUMBER.match(value[1:]):
        return value[1:]
    return value


def inert_row(row):
    return [inert(value) for value in row]


class SafeModelResource(resources.ModelResource):
    """Base for every export resource: text cells are made inert however the resource is used
    (the admin's export button, ``resource.export()`` in code, or the background job)."""

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(field.widget, NUMERIC_WIDGETS) and not isinstance(value, str):
            return value
        return inert(value)


MONEY = widgets.DecimalWidget
WIDGETS = {"money": widgets.DecimalWidget, "number": widgets.DecimalWidget, "int": widgets.IntegerWidget,
           "date": widgets.DateWidget, "datetime": widgets.DateTimeWidget, "bool": widgets.BooleanWidget}


def col(attribute, column_name=None, kind=None, *, readonly=True):
    """An export column read from an ORM path ("entry__account__code"), so the background job can
    stream the same columns straight from ``values_list`` without building model instances."""
    from import_export.fields import Field

    widget = WIDGETS[kind]() if kind else widgets.Widget()
    return Field(attribute=attribute, column_name=column_name or attribute, widget=widget, readonly=readonly)
