from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from incidents.models import PUBLIC_STATES, Incident
from incidents.panels import render_panels
from incidents.selectors import current_notice_version, public_incident_list


def incident_list(request):
    page = Paginator(public_incident_list(), 20).get_page(request.GET.get("page"))
    return render(request, "incidents/incident_list.html", {"page": page})


def _public_incident(pk):
    return get_object_or_404(Incident, pk=pk, state__in=PUBLIC_STATES)


def incident_detail(request, pk):
    incident = _public_incident(pk)
    version = current_notice_version(incident)
    if version is None:
        raise Http404
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "version": version,
            "is_current": True,
            "panels": render_panels(incident=incident, version=version, request=request),
        },
    )


def notice_history(request, pk):
    incident = _public_incident(pk)
    versions = incident.notice_versions.order_by("-number")
    return render(request, "incidents/notice_history.html", {"incident": incident, "versions": versions})


def notice_version(request, pk, number):
    incident = _public_incident(pk)
    version = get_object_or_404(incident.notice_versions, number=number)
    current = current_notice_version(incident)
    return render(
        request,
        "incidents/incident_detail.html",
        {
            "incident": incident,
            "version": version,
            "is_current": current is not None and version.pk == current.pk,
            "panels": render_panels(incident=incident, version=version, request=request),
        },
    )
