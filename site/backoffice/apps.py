from django.contrib.admin.apps import AdminConfig


class BackofficeAdminConfig(AdminConfig):
    """Replaces django.contrib.admin so that `admin.site` is the Biashara admin site."""

    default_site = "backoffice.admin_site.BackofficeAdminSite"
