"""The public site (Wagtail pages) and what customers send through it.

Pages: the group's home page, one page per business (made from the module registry after
`migrate`, see sync.py), contact/location pages and simple content pages. Their bodies are
StreamFields of blocks.py; the lookup and request-form blocks post back to the page they are on.
"""

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.template.response import TemplateResponse
from django.utils.html import strip_tags
from django.utils.text import Truncator
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from modules.core.businesses.models import Business
from modules.core.registry import registry

from .blocks import ContentStreamBlock, OpeningHoursBlock

DESCRIPTION_LENGTH = 155  # what search engines show of a description
phone_validator = RegexValidator(r"^\+?[0-9 ]{9,16}$", "A phone number such as 0712 345 678 or +254 712 345 678.")


class PublicPage(Page):
    """What every public page shares: a short intro, a body of blocks, its forms handled on POST."""

    intro = models.TextField(blank=True, max_length=400,
                             help_text="One or two sentences under the title; also the search engines' description "
                                       "unless the Promote tab has one.")
    body = StreamField(ContentStreamBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        abstract = True

    def meta_description(self) -> str:
        text = self.search_description or strip_tags(self.intro)
        return Truncator(" ".join(text.split())).chars(DESCRIPTION_LENGTH)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.setdefault("outcome", None)
        return context

    def serve(self, request, *args, **kwargs):
        """A POST belongs to one lookup or request-form block of this page's body (``forms.handle``)."""
        if request.method != "POST":
            return super().serve(request, *args, **kwargs)
        from . import forms

        outcome = forms.handle(self, request)
        if outcome.redirect:
            return outcome.redirect
        context = self.get_context(request, *args, **kwargs)
        context["outcome"] = outcome
        response = TemplateResponse(request, self.get_template(request, *args, **kwargs), context,
                                    status=outcome.status)
        response["Cache-Control"] = "no-store"  # a customer's status is for them only
        return response


class HomePage(PublicPage):
    """The group's front page: the businesses below it, then the body."""

    template = "cms/home_page.html"
    max_count = 1
    subpage_types = ["cms.BusinessPage", "cms.ContactPage", "cms.ContentPage"]
    intro = RichTextField(blank=True, features=["bold", "italic", "link"])  # rich here, from the first site

    def business_pages(self):
        return [page for page in BusinessPage.objects.child_of(self).live().order_by("path")
                if page.is_enabled]


class BusinessPage(PublicPage):
    """One per business of an enabled module, made by sync.py: a new module gets its page."""

    template = "cms/business_page.html"
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ContentPage"]
    is_creatable = False  # made from the module registry, never by hand
    business_code = models.SlugField(max_length=20, unique=True, editable=False)

    @property
    def is_enabled(self) -> bool:
        return registry.module_for_business(self.business_code) is not None

    def serve(self, request, *args, **kwargs):
        if not self.is_enabled:  # its module was switched off: the page goes with it
            from django.http import Http404

            raise Http404("This business is not on the site.")
        return super().serve(request, *args, **kwargs)

    def get_sitemap_urls(self, request=None):
        return super().get_sitemap_urls(request) if self.is_enabled else []


class ContactPage(PublicPage):
    """Where to find us: address and map link, opening hours, phone and WhatsApp."""

    template = "cms/contact_page.html"
    parent_page_types = ["cms.HomePage"]
    subpage_types = []
    address = models.TextField(blank=True, help_text="Street, building, landmark.")
    map_link = models.URLField(blank=True, help_text="A share link from Google Maps or OpenStreetMap.")
    phone = models.CharField(max_length=20, blank=True, validators=[phone_validator])
    whatsapp = models.CharField("WhatsApp number", max_length=20, blank=True, validators=[phone_validator])
    opening_hours = StreamField([("hours", OpeningHoursBlock())], blank=True)

    content_panels = PublicPage.content_panels[:2] + [
        FieldPanel("address"), FieldPanel("map_link"), FieldPanel("phone"), FieldPanel("whatsapp"),
        FieldPanel("opening_hours"), FieldPanel("body")]

    def structured_data(self) -> dict:
        """schema.org LocalBusiness: what search engines show beside the result."""
        data = {"@context": "https://schema.org", "@type": "LocalBusiness", "name": self.get_parent().title,
                "url": self.get_site().root_url if self.get_site() else ""}
        if self.phone:
            data["telephone"] = f"+{self.phone_digits}"
        if self.address:
            data["address"] = " ".join(self.address.split())
        if self.map_link:
            data["hasMap"] = self.map_link
        return data

    @property
    def phone_digits(self) -> str:
        return international_digits(self.phone)

    @property
    def whatsapp_digits(self) -> str:
        return international_digits(self.whatsapp)


def international_digits(phone: str) -> str:
    """0712 345 678 → 254712345678 (tel: and wa.me links want the international form)."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if digits.startswith("0") and len(digits) == 10:
        return "254" + digits[1:]
    return digits


class ContentPage(PublicPage):
    """About us, delivery areas, terms: a title, an intro and a body."""

    template = "cms/content_page.html"
    parent_page_types = ["cms.HomePage", "cms.BusinessPage", "cms.ContentPage"]


# --- what customers send -------------------------------------------------------------------------

class CustomerRequest(models.Model):
    """An order or call-back asked for on the public site. Staff take it in one tap: the module's
    ``CustomerRequestKind.create`` makes the job or delivery in the same transaction."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        TAKEN = "taken", "Taken"
        DISMISSED = "dismissed", "Dismissed"

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=60, help_text="A CustomerRequestKind key, e.g. water.delivery.")
    client_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                                   help_text="Made with the form: sending it twice makes one request.")
    name = models.CharField(max_length=80, blank=True)
    phone = models.CharField(max_length=12, help_text="2547XXXXXXXX")
    place = models.CharField("where", max_length=200, blank=True)
    item = models.ForeignKey("inventory.Item", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveSmallIntegerField(null=True, blank=True)
    details = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    handled_at = models.DateTimeField(null=True, blank=True)
    result_link = models.CharField(max_length=500, blank=True, help_text="The job or delivery made from it.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["business", "status", "-created_at"], name="cms_request_inbox")]

    def __str__(self):
        return f"{self.kind_label} from {self.name or self.phone}"

    @property
    def kind_spec(self):
        found = registry.request_kind(self.kind)
        return found[1] if found else None

    @property
    def kind_label(self) -> str:
        spec = self.kind_spec
        return spec.label if spec else self.kind


class RateCounter(models.Model):
    """Wrong answers and submissions per key and fixed window (limits.py): rate limits that hold
    with Redis down. Pruned daily."""

    key = models.CharField(max_length=120)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="cms_rate_one_row_per_window")]
        indexes = [models.Index(fields=["window_start"], name="cms_rate_window")]
