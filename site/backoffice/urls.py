from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import URLPattern, include, path
from django_rq.urls import urlpatterns as rq_urlpatterns
from health_check.views import HealthCheckView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from backoffice import views
from modules.core.businesses.language import set_language
from modules.core.cms.views import robots_txt
from modules.core.sms.links import follow as short_link
from modules.core.system.health import DEPENDENCY_CHECKS, LIVENESS_CHECKS, DependencyHealthView



def owner_only(patterns, permission="django_rq.admin"):
    """django-rq lets any staff user in; its queue dashboard is for the owner."""
    guard = permission_required(permission, raise_exception=True)
    return [URLPattern(p.pattern, guard(p.callback), p.default_args, p.name) for p in patterns]


def favicon(request):
    """Pages with no icon link of their own (health, RQ) make the browser ask for /favicon.ico."""
    return redirect(static("biashara/icon-192.png"), permanent=True)


urlpatterns = [
    path("favicon.ico", favicon),
    path("health/", HealthCheckView.as_view(checks=LIVENESS_CHECKS), name="health"),
    path("health/deps/", DependencyHealthView.as_view(checks=DEPENDENCY_CHECKS), name="health-deps"),
    path("admin/sw.js", views.service_worker, name="service_worker"),
    path("admin/offline/", views.offline, name="offline"),
    path("admin/language/", set_language, name="set_language"),  # Unfold's language menu posts here
    path("admin/rq/", include((owner_only(rq_urlpatterns), "django_rq"))),
    path("admin/", admin.site.urls),
    path("payments/", include("modules.core.payments.urls")),
    path("r/", include("modules.core.sales.urls")),  # customers' receipt and statement links
    path("s/<str:slug>/", short_link, name="short_link"),  # the short links texts carry
    path("sms/", include("modules.core.sms.urls")),  # Africa's Talking's delivery reports and replies
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("sitemap.xml", sitemap, name="sitemap"),
    path("robots.txt", robots_txt, name="robots"),
]
if settings.MPESA_MODE == "simulator":
    urlpatterns.append(path("simulator/daraja/", include("modules.core.payments.simulator.urls")))
if "modules.core.etims.simulator" in settings.INSTALLED_APPS:  # never in production (settings refuse it)
    urlpatterns.append(path("etims-api/", include("modules.core.etims.simulator.urls")))
if "modules.core.sms.simulator" in settings.INSTALLED_APPS:  # never in production (settings refuse it)
    urlpatterns.append(path("sms-api/", include("modules.core.sms.simulator.urls")))
urlpatterns.append(path("", include(wagtail_urls)))  # last: Wagtail serves the public site
