"""The client's address behind the shipped nginx: the entry nginx appended, never the client's own."""

import pytest

from modules.core.system.network import client_ip


@pytest.mark.parametrize("proxies, forwarded, expected", [
    (0, "6.6.6.6, 41.90.64.7", "127.0.0.1"),  # no proxy: X-Forwarded-For is the client's writing
    (1, "6.6.6.6, 41.90.64.7", "41.90.64.7"),  # the forged 6.6.6.6 is ignored
    (1, "41.90.64.7", "41.90.64.7"),  # a genuine client: nginx's entry only
    (1, "6.6.6.6,41.90.64.7 ,", "41.90.64.7"),  # spacing and empty parts
    (1, "", "127.0.0.1"),  # did not come through nginx
    (2, "6.6.6.6, 41.90.64.7, 10.0.0.2", "41.90.64.7"),  # a load balancer in front of nginx
    (1, "6.6.6.6, 2001:DB8::1", "2001:db8::1"),
    (1, "6.6.6.6, not-an-ip", None),
])
def test_the_client_is_the_address_nginx_appended(settings, rf, proxies, forwarded, expected):
    settings.PROXY_COUNT = proxies
    request = rf.post("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
