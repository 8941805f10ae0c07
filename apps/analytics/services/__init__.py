"""Use cases that write traffic data. Each area has its module; import from here.

- imports: import jobs (a file kept with its hash, once per source) and the pipeline that stages rows with
  COPY and writes them with one set-based upsert;
- sources: traffic sources found or created by name; the reference data (sources, programs, offers,
  campaigns) saved and deleted by people, checked and audited;
- payouts: affiliate payouts approved, paid, rejected and reversed, posted to the books through the ledger.
"""

from .imports import import_job_create, import_job_run, import_rows
from .payouts import payout_approve, payout_create, payout_pay, payout_reject, payout_reverse
from .sources import reference_delete, reference_save, traffic_source_get_or_create

__all__ = [
    "import_job_create",
    "import_job_run",
    "import_rows",
    "payout_approve",
    "payout_create",
    "payout_pay",
    "payout_reject",
    "payout_reverse",
    "reference_delete",
    "reference_save",
    "traffic_source_get_or_create",
]
