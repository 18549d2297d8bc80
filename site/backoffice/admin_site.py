from django.urls import path
from unfold.sites import UnfoldAdminSite


class BackofficeAdminSite(UnfoldAdminSite):
    site_header = "Biashara"
    site_title = "Biashara back office"
    index_title = "Today"

    def extra_urls(self):
        from backoffice import views

        return [
            path("widgets/<str:key>/", self.admin_view(views.widget), name="widget"),
        ]
