"""The StreamField blocks of the public site. Three of them are live: the price list reads the
inventory, the lookup and the request form post to the page they sit on (``PublicPage.serve``)."""

import uuid

from wagtail import blocks

from modules.core.registry import registry

from . import prices


def business_choices():
    return [(b.code, b.name) for b in registry.businesses()]


def lookup_choices():
    return [(lookup.key, lookup.title) for lookup in registry.public_lookups()]


def request_kind_choices():
    return [(kind.key, f"{business.name}: {kind.label}") for business, kind in registry.request_kinds()]


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        template = "cms/blocks/heading.html"


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        super().__init__(features=["bold", "italic", "link", "ol", "ul"], **kwargs)

    class Meta:
        icon = "pilcrow"
        template = "cms/blocks/paragraph.html"


class PriceListBlock(blocks.StructBlock):
    """A business's prices as the till charges them today (cached until the next price change)."""

    business = blocks.ChoiceBlock(choices=business_choices)
    heading = blocks.CharBlock(default="Prices")
    note = blocks.CharBlock(required=False, help_text="Under the list, e.g. 'Delivery free within 3 km'.")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context["rows"] = prices.price_rows(value["business"])
        return context

    class Meta:
        icon = "list-ul"
        template = "cms/blocks/price_list.html"
        label = "Live price list"


class LookupBlock(blocks.StructBlock):
    """A status check a module offers (the laundry ticket), posted back to this page."""

    lookup = blocks.ChoiceBlock(choices=lookup_choices)
    heading = blocks.CharBlock(required=False, help_text="Leave empty for the lookup's own title.")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        context["lookup"] = registry.public_lookup(value["lookup"])
        return context

    class Meta:
        icon = "search"
        template = "cms/blocks/lookup.html"
        label = "Status lookup"


class RequestFormBlock(blocks.StructBlock):
    """Order or call-back request: lands in the bell of the business's staff and the owner."""

    heading = blocks.CharBlock(default="Order or ask for a call back")
    kinds = blocks.MultipleChoiceBlock(choices=request_kind_choices, required=False,
                                       help_text="What customers may ask for here; none ticked offers them all.")

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context)
        kinds = offered_kinds(value)
        context["kinds"] = kinds
        asking = {business.code: business for business, kind in kinds if kind.asks_item}
        context["item_groups"] = [(business, prices.price_rows(code)) for code, business in asking.items()]
        context["item_for"] = " or ".join(kind.label for _, kind in kinds if kind.asks_item)
        context["uuid"] = uuid.uuid4()
        outcome = (parent_context or {}).get("outcome")
        block_id = (parent_context or {}).get("block_id")
        context["values"] = outcome.values if outcome and outcome.block_id == block_id else {}
        return context

    class Meta:
        icon = "form"
        template = "cms/blocks/request_form.html"
        label = "Order / call-back form"


def offered_kinds(value):
    """(business, kind) pairs a request form block offers, in registry order."""
    ticked = set(value.get("kinds") or ())
    return [(b, k) for b, k in registry.request_kinds() if not ticked or k.key in ticked]


class ContentStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    price_list = PriceListBlock()
    lookup = LookupBlock()
    request_form = RequestFormBlock()


class OpeningHoursBlock(blocks.StructBlock):
    days = blocks.CharBlock(help_text="Mon–Fri, Saturday, Sunday and public holidays…")
    opens = blocks.TimeBlock(required=False)
    closes = blocks.TimeBlock(required=False)
    closed = blocks.BooleanBlock(required=False, help_text="Closed on these days.")

    class Meta:
        icon = "time"
        template = "cms/blocks/opening_hours.html"
