from django.conf import settings


def pages(request):
    """Whether admin pages use the trimmed shell (theme/templates/unfold/layouts/skeleton.html)."""
    return {"lean_pages": settings.BACKOFFICE_LEAN_PAGES}
