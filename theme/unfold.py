"""Unfold configuration: brand, colours and the registry-built sidebar and dashboard."""

from django.templatetags.static import static

# Tailwind's teal scale in oklch, the colour of clean water.
TEAL = {
    "50": "oklch(98.4% .014 180.72)",
    "100": "oklch(95.3% .051 180.801)",
    "200": "oklch(91% .096 180.426)",
    "300": "oklch(85.5% .138 181.071)",
    "400": "oklch(77.7% .152 181.912)",
    "500": "oklch(70.4% .14 182.503)",
    "600": "oklch(60% .118 184.704)",
    "700": "oklch(51.1% .096 186.391)",
    "800": "oklch(43.7% .078 188.216)",
    "900": "oklch(38.6% .063 188.416)",
    "950": "oklch(27.7% .046 192.524)",
}

UNFOLD = {
    "SITE_TITLE": "Biashara",
    "SITE_HEADER": "Biashara",
    "SITE_SUBHEADER": "backoffice.sidebar.subheader",
    "SITE_SYMBOL": "storefront",
    "SITE_URL": "/",
    "SITE_FAVICONS": [
        {"rel": "icon", "type": "image/svg+xml", "href": lambda request: static("biashara/icon.svg")},
        # the PWA: installable, opens at /admin/ (service worker: theme/static/biashara/sw.js)
        {"rel": "manifest", "href": lambda request: static("biashara/manifest.webmanifest")},
        {"rel": "apple-touch-icon", "href": lambda request: static("biashara/icon-192.png")},
    ],
    "THEME": "light",
    "BORDER_RADIUS": "8px",
    "COLORS": {"primary": TEAL},
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_BACK_BUTTON": True,
    # The language menu under the user's name: posts to backoffice's set_language, which keeps the
    # choice for the user (modules/core/businesses/language.py).
    "SHOW_LANGUAGES": True,
    "LANGUAGES": {"navigation": [{"code": "en-gb", "name_local": "English"}, {"code": "sw", "name_local": "Kiswahili"}]},
    "SCRIPTS": [lambda request: static("biashara/pwa.js")],
    "STYLES": [lambda request: static("biashara/phone.css"), lambda request: static("notifications/bell.css")],
    "DASHBOARD_CALLBACK": "backoffice.dashboard.dashboard_callback",
    "SIDEBAR": {
        "show_search": False,
        "command_search": False,
        "show_all_applications": False,
        "navigation": "backoffice.sidebar.navigation",
    },
}
