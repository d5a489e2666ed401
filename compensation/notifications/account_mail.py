"""Account mails (email verification, password reset) go through the notification outbox too.

allauth renders them from our templates (templates/account/email/: Korean, then English, a text
and an HTML part, each link alone on its line, like the claimant mails); we store the rendered
message as an outbox row in a transaction, so a broker or mail-server outage delays the link
instead of losing it, and staff see it in the admin.

The same adapter makes the email address the username and sends staff on to the workspace after
they sign in (one login form for everyone: the admin's own redirects here).
"""

import uuid
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.translation import get_language

from compensation.models import Notification
from compensation.notifications import keys, outbox
from config.client_address import client_address

MAX_ADDRESS = 254


def site_url():
    return settings.SITE_URL.rstrip("/")


def on_site(url):
    """A link allauth built from the request's host, moved to SITE_URL, where every mail's links point.

    The Host header is the client's to choose; SITE_URL is ours (a reset link must not lead elsewhere).
    """
    parts = urlsplit(url)
    if not parts.path.startswith("/"):
        return url
    return site_url() + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


def sync_site_row(sender, using="default", **kwargs):
    """After `migrate`: the Site row (allauth's fallback, the admin's "view site") says SITE_NAME and
    SITE_URL's host, not Django's "example.com"."""
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": urlsplit(site_url()).netloc[:100], "name": settings.SITE_NAME[:50]}
    )


def mail_context(email, context):
    """allauth's context, plus the address, the site's names and the links' lifetimes; links moved to SITE_URL."""
    names = {
        "site_name": settings.SITE_NAME,
        "site_name_en": settings.SITE_NAME_EN,
        "site_url": site_url(),
        # Security notices (password changed, authenticator removed …): where to take the account back.
        "reset_page_url": site_url() + reverse("account_reset_password"),
    }
    return {
        "email": email,
        **{
            name: on_site(value) if name.endswith("_url") and isinstance(value, str) else value
            for name, value in context.items()
        },
        **names,
        # allauth's own templates read `current_site`; the Site row would say "example.com".
        "current_site": SimpleNamespace(name=settings.SITE_NAME, domain=urlsplit(site_url()).netloc),
        "confirmation_days": allauth_settings.EMAIL_CONFIRMATION_EXPIRE_DAYS,
        "reset_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }


class OutboxAccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        """The address rate limits key on (config/client_address.py); allauth's own raised a 500 for
        an X-Forwarded-For with fewer entries than TRUSTED_PROXY_COUNT."""
        address = client_address(request)
        if address is None:
            raise PermissionDenied("Unable to determine client IP address")  # as allauth does: a 403
        return address

    def populate_username(self, request, user):
        """The username is the email address (shown in greetings and staff timelines), when it fits."""
        email = (user.email or "").strip().lower()
        model = type(user)
        if email and len(email) <= 150 and not model._default_manager.filter(username__iexact=email).exists():
            user.username = email
            return
        super().populate_username(request, user)

    def get_login_redirect_url(self, request):
        """Staff go on to the workspace, claimants to their claims; a `next` asked for still wins."""
        if request.user.is_staff:
            return reverse("admin:index")
        return super().get_login_redirect_url(request)

    def send_mail(self, template_prefix, email, context):
        if len(email or "") > MAX_ADDRESS:
            # No mail server delivers to it (RFC 5321) and the outbox column holds 254 characters;
            # the page answers as for any address, so nothing is revealed.
            return
        message = self.render_mail(template_prefix, email, mail_context(email, context))
        html = next((content for content, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
        user = context.get("user")
        with transaction.atomic():
            outbox.add_new(
                Notification(
                    key=keys.account_mail(template_prefix, uuid.uuid4().hex),
                    kind=Notification.Kind.ACCOUNT_MAIL,
                    recipient=user if getattr(user, "pk", None) else None,
                    to_email=email,
                    language=(get_language() or "ko")[:8],
                    subject=message.subject[:300],
                    body_text=message.body,
                    body_html=html,
                    context={"template": template_prefix},
                )
            )
