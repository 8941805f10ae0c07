"""Celery tasks of the ledger (autodiscovered through this package), one module per area."""

from .crypto import *  # noqa: F403
from .invoices import *  # noqa: F403
from .live import *  # noqa: F403
from .recurring import *  # noqa: F403
