from functools import partial

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from incidents import public_cache
from incidents.models import PUBLIC_STATES, Incident
from incidents.panels import render_panels
from incidents.selectors import current_notice_version, public_incident_list


def incident_list(request):
    page = Paginator(public_incident_list(), 20).get_page(request.GET.get("page"))
    return render(request, "incidents/incident_list.html", {"page": page})


def _public_incident(pk):
    return get_object_or_404(Incident, pk=pk, state__in=PUBLIC_STATES)


def incident_detail(request, pk):
    return _notice_page(request, pk, None)


def notice_history(request, pk):
    incident = _public_incident(pk)
    versions = incident.notice_versions.order_by("-number")
    return render(request, "incidents/notice_history.html", {"incident": incident, "versions": versions})


def notice_version(request, pk, number):
    return _notice_page(request, pk, number)


def _notice_page(request, pk, number):
    """The notice's article comes from the shared cache; only the page around it is per user."""
    article = public_cache.notice(pk=pk, number=number, build=partial(_render_notice, pk, number))
    return render(
        request,
        "incidents/incident_detail.html",
        {"title": article["title"], "notice_html": mark_safe(article["html"])},  # noqa: S308 - our template
    )


def _render_notice(pk, number):
    incident = _public_incident(pk)
    current = current_notice_version(incident)
    if number is None:
        version = current
        if version is None:
            raise Http404
    else:
        version = get_object_or_404(incident.notice_versions, number=number)
    # No request: the article is shared by every reader, so nothing of one user may get into it.
    context = {
        "incident": incident,
        "version": version,
        "is_current": current is not None and version.pk == current.pk,
        "panels": render_panels(incident=incident, version=version, request=None),
    }
    return {
        "title": version.title or incident.title,
        "html": render_to_string("incidents/includes/notice_article.html", context),
        "closes_at": incident.intake_closes_at if incident.intake_is_open() else None,
    }
