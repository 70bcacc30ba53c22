from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core.apps import setup_after_migrate


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("Public site")

    def ready(self) -> None:
        from messaging.inbound import inbound_handler_set

        from .inbound import inbound_answer

        setup_after_migrate(self)
        self._forget_scan_page_on_change()
        self._forget_rendered_scan_pages_on_change()
        # The one answer to inbound messages (see messaging.inbound for why a registration, not a signal).
        inbound_handler_set(inbound_answer)

    @staticmethod
    def _forget_scan_page_on_change() -> None:
        """The cached scan page (home.routing) is dropped by any write that could change what a scan serves."""
        from django.db.models.signals import post_delete, post_save
        from wagtail.models import Page, PageViewRestriction, Site
        from wagtail.signals import page_published, page_unpublished, post_page_move

        from .models import HomePage, ScanPage
        from .routing import scan_page_forget

        for sender in (Page, HomePage, ScanPage, PageViewRestriction, Site):
            post_save.connect(scan_page_forget, sender=sender, dispatch_uid=f"home.scan_page_saved.{sender.__name__}")
            post_delete.connect(
                scan_page_forget, sender=sender, dispatch_uid=f"home.scan_page_deleted.{sender.__name__}"
            )
        for signal in (page_published, page_unpublished, post_page_move):
            signal.connect(scan_page_forget, dispatch_uid=f"home.scan_page_{id(signal)}")

    @staticmethod
    def _forget_rendered_scan_pages_on_change() -> None:
        """The rendered scan pages (home.scan_cache) are dropped by any write to a code or a subject, and by the
        registry services that write with update()."""
        from django.db.models.signals import post_delete, post_save

        from registry.models import QRCode, Subject
        from registry.signals import subject_public_changed

        from .scan_cache import on_code_saved, on_subject_public_changed, on_subject_saved

        for signal in (post_save, post_delete):
            signal.connect(on_code_saved, sender=QRCode, dispatch_uid=f"home.scan_html.code.{id(signal)}")
            signal.connect(on_subject_saved, sender=Subject, dispatch_uid=f"home.scan_html.subject.{id(signal)}")
        subject_public_changed.connect(on_subject_public_changed, dispatch_uid="home.scan_html.public")
