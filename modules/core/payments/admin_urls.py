"""Payments' admin pages (mounted under /admin/ by the registry, Module.admin_urls)."""

from . import statement_views, views

urlpatterns = views.admin_urlpatterns + statement_views.urlpatterns
