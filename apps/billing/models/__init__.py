"""Billing's data and invariants, one module per purpose; every model is re-exported here for Django."""

from apps.billing.models.gateways import *  # noqa: F403
from apps.billing.models.payments import *  # noqa: F403
from apps.billing.models.plans import *  # noqa: F403
