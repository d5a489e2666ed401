"""The restore drill of README "Deployment", on this machine: back up PostgreSQL (pg_dump) and the
object store, lose both (DROP DATABASE, every object deleted), restore (pg_restore, objects copied
back), and the app serves the same claims and documents as before.

"Production" here is a database of its own (a copy of the test database, which pytest keeps),
a bucket on moto's S3 server and a gunicorn with the repo's config.
"""

import os
import subprocess

import psycopg
import pytest
import redis
import requests

from compensation.models import Claim, ClaimDocument
from tests.compensation.factories import PNG_BYTES, PolicyFactory, RequiredDocumentFactory, open_incident

from .notification_support import require_services
from .stack import Gunicorn, S3Server, web_env
from .test_two_machines import SHARED_REDIS, claimant, file_claim, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BUCKET, BACKUP_BUCKET = "claims-drill", "claims-drill-backup"


def server_url(db):
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


def admin(server, sql):
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def run(*args):
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def copy_bucket(s3, source, target):
    """What `aws s3 sync s3://source s3://target` does for a bucket whose objects never change."""
    client = s3.client()
    for key in s3.keys(source):
        client.copy_object(Bucket=target, Key=key, CopySource={"Bucket": source, "Key": key})


def test_backup_lose_everything_restore_and_the_same_claims_and_documents_are_served(tmp_path):
    from django.db import connection

    require_services()
    db = connection.settings_dict
    server = server_url(db)
    production = f"oc_drill_{os.getpid()}"
    production_url = f"{server}/{production}"
    dump = tmp_path / "compensation.dump"
    started = []
    try:
        # The accounts, incident and policy, made here, become "production" by a first dump/restore.
        policy = PolicyFactory()
        requirement = RequiredDocumentFactory(policy=policy)
        incident = open_incident()
        user = claimant("drill@example.com")
        run("pg_dump", "-Fc", "-f", str(tmp_path / "seed.dump"), f"{server}/{db['NAME']}")
        admin(server, f'DROP DATABASE IF EXISTS "{production}" WITH (FORCE)')
        admin(server, f'CREATE DATABASE "{production}"')
        run("pg_restore", "--no-owner", "-d", production_url, str(tmp_path / "seed.dump"))

        s3 = S3Server(tmp_path / "moto.log")
        started.append(s3)
        s3.create_bucket(BUCKET)
        s3.create_bucket(BACKUP_BUCKET)
        media = tmp_path / "var" / "private"
        media.mkdir(parents=True)
        env = web_env(
            database_url=production_url, redis_url=SHARED_REDIS, bucket=BUCKET, s3_url=s3.url, media_root=media
        )
        redis.Redis.from_url(SHARED_REDIS).flushdb()
        web = Gunicorn(env=env, log_path=tmp_path / "web.log", workers=1)
        started.append(web)
        session = sign_in(web.url, user.email)
        response = file_claim(session, web.url, incident, policy, requirement)
        assert response.status_code == 302, response.text[:2000]
        claim_path = response.headers["Location"]
        before = session.get(f"{web.url}{claim_path}", timeout=20).text

        # Back up: the database first, then the objects (documents are only ever added, so every
        # document the dump names is in the copy).
        run("pg_dump", "-Fc", "-f", str(dump), production_url)
        copy_bucket(s3, BUCKET, BACKUP_BUCKET)

        # Lose everything.
        web.stop()
        started.remove(web)
        admin(server, f'DROP DATABASE "{production}" WITH (FORCE)')
        client = s3.client()
        for key in s3.keys(BUCKET):
            client.delete_object(Bucket=BUCKET, Key=key)
        assert s3.keys(BUCKET) == []
        redis.Redis.from_url(SHARED_REDIS).flushdb()

        # Restore, start the app again.
        admin(server, f'CREATE DATABASE "{production}"')
        run("pg_restore", "--no-owner", "--exit-on-error", "-d", production_url, str(dump))
        copy_bucket(s3, BACKUP_BUCKET, BUCKET)
        web = Gunicorn(env=env, log_path=tmp_path / "web-restored.log", workers=1)
        started.append(web)

        with psycopg.connect(production_url) as conn:
            claim_id, number = conn.execute(f"SELECT id, number FROM {Claim._meta.db_table}").fetchone()
            document_id, name = conn.execute(f"SELECT id, file FROM {ClaimDocument._meta.db_table}").fetchone()
        assert claim_path == f"/claims/{claim_id}/"
        assert s3.keys(BUCKET) == [f"documents/{name}"]
        restored = requests.Session()
        restored.cookies.update(session.cookies)  # the session row came back with the dump
        page = restored.get(f"{web.url}{claim_path}", timeout=20)
        assert page.status_code == 200 and number in page.text
        document_link = f"/claims/{claim_id}/documents/{document_id}/"
        assert document_link in before and document_link in page.text
        download = restored.get(f"{web.url}{document_link}", timeout=20)
        assert download.status_code == 200 and download.content == PNG_BYTES
    finally:
        for process in reversed(started):
            process.stop()
        admin(server, f'DROP DATABASE IF EXISTS "{production}" WITH (FORCE)')
        redis.Redis.from_url(SHARED_REDIS).flushdb()
