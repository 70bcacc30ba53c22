"""The public site: a home page and the scan page that a badge's QR code opens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from core.headers import harden_scan_response


class HomePage(Page):
    intro = RichTextField(blank=True, verbose_name=_("intro"))

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    subpage_types = ["home.ScanPage"]


class ScanPage(RoutablePageMixin, Page):
    """Serves /scan/<uuid>/: the form a finder fills in, and what they see after sending it."""

    intro = models.TextField(
        default="You found someone who needs help getting home. Tell their family what is happening.",
        verbose_name=_("intro"),
    )
    instructions = models.TextField(
        default="Choose what is happening, say where you are, and send. The family is notified at once.",
        verbose_name=_("instructions"),
    )
    intro_es = models.TextField(
        _("intro (Spanish)"),
        default="Encontraste a alguien que necesita ayuda para volver a casa. Cuéntale a su familia qué pasa.",
    )
    instructions_es = models.TextField(
        _("instructions (Spanish)"),
        default="Elige qué está pasando, di dónde estás y envía. La familia recibe el aviso de inmediato.",
    )
    emergency_number = models.CharField(max_length=20, default="911", verbose_name=_("emergency number"))

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("instructions"),
        FieldPanel("intro_es"),
        FieldPanel("instructions_es"),
        FieldPanel("emergency_number"),
    ]
    max_count = 1
    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []

    def serve(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """Every scan route: the finder's language (?lang= switch, else Accept-Language) and hardened headers."""
        lang = request.GET.get("lang", "")
        if lang in dict(settings.LANGUAGES):
            translation.activate(lang)
            request.LANGUAGE_CODE = lang
        response = super().serve(request, *args, **kwargs)
        if lang in dict(settings.LANGUAGES):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                lang,
                max_age=365 * 24 * 3600,
                samesite="Lax",
                secure=settings.LANGUAGE_COOKIE_SECURE,
            )
        return harden_scan_response(response)

    # Set by home.routing.scan_page_live from the shared cache: Wagtail's view-restriction check (a serve hook)
    # then reads no rows. None: ask the database as Wagtail does.
    cached_view_restrictions: list | None = None

    def get_view_restrictions(self):
        if self.cached_view_restrictions is not None:
            return self.cached_view_restrictions
        return super().get_view_restrictions()

    def texts(self) -> dict[str, str]:
        """The editor-kept texts in the active language."""
        if translation.get_language() == "es":
            return {"intro": self.intro_es, "instructions": self.instructions_es}
        return {"intro": self.intro, "instructions": self.instructions}

    @path("")
    def index(self, request: HttpRequest) -> HttpResponse:
        raise Http404

    @path("<uuid:code>/")
    def scan(self, request: HttpRequest, code) -> HttpResponse:
        from .views import scan  # the view reaches into alerts; import at call time keeps model loading light

        return scan(request, page=self, code=code)

    @path("<uuid:code>/sent/<str:token>/")
    def sent(self, request: HttpRequest, code, token: str) -> HttpResponse:
        from .views import sent

        return sent(request, page=self, code=code, token=token)

    @path("<uuid:code>/sent/<str:token>/relay/")
    def sent_relay(self, request: HttpRequest, code, token: str) -> HttpResponse:
        from .views import sent_relay

        return sent_relay(request, page=self, code=code, token=token)

    @path("<uuid:code>/sent/<str:token>/status/")
    def sent_status(self, request: HttpRequest, code, token: str) -> HttpResponse:
        from .views import sent_status

        return sent_status(request, page=self, code=code, token=token)

    def serve_preview(self, request, mode_name):  # editors preview the form with a placeholder subject
        return TemplateResponse(request, "home/scan_unavailable.html", {"page": self})
