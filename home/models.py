"""The public site: a home page and the scan page that a badge's QR code opens."""

from __future__ import annotations

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page


class HomePage(Page):
    intro = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    subpage_types = ["home.ScanPage"]


class ScanPage(RoutablePageMixin, Page):
    """Serves /scan/<uuid>/: the form a finder fills in, and what they see after sending it."""

    intro = models.TextField(
        default="You found someone who needs help getting home. Tell their family what is happening."
    )
    instructions = models.TextField(
        default="Choose what is happening, say where you are, and send. The family is notified at once.",
    )
    emergency_number = models.CharField(max_length=20, default="911")

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("instructions"),
        FieldPanel("emergency_number"),
    ]
    max_count = 1
    parent_page_types = ["home.HomePage"]
    subpage_types: list[str] = []

    @path("")
    def index(self, request: HttpRequest) -> HttpResponse:
        raise Http404

    @path("<uuid:code>/")
    def scan(self, request: HttpRequest, code) -> HttpResponse:
        from .views import scan  # the view reaches into alerts; import at call time keeps model loading light

        return scan(request, page=self, code=code)

    @path("<uuid:code>/thanks/")
    def thanks(self, request: HttpRequest, code) -> HttpResponse:
        return TemplateResponse(request, "home/scan_thanks.html", {"page": self})

    def serve_preview(self, request, mode_name):  # editors preview the form with a placeholder subject
        return TemplateResponse(request, "home/scan_unavailable.html", {"page": self})
