from django import forms
from django.utils.translation import gettext_lazy as _


class TestMessageForm(forms.Form):
    to = forms.CharField(
        max_length=254,
        help_text=_("A phone number in E.164 (+52...) or an email address."),
        label=_("To"),
    )
    language = forms.ChoiceField(choices=[("es", "Español"), ("en", "English")], initial="es", label=_("Language"))
