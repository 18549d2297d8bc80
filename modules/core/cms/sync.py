"""After every `migrate` (and a test flush): the site's skeleton and one page per business.

A business module enabled for the first time gets its page under the home page, made from its
``Module.public`` declaration: the summary, its live price list, its lookups and its request
form. Pages that exist are never touched again: the owner edits them in /cms/. The Owner role may
edit every page and upload images and documents.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import (PAGE_PERMISSION_TYPES, Collection, GroupCollectionPermission, GroupPagePermission, Locale,
                            Page, Site)

from modules.core.registry import registry

from .models import BusinessPage, HomePage

EDITOR_ROLE = "Owner"
HOME_INTRO = "<p>Clean drinking water, laundry and LPG gas, all under one roof.</p>"


def business_page_body(business, public) -> list[dict]:
    """The first body of a business's page: price list, then the module's lookups and requests."""
    body = [{"type": "price_list", "value": {"business": business.code, "heading": "Prices", "note": ""}}]
    for lookup in public.lookups if public else ():
        body.append({"type": "lookup", "value": {"lookup": lookup.key, "heading": ""}})
    if public and public.requests:
        body.append({"type": "request_form", "value": {
            "heading": "Order or ask for a call back", "kinds": [kind.key for kind in public.requests]}})
    return body


@transaction.atomic
def sync_public_site() -> None:
    home = _home()
    for module in registry.modules():
        if module.business and not BusinessPage.objects.filter(business_code=module.business.code).exists():
            page = BusinessPage(title=module.business.name, slug=module.business.code, show_in_menus=True,
                                business_code=module.business.code,
                                intro=module.public.summary if module.public else "",
                                body=business_page_body(module.business, module.public))
            home.add_child(instance=page)
            page.save_revision().publish()
    _grant_editors(home)


def _home() -> HomePage:
    home = HomePage.objects.first()
    if home is None:  # a flushed test database: Wagtail's own initial data went with it
        locale = Locale.objects.first() or Locale.objects.create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root", locale=locale))
        home = root.add_child(instance=HomePage(title="Biashara", slug="home", intro=HOME_INTRO, locale=locale))
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    hostname, port = _public_host()
    if site is None:
        Site.objects.create(hostname=hostname, port=port, site_name=settings.WAGTAIL_SITE_NAME, root_page=home,
                            is_default_site=True)
    elif (site.hostname, site.port) == ("localhost", 80) and (hostname, port) != ("localhost", 80):
        site.hostname, site.port = hostname, port  # the first migration's placeholder: use PUBLIC_BASE_URL
        site.save(update_fields=["hostname", "port"])
    return home


def _public_host() -> tuple[str, int]:
    parts = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    return parts.hostname or "localhost", parts.port or (443 if parts.scheme == "https" else 80)


def _grant_editors(home):
    group = Group.objects.filter(name=EDITOR_ROLE).first()
    if group is None:
        return
    codenames = [f"{codename}_page" for codename, *_ in PAGE_PERMISSION_TYPES]
    for permission in Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=codenames):
        GroupPagePermission.objects.get_or_create(group=group, page=home, permission=permission)
    collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
    for permission in Permission.objects.filter(content_type__app_label__in=["wagtailimages", "wagtaildocs"],
                                                codename__regex=r"^(add|change|choose|delete)_(image|document)$"):
        GroupCollectionPermission.objects.get_or_create(group=group, collection=collection, permission=permission)
