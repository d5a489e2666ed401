"""config/client_address.py: the address per-address rate limits key on, behind our proxies."""

import pytest
from django.test import RequestFactory

from config.client_address import client_address


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.1", "127.0.0.1"),  # no trusted proxies: the header is the client's to forge
        (1, "198.51.100.1, 203.0.113.5", "203.0.113.5"),
        (2, "198.51.100.1, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # reached only our inner proxy: the leftmost is the client
        (3, "203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (1, "203.0.113.5:51000", "203.0.113.5"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "2001:db8::1", "2001:db8::1"),
        (2, "garbage", "127.0.0.1"),  # not an address: the connection's
        (1, " , ", "127.0.0.1"),
        (1, "", "127.0.0.1"),
    ],
)
def test_client_address(settings, count, forwarded, expected):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = count
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None
    request = RequestFactory().get("/", headers={"x-forwarded-for": forwarded})
    assert client_address(request) == expected


def test_a_trusted_client_header_wins_and_a_bad_one_falls_back(settings):
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert client_address(RequestFactory().get("/", headers={"x-real-ip": "203.0.113.9"})) == "203.0.113.9"
    assert client_address(RequestFactory().get("/", headers={"x-real-ip": "nonsense"})) == "127.0.0.1"
