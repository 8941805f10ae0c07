"""Traffic analytics in the admin, one module per purpose: sources, programs, offers and campaigns (reference
data the files create and people rename), imports (the upload form, the jobs and the daily facts with their
lineage), payouts (approved, paid, reversed or rejected through the payout services), postback endpoints
(trackers' server-to-server postbacks, their token shown once) and import schedules (folders, S3 prefixes and
report APIs pulled by Celery beat)."""

from . import imports, payouts, postbacks, schedules, sources  # noqa: F401  (each registers its ModelAdmins)
