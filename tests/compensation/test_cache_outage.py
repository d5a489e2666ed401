"""Issue 15, defect 2: the claim form answered 500 when the cache's Redis was down.

The cache is an optimisation: with nothing listening at its address, form posts still file claims
(the policy cache and the calendar read the database), and the outage is logged once, not per request.
"""

import logging

import pytest

from compensation.models import Claim
from tests.compensation.portal import claim_form, client_for, new_claim_url
from tests.factories import UserFactory

DEAD_REDIS = "redis://127.0.0.1:1/5"  # nothing listens on port 1


def outage_lines(caplog):
    return [r for r in caplog.records if "shared cache unreachable" in r.getMessage()]


def configured_cache(url):
    from config.settings.base import redis_cache  # what settings build from REDIS_URL

    return redis_cache(url)


@pytest.mark.parametrize("backend", ["django-redis-backend", "configured-backend"])
def test_claims_are_filed_while_the_cache_is_down_and_the_outage_is_logged_once(world, settings, caplog, backend):
    # Django's own Redis backend: the policy cache and the calendar guard their calls themselves.
    # The configured one (REDIS_URL): every cache user (allauth too) degrades the same way.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS}
        if backend == "django-redis-backend"
        else configured_cache(DEAD_REDIS)
    }
    with caplog.at_level(logging.WARNING):
        for claimant in [world.claimant, UserFactory(), UserFactory()]:
            client = client_for(claimant)
            client.raise_request_exception = False
            assert client.get(new_claim_url(world.incident)).status_code == 200
            response = client.post(new_claim_url(world.incident, world.policy), claim_form(world.policy))
            assert response.status_code == 302, response.content[:500]
    assert Claim.objects.count() == 3
    assert len(outage_lines(caplog)) == 1


def test_allauth_login_works_while_the_cache_is_down(db, settings, caplog):
    settings.CACHES = {"default": configured_cache(DEAD_REDIS)}
    user = UserFactory(email="outage@example.com")
    user.set_password("a-long-pass-2025")
    user.save()
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client = client_for()
    client.raise_request_exception = False
    response = client.post("/accounts/login/", {"login": user.email, "password": "a-long-pass-2025"})
    assert response.status_code == 302
    assert len(outage_lines(caplog)) == 1
