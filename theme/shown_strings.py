"""Strings Django and Unfold show on our pages that their own catalogues leave in English for
Swahili (Django's sw has no timesince units; Unfold ships no translations). Listed here only so
``makemessages`` keeps them in locale/sw/LC_MESSAGES/django.po; nothing imports this file, and the
translations apply wherever Django or Unfold call gettext on the same text."""

from django.utils.translation import gettext, ngettext


def _never_called():  # pragma: no cover
    # django/utils/timesince.py: "2 hours ago" on the notifications bell
    ngettext("%(num)d year", "%(num)d years", 0)
    ngettext("%(num)d month", "%(num)d months", 0)
    ngettext("%(num)d week", "%(num)d weeks", 0)
    ngettext("%(num)d day", "%(num)d days", 0)
    ngettext("%(num)d hour", "%(num)d hours", 0)
    ngettext("%(num)d minute", "%(num)d minutes", 0)
    # unfold/templates/unfold/helpers/command.html: the search box under every page
    gettext("Type to search")
    # unfold/templates/unfold/helpers/header_back_button.html
    gettext("Go back")
