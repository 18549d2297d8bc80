"""Each user's language for the back office (English or Swahili; settings.LANGUAGES).

The choice is a ``UserPreference`` row, copied into the session at login and whenever the user
changes it, so the middleware activates it without touching the database (the live poll's 304
needs none). Without a session choice it is the language cookie Django's ``set_language`` writes
(the login page), else settings.LANGUAGE_CODE. Every request activates a language, so a thread
never carries the previous request's.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

SESSION_KEY = "bs_language"


def supported(code: str | None) -> str | None:
    """``code`` if it is one of settings.LANGUAGES, else None."""
    return code if code in dict(settings.LANGUAGES) else None


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A visitor with no cookie (the public site) is never looked up and gets no Vary: Cookie;
        # a session is read from the cache.
        cookies = request.COOKIES
        in_session = cookies.get(settings.SESSION_COOKIE_NAME) and hasattr(request, "session")
        language = (
            (supported(request.session.get(SESSION_KEY)) if in_session else None)
            or supported(cookies.get(settings.LANGUAGE_COOKIE_NAME))
            or settings.LANGUAGE_CODE
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if in_session or settings.LANGUAGE_COOKIE_NAME in cookies:
            patch_vary_headers(response, ("Cookie",))
        return response


def user_language(user) -> str:
    from .models import UserPreference

    row = UserPreference.objects.filter(user=user).values_list("language", flat=True).first()
    return supported(row) or settings.LANGUAGE_CODE


def save_user_language(user, language: str) -> None:
    from .models import UserPreference

    UserPreference.objects.update_or_create(user=user, defaults={"language": language})


@receiver(user_logged_in, dispatch_uid="businesses.language_at_login")
def _language_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = user_language(user)


@require_POST
def set_language(request):
    """The language menu (Unfold's, under the user's name) posts here: the choice is kept for the
    user (every device, from their next login) and for this session now; Django's own view then
    sets the cookie and goes back to ``next``."""
    language = supported(request.POST.get("language"))
    if language and request.user.is_authenticated:
        save_user_language(request.user, language)
        request.session[SESSION_KEY] = language
    return django_set_language(request)
