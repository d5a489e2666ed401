"""Locust scenarios for `make loadtest` (run by loadtest/__main__.py; only 127.0.0.1).

The plan (accounts, incidents, policy) comes from the seed step through LOADTEST_PLAN (a JSON
file). LOADTEST_ACCOUNTS="start:end" gives this run's claimant accounts, so scenarios that file
claims never share an account (one claim per incident and damage type and user).
"""

import io
import itertools
import json
import os
import random
import re
import uuid
from http.cookiejar import Cookie

from locust import FastHttpUser, constant, task

PLAN = json.loads(open(os.environ["LOADTEST_PLAN"]).read())
_start, _end = (int(x) for x in os.environ.get("LOADTEST_ACCOUNTS", "0:50").split(":"))
ACCOUNTS = itertools.cycle(PLAN["accounts"][_start:_end])
READERS = itertools.cycle(PLAN["accounts"][: int(os.environ.get("LOADTEST_READERS", "50"))])
# The outage morning's claimants: each files once (LOADTEST_OUTAGE_SLICE="start:end" of the plan's).
_o_start, _o_end = (int(x) for x in os.environ.get("LOADTEST_OUTAGE_SLICE", "0:0").split(":"))
OUTAGE_ACCOUNTS = iter(PLAN.get("outage_accounts", [])[_o_start:_o_end])
# Share of outage-morning claims filed under the incident that just happened; the rest are late
# claims spread over the other open incidents.
OUTAGE_SHARE = float(os.environ.get("LOADTEST_OUTAGE_SHARE", "0.9"))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
CLAIM_LINK = re.compile(r'href="/claims/(\d+)/"')
CLAIM_URL = re.compile(r"/claims/(\d+)/$")


def _png(size=30 * 1024):
    """A real PNG of about 30 KB, as a phone screenshot would be (uploads are decoded and re-encoded)."""
    from PIL import Image

    noise = random.Random(17).randbytes(size)
    out = io.BytesIO()
    Image.frombytes("RGB", (100, size // 300), noise).save(out, format="PNG")
    return out.getvalue()


PNG = _png()
INTENDED_AT = os.environ.get("LOADTEST_INTENDED_AT", "")
# Every submit is written down before it is sent and again with its outcome, so the integrity
# check can match claims to submits exactly (also those cut off when the run stopped).
LEDGER = open(os.environ.get("LOADTEST_LEDGER", os.devnull), "a", buffering=1)


def multipart(fields, files):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def cookie(name, value):
    return Cookie(
        0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None, True, None, None, {}, False
    )


class Base(FastHttpUser):
    abstract = True
    wait_time = constant(0)
    insecure = True

    def resume_session(self, email):
        """Continue the session the seed step signed in (sign-in is measured by its own scenario)."""
        self.client.cookiejar.set_cookie(cookie("sessionid", PLAN["sessions"][email]))

    def sign_in(self, email, *, path="/accounts/login/", field="login"):
        page = self.client.get(path, name="sign-in form")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            path,
            data={field: email, "password": PLAN["password"], "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}{path}"},
            allow_redirects=False,
            name="sign in",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in refused ({response.status_code})")


class Healthz(Base):
    @task
    def healthz(self):
        self.client.get("/healthz", name="/healthz")


class NoticeReader(Base):
    weight = 7

    @task
    def notice(self):
        self.client.get(f"/incidents/{PLAN['notice_incident']}/", name="notice page")


class SignIn(Base):
    """The sign-in form and POST (the production password hasher), each time as a new visitor."""

    @task
    def sign_in_once(self):
        self.client.cookiejar.clear()
        self.sign_in(next(ACCOUNTS))


class Submitter(Base):
    """A signed-in claimant filing one claim (form GET + POST with one 30 KB PNG) per incident, under
    each of the 60 open incidents in turn: the shared form parts are rarely reused (a cold cache)."""

    weight = 1

    def on_start(self):
        self.resume_session(next(ACCOUNTS))
        self.incidents = iter(PLAN["incidents"])

    @task
    def file_claim(self):
        incident = next(self.incidents, None)
        if incident is None:
            self.stop()
            return
        self.file(incident)

    def file(self, incident):
        url = f"/claims/new/?incident={incident}&policy={PLAN['policy']}"
        page = self.client.get(url, name="claim form")
        token, key = CSRF.search(page.text), KEY.search(page.text)
        if not (token and key):
            return
        fields = {
            "csrfmiddlewaretoken": token.group(1),
            "idempotency_key": key.group(1),
            "amount_claimed_krw": "300000",
            "asset": "BTC",
            "side": "buy",
            "quantity": "0.01",
            "intended_price_krw": "100000000",
            "intended_at": INTENDED_AT,
            "description": "매수 주문이 체결되지 않았습니다",
            "payout_method": "bank",
            "payout_account": "국민은행 123-456-789",
        }
        body, content_type = multipart(fields, {f"doc_{PLAN['requirement']}": ("screenshot.png", PNG, "image/png")})
        LEDGER.write(f"sent {key.group(1)}\n")
        with self.client.post(
            url,
            data=body,
            headers={"Content-Type": content_type, "Referer": f"{self.host}{url}"},
            allow_redirects=False,
            name="claim submit",
            catch_response=True,
        ) as response:
            if response.status_code != 302 or not CLAIM_URL.search(response.headers.get("Location", "")):
                response.failure(f"not filed ({response.status_code})")
                LEDGER.write(f"failed {key.group(1)}\n")
            else:
                LEDGER.write(f"filed {key.group(1)}\n")


class OutageSubmitter(Submitter):
    """The outage morning: each claim by another claimant (signed in already), nine in ten under the
    incident that just happened, the rest under one of the other open incidents."""

    def on_start(self):
        self.others = [pk for pk in PLAN["incidents"] if pk != PLAN["notice_incident"]]

    @task
    def file_claim(self):
        email = next(OUTAGE_ACCOUNTS, None)
        if email is None:  # every claimant of this run has filed
            self.stop()
            return
        self.client.cookiejar.clear()
        self.resume_session(email)
        outage = random.random() < OUTAGE_SHARE or not self.others
        self.file(PLAN["notice_incident"] if outage else random.choice(self.others))


class PortalReader(Base):
    """A claimant checking on their claims: "my claims", then one claim's page."""

    weight = 2

    def on_start(self):
        self.resume_session(next(READERS))

    @task
    def my_claims(self):
        page = self.client.get("/claims/", name="my claims")
        ids = CLAIM_LINK.findall(page.text)
        if ids:
            self.client.get(f"/claims/{random.choice(ids)}/", name="claim page")


class Agent(Base):
    """Staff paging the claim queue at 100,000 claims and opening case pages."""

    def on_start(self):
        self.resume_session(PLAN["agent"])

    @task
    def queue_and_case(self):
        page = random.randint(0, 200)
        self.client.get(f"/admin/compensation/claim/?queue=all&p={page}", name="agent queue page")
        claim = random.choice(PLAN["queue_claim_ids"])
        self.client.get(f"/admin/compensation/claim/{claim}/change/", name="agent case page")
