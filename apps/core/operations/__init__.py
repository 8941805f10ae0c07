"""Operations: middleware, health and metrics, the supervisor, periodic tasks, maintenance, demo data."""
