from django.urls import path

from compensation import views

app_name = "compensation"

urlpatterns = [
    path("claims/", views.claim_list, name="claim_list"),
    path("claims/new/", views.claim_new, name="claim_new"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/supplement/", views.claim_supplement, name="claim_supplement"),
    path("claims/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("claims/<int:pk>/accept/", views.claim_accept, name="claim_accept"),
    path("claims/<int:pk>/object/", views.claim_object, name="claim_object"),
    path("claims/account/", views.exchange_account, name="exchange_account"),
    path("claims/account/link/<str:token>/", views.account_link, name="account_link"),
    path("claims/<int:pk>/documents/<int:doc_pk>/", views.document_download, name="document_download"),
]
