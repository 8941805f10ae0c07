"""The labels of analytics' audit actions (``apps.core.mechanisms.audit``): how the admin and the API name them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.mechanisms.audit import register_action_labels

LABELS = {
    "analytics.source.create": _("Traffic source created"),
    "analytics.import.create": _("Traffic file uploaded for import"),
    "analytics.import.done": _("Traffic file imported"),
    "analytics.postback_endpoint.create": _("Postback endpoint created"),
    "analytics.postback_endpoint.rotate": _("Postback token rotated"),
    "analytics.postback_endpoint.update": _("Postback endpoint switched on or off"),
    "analytics.schedule.create": _("Import schedule created"),
    "analytics.schedule.update": _("Import schedule changed"),
    "analytics.payout.create": _("Affiliate payout recorded"),
    "analytics.payout.approve": _("Affiliate payout approved"),
    "analytics.payout.pay": _("Affiliate payout received"),
    "analytics.payout.reverse": _("Affiliate payout reversed"),
    "analytics.payout.reject": _("Affiliate payout rejected"),
    "analytics.source.update": _("Traffic source changed"),
    "analytics.source.delete": _("Traffic source deleted"),
    "analytics.program.create": _("Affiliate program created"),
    "analytics.program.update": _("Affiliate program changed"),
    "analytics.program.delete": _("Affiliate program deleted"),
    "analytics.offer.create": _("Offer created"),
    "analytics.offer.update": _("Offer changed"),
    "analytics.offer.delete": _("Offer deleted"),
    "analytics.campaign.create": _("Campaign created"),
    "analytics.campaign.update": _("Campaign changed"),
    "analytics.campaign.delete": _("Campaign deleted"),
}


def register_analytics_action_labels() -> None:
    register_action_labels(LABELS)
