"""What every app's admin is built on: the Kontora admin site, the base ModelAdmin (scoping and role checks),
sentences built from the grammatical forms of model names, and the home page's dashboards.

Kept apart from ``apps.core.admin`` (which registers core's own models) so that loading the site does not register
anything while the site is being created."""
