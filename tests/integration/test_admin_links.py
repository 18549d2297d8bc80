"""Two things a new user meets first: logging in at /admin/login/ and the sidebar's links."""

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory

from backoffice.sidebar import navigation
from tests.conftest import PASSWORD, ROLE_USERS


@pytest.mark.django_db
@pytest.mark.parametrize("username", ROLE_USERS)
def test_logging_in_with_no_next_lands_on_the_dashboard(client, demo, username):
    response = client.post("/admin/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == "/admin/"
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("username", ROLE_USERS)
def test_every_sidebar_link_answers(login, username, request):
    client = login(username)
    page_request = RequestFactory().get("/admin/")
    page_request.user = User.objects.get(username=username)
    links = [item["link"] for group in navigation(page_request) for item in group["items"]]
    assert links
    if any(link.startswith("/health/") for link in links):
        request.getfixturevalue("worker")  # the Health page reports a missing worker as a failure
    answers = {link: client.get(link).status_code for link in links}
    assert all(status < 400 for status in answers.values()), answers
