"""Staff reach the admin the way claimants reach the portal: through the allauth login, then a second factor.

- `/admin/login/` redirects to the allauth login, which throttles failed attempts per address and
  per account (ACCOUNT_RATE_LIMITS); the admin's own login form, which had no limit, is never used.
- `StaffSecondFactorMiddleware`: with ADMIN_REQUIRE_MFA (always on in production), a staff member
  reaches admin pages only in a session signed in with a TOTP code; without a TOTP authenticator
  they are sent to set one up first (recovery codes come with it).
"""

from urllib.parse import urlencode

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _


def admin_login(request, extra_context=None):
    """Replaces AdminSite.login: the allauth login, back to the admin page asked for."""
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return redirect(f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: target})}")


def signed_in_with_totp(request):
    return any(
        record.get("method") == "mfa" and record.get("type") == Authenticator.Type.TOTP
        for record in get_authentication_records(request, request.user)
    )


class StaffSecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if getattr(settings, "ADMIN_REQUIRE_MFA", True) and request.path.startswith(reverse("admin:index")):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated and user.is_staff and not signed_in_with_totp(request):
                if request.path.startswith(reverse("admin:logout")):
                    return self.get_response(request)
                if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                    # Has TOTP but this session was not signed in with it (e.g. set up after signing in).
                    messages.info(request, _("Sign in again with your authenticator code to open the staff pages."))
                    target = f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})}"
                    logout(request)
                    return redirect(target)
                messages.info(
                    request,
                    _("Staff pages need a second factor: set up an authenticator app (TOTP) to continue."),
                )
                return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
