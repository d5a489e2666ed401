from django.urls import path

from incidents import (
    converters,  # noqa: F401 - registers the <id:…> converter
    views,
)

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("incidents/<id:pk>/", views.incident_detail, name="detail"),
    path("incidents/<id:pk>/history/", views.notice_history, name="notice_history"),
    path("incidents/<id:pk>/history/<id:number>/", views.notice_version, name="notice_version"),
]
