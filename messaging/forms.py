from django import forms


class TestMessageForm(forms.Form):
    to = forms.CharField(max_length=254, help_text="A phone number in E.164 (+52...) or an email address.")
    language = forms.ChoiceField(choices=[("es", "Español"), ("en", "English")], initial="es")
