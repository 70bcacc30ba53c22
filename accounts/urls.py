from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/phone/", views.signup_phone, name="signup_phone"),
    path("signup/done/", views.signup_done, name="signup_done"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path("mfa/verify/", views.mfa_verify, name="mfa_verify"),
    path("mfa/enrol/", views.mfa_enrol, name="mfa_enrol"),
    path("mfa/backup-codes/", views.mfa_backup_codes, name="mfa_backup_codes"),
]
