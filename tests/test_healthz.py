from unittest import mock

import pytest
from django.db import OperationalError


@pytest.mark.django_db
def test_healthz_is_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_fails(client):
    with mock.patch("config.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "OperationalError"}


def test_healthz_needs_no_login_and_only_allows_get(client, db):
    assert client.post("/healthz").status_code == 405
