"""Mechanisms every app shares: idempotency, audit, database code, exports, tasks on commit
(and, as they are built: the webhook inbox, domain events, notifications, secrets at rest)."""
