from django.urls import path

from compensation import views
from incidents import converters  # noqa: F401 - registers the <id:…> converter

app_name = "compensation"

urlpatterns = [
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/new/", views.claim_new, name="claim_new"),
    path("claims/<id:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<id:pk>/supplement/", views.claim_supplement, name="claim_supplement"),
    path("claims/<id:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("claims/<id:pk>/accept/", views.claim_accept, name="claim_accept"),
    path("claims/<id:pk>/object/", views.claim_object, name="claim_object"),
    path("claims/account/", views.exchange_account, name="exchange_account"),
    path("claims/account/link/<str:token>/", views.account_link, name="account_link"),
    path("claims/confirm/<str:token>/", views.assisted_confirm, name="assisted_confirm"),
    path("claims/<id:pk>/documents/<id:doc_pk>/", views.document_download, name="document_download"),
    path("coverage/", views.coverage_public, name="coverage_public"),
]
