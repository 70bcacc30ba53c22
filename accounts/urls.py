from django.urls import include, path

from . import views

app_name = "accounts"

# The three sign-up steps, in order.
signup_urls = [
    path("", views.signup, name="signup"),
    path("phone/", views.signup_phone, name="signup_phone"),
    path("done/", views.signup_done, name="signup_done"),
]
# The second factor: asked for, enrolled, and its backup codes.
mfa_urls = [
    path("verify/", views.mfa_verify, name="mfa_verify"),
    path("enrol/", views.mfa_enrol, name="mfa_enrol"),
    path("backup-codes/", views.mfa_backup_codes, name="mfa_backup_codes"),
]

urlpatterns = [
    path("signup/", include(signup_urls)),
    path("verify-email/<str:token>/", views.verify_email, name="verify_email"),
    path("mfa/", include(mfa_urls)),
]
