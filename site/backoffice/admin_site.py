from django.urls import URLPattern, include, path
from django.utils.module_loading import import_string
from unfold.sites import UnfoldAdminSite


class BackofficeAdminSite(UnfoldAdminSite):
    site_header = "Biashara"
    site_title = "Biashara back office"
    index_title = "Today"

    def extra_urls(self):
        """The dashboard's widget endpoint, then each module's admin pages (Module.admin_urls),
        namespaced by module key: reverse("admin:ledger:trial_balance")."""
        from backoffice import views
        from modules.core.registry import registry

        urls = [path("widgets/<str:key>/", self.admin_view(views.widget), name="widget")]
        for module in registry.modules():
            if module.admin_urls:
                # a view marked checks_its_own_access (the live poll) skips admin_view's user lookup
                patterns = [URLPattern(p.pattern, p.callback if getattr(p.callback, "checks_its_own_access", False)
                                       else self.admin_view(p.callback), p.default_args, p.name)
                            for p in import_string(module.admin_urls)]
                urls.append(path("", include((patterns, module.key))))
        return urls
