from django.contrib import admin
from django.urls import include, path

from config.views import healthz

admin.site.site_header = "전산장애 보상 관리 · Outage compensation"
admin.site.site_title = "보상 관리"
admin.site.index_title = "업무 · Workspace"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("compensation.urls")),
    path("", include("incidents.urls")),
]
