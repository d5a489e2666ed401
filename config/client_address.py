"""The client's address behind our proxies, for per-address rate limits (allauth asks the adapter).

TRUSTED_PROXY_COUNT proxies of ours each append the address they saw to X-Forwarded-For; the
client is the entry that many places from the end, and anything before it may be forged. A request
that reached only some of our proxies (a health checker or an internal caller hitting the balancer
behind the CDN) carries fewer entries: each was written by a proxy of ours, so the leftmost is the
client. An entry that is not an address (a mangled header) falls back to the connection's address
(REMOTE_ADDR): that request shares its proxy's limit, it is never a 500.
"""

import ipaddress

from django.conf import settings


def _address(value):
    """The IP address in `value` (with or without a port), normalised, or None."""
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.5:443
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_address(request):
    remote = _address(request.META.get("REMOTE_ADDR"))
    header = getattr(settings, "ALLAUTH_TRUSTED_CLIENT_IP_HEADER", None)
    if header:
        return _address(request.headers.get(header)) or remote
    count = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0)
    forwarded = request.headers.get("x-forwarded-for", "")
    if count > 0 and forwarded.strip():
        entries = forwarded.split(",")
        entry = entries[-count] if len(entries) >= count else entries[0]
        return _address(entry) or remote
    return remote
