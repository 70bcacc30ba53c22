"""The channel catalogue: every fact about a channel comes from its adapter class, listed once here.

The `Channel` choices of messaging.models, the families a recipient's preference names, the key -> class
registry and which address a channel sends to are all derived from CATALOGUE. Adding a provider is one
adapter module and one line below (and, for a new key, a migration for the choices).
"""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from .base import AddressKind, Channel, ChannelError, ErrorAction, Family, OutboundMessage, SendResult
from .development import DevelopmentChannel
from .email import EmailChannel
from .meta_whatsapp import META_ERRORS, MetaWhatsAppChannel
from .twilio import TWILIO_ERRORS, TwilioSMSChannel, TwilioWhatsAppChannel

# In the order staff see them (and the order of the stored choices: keep it, or the migration state moves).
CATALOGUE: tuple[type[Channel], ...] = (
    DevelopmentChannel,
    MetaWhatsAppChannel,
    TwilioWhatsAppChannel,
    TwilioSMSChannel,
    EmailChannel,
)
_BY_KEY: dict[str, type[Channel]] = {cls.key: cls for cls in CATALOGUE}

# key -> the class that sends. Tests may register a stand-in under a key; what a key *is* (family,
# address kind, label) still comes from CATALOGUE.
REGISTRY: dict[str, type[Channel]] = dict(_BY_KEY)

# A recipient's preference names a family; each family groups the channels that reach it, in catalogue order.
CHANNEL_FAMILIES: dict[str, tuple[str, ...]] = {}
for _cls in CATALOGUE:
    CHANNEL_FAMILIES[_cls.family] = (*CHANNEL_FAMILIES.get(_cls.family, ()), _cls.key)


def channel_spec(key: str) -> type[Channel]:
    """The class that describes `key`: the catalogue's, else a registered stand-in's, else the base class."""
    return _BY_KEY.get(key) or REGISTRY.get(key) or Channel


def channel_family(key: str) -> str:
    return channel_spec(key).family


def channel_reports_delivery(key: str) -> bool:
    """Whether `key`'s provider sends receipts; when it does not, an accepted message is as delivered as it gets."""
    return channel_spec(key).reports_delivery


def channel_address(key: str, *, phone: str, email: str) -> str:
    """The address this channel would send to, from a recipient's phone and email ("" when it has none)."""
    kind = channel_spec(key).address_kind
    if kind == AddressKind.PHONE:
        return phone
    if kind == AddressKind.EMAIL:
        return email
    return phone or email


# Provider codes of failures that say nothing about the recipient's address (services.messages records Meta's
# template block under "template_not_approved", services.limits the WhatsApp tier under "conversation_limit").
NOT_THE_ADDRESS: frozenset[str] = frozenset(
    {
        "template_not_approved",
        "outside_window",
        "conversation_limit",
        *map(str, META_ERRORS.not_the_address),
        *map(str, TWILIO_ERRORS.not_the_address),
    }
)


# Why a recipient was moved to their next channel, for the alarm's timeline: by the code messaging recorded on
# the message (provider codes, and messaging's own refusals). Fixed texts: providers' own messages may quote the
# address.
FAILOVER_REASONS: dict[str, StrOrPromise] = {
    "131047": _("outside WhatsApp's 24-hour window (Meta 131047)"),
    "63016": _("outside WhatsApp's 24-hour window (Twilio 63016)"),
    "130429": _("Meta's throughput limit, still after a retry (130429)"),
    "131056": _("too many messages to this number (Meta 131056)"),
    "132015": _("the WhatsApp template is paused (Meta 132015)"),
    "132016": _("the WhatsApp template is disabled (Meta 132016)"),
    "132001": _("the WhatsApp template is not approved (Meta 132001)"),
    "63027": _("the WhatsApp template is not approved (Twilio 63027)"),
    "template_not_approved": _("the WhatsApp template is not approved, paused or recategorised"),
    "outside_window": _("outside WhatsApp's 24-hour window and no approved template"),
}


def failover_reason(code: str) -> str:
    """A short, address-free reason for the timeline; the bare code when there is no text for it."""
    if code in FAILOVER_REASONS:
        return str(FAILOVER_REASONS[code])
    return gettext("code %(code)s") % {"code": code} if code else ""


def failure_blames_address(*, code: str, action: str) -> bool:
    """Whether a failed send or a failed receipt says the address cannot be reached (what a reachability drill
    flags: an invalid or unknown number, a refused mailbox, a handset that never took it), rather than that our
    configuration, our template, WhatsApp's 24-hour window or a limit of ours stood in the way."""
    return action != ErrorAction.STOP and code not in NOT_THE_ADDRESS


def get_channel(key: str) -> Channel:
    try:
        return REGISTRY[key]()
    except KeyError:
        raise ChannelError(f"unknown channel {key!r}", permanent=True) from None


__all__ = [
    "CATALOGUE",
    "CHANNEL_FAMILIES",
    "REGISTRY",
    "AddressKind",
    "Channel",
    "ChannelError",
    "ErrorAction",
    "Family",
    "OutboundMessage",
    "SendResult",
    "channel_address",
    "channel_family",
    "channel_reports_delivery",
    "channel_spec",
    "failover_reason",
    "failure_blames_address",
    "get_channel",
]
