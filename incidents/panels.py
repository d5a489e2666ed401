"""Extension points: the public notice page, and links on the incident's admin page.

`incidents` knows nothing of `compensation`; an app that has something to show on a notice
(the policies behind 보상기준, a "file a claim" button) registers a provider here in its
AppConfig.ready(). A provider is `provider(*, incident, version, request, preview)` returning
`(slot, html)` pairs; the template has the slots `criteria` and `claim_action`.

The public page caches the rendered notice and shares it between all readers
(`incidents/public_cache.py`): providers get `request=None` there and must show nothing
specific to a user. A provider whose output depends on data of its own calls
`incidents.public_cache.changed()` when that data changes (e.g. from post_save).

An admin link provider is `provider(*, incident, user)` returning `(label, url)` pairs, shown
with the incident's own buttons (the compensation dashboard, its order log and prices).

Publishing: a publish check is `check(*, incident)` returning messages of what forbids
publishing (e.g. no active policy for the incident type); a publish listener is
`listener(*, incident, version, actor)`, called inside the publishing transaction once the
version row exists (compensation links the policy terms in force to it). An incident
closing check is `check(*, incident)` returning messages of what forbids closing it (claims
still open).
"""

from collections import defaultdict

from django.utils.safestring import mark_safe

_providers = []
_admin_link_providers = []
_publish_checks = []
_publish_listeners = []
_close_checks = []


def register(provider):
    if provider not in _providers:
        _providers.append(provider)
    return provider


def render_panels(*, incident, version, request, preview=False):
    slots = defaultdict(list)
    for provider in _providers:
        for slot, html in provider(incident=incident, version=version, request=request, preview=preview):
            slots[slot].append(html)
    return {slot: mark_safe("".join(parts)) for slot, parts in slots.items()}  # noqa: S308 - rendered templates


def register_admin_links(provider):
    if provider not in _admin_link_providers:
        _admin_link_providers.append(provider)
    return provider


def admin_links(*, incident, user):
    return [link for provider in _admin_link_providers for link in provider(incident=incident, user=user)]


def _add(registry, hook):
    if hook not in registry:
        registry.append(hook)
    return hook


def register_publish_check(check):
    return _add(_publish_checks, check)


def register_publish_listener(listener):
    return _add(_publish_listeners, listener)


def register_close_check(check):
    return _add(_close_checks, check)


def publish_problems(*, incident):
    return [message for check in _publish_checks for message in check(incident=incident)]


def version_published(*, incident, version, actor):
    for listener in _publish_listeners:
        listener(incident=incident, version=version, actor=actor)


def close_problems(*, incident):
    return [message for check in _close_checks for message in check(incident=incident)]


# --- Impact figures for regulator reports ------------------------------------------
# An impact provider is `provider(*, incident)` returning a dict of figures (affected users,
# orders, claims and their KRW…) that an incident report freezes into its snapshot;
# compensation registers one. Keys of later providers win.
_impact_providers = []


def register_impact(provider):
    return _add(_impact_providers, provider)


def impact_figures(*, incident):
    figures = {}
    for provider in _impact_providers:
        figures.update(provider(incident=incident))
    return figures
