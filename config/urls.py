from django.contrib import admin
from django.urls import include, path

from config.staff_access import admin_login
from config.views import healthz

admin.site.site_header = "전산장애 보상 관리 · Outage compensation"
admin.site.site_title = "보상 관리"
admin.site.index_title = "업무 · Workspace"
# Staff sign in through allauth (throttled per address and account, second factor), never the admin's own form.
admin.site.login = admin_login

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("compensation.urls")),
    path("", include("incidents.urls")),
]
