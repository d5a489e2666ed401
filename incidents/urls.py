from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("incidents/<int:pk>/", views.incident_detail, name="detail"),
    path("incidents/<int:pk>/history/", views.notice_history, name="notice_history"),
    path("incidents/<int:pk>/history/<int:number>/", views.notice_version, name="notice_version"),
]
