"""Account mails (email verification, password reset) go through the notification outbox too.

allauth renders them; we store the rendered message as an outbox row in a transaction, so a
broker or mail-server outage delays the link instead of losing it, and staff see it in the admin.
"""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import get_language

from compensation.models import Notification
from compensation.notifications import keys, outbox
from config.client_address import client_address

MAX_ADDRESS = 254


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

    def send_mail(self, template_prefix, email, context):
        if len(email or "") > MAX_ADDRESS:
            # No mail server delivers to it (RFC 5321) and the outbox column holds 254 characters;
            # the page answers as for any address, so nothing is revealed.
            return
        message = self.render_mail(template_prefix, email, context)
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
