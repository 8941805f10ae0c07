"""Grammatical forms (``apps.core.language.nouns``) of the models of other packages that the admin shows: users' groups,
e-mail addresses, authenticators, periodic tasks and their schedules, sign-in attempts.

allauth's authenticator has no translatable ``verbose_name`` (Django derives "authenticator" from the class
name), so its lists keep that English word; the titles and buttons built from the forms below read in Russian.
"""

from __future__ import annotations

from django.utils.translation import ngettext_lazy, pgettext_lazy

from apps.core.language.nouns import NounForms, register


def register_third_party_nouns() -> None:
    register(
        "auth.group",
        NounForms(
            accusative=pgettext_lazy("accusative", "group"),
            genitive=pgettext_lazy("genitive", "group"),
            accusative_plural=pgettext_lazy("accusative plural", "groups"),
            genitive_plural=pgettext_lazy("genitive plural", "groups"),
            count=ngettext_lazy("%(count)s group", "%(count)s groups", "count"),
            gender=pgettext_lazy("grammatical gender", "group"),
        ),
    )
    register(
        "account.emailaddress",
        NounForms(
            accusative=pgettext_lazy("accusative", "email address"),
            genitive=pgettext_lazy("genitive", "email address"),
            accusative_plural=pgettext_lazy("accusative plural", "email addresses"),
            genitive_plural=pgettext_lazy("genitive plural", "email addresses"),
            count=ngettext_lazy("%(count)s email address", "%(count)s email addresses", "count"),
            gender=pgettext_lazy("grammatical gender", "email address"),
        ),
    )
    register(
        "mfa.authenticator",
        NounForms(
            accusative=pgettext_lazy("accusative", "authenticator"),
            genitive=pgettext_lazy("genitive", "authenticator"),
            accusative_plural=pgettext_lazy("accusative plural", "authenticators"),
            genitive_plural=pgettext_lazy("genitive plural", "authenticators"),
            count=ngettext_lazy("%(count)s authenticator", "%(count)s authenticators", "count"),
            gender=pgettext_lazy("grammatical gender", "authenticator"),
        ),
    )
    register(
        "django_celery_beat.periodictask",
        NounForms(
            accusative=pgettext_lazy("accusative", "periodic task"),
            genitive=pgettext_lazy("genitive", "periodic task"),
            accusative_plural=pgettext_lazy("accusative plural", "periodic tasks"),
            genitive_plural=pgettext_lazy("genitive plural", "periodic tasks"),
            count=ngettext_lazy("%(count)s periodic task", "%(count)s periodic tasks", "count"),
            gender=pgettext_lazy("grammatical gender", "periodic task"),
        ),
    )
    register(
        "django_celery_beat.intervalschedule",
        NounForms(
            accusative=pgettext_lazy("accusative", "interval"),
            genitive=pgettext_lazy("genitive", "interval"),
            accusative_plural=pgettext_lazy("accusative plural", "intervals"),
            genitive_plural=pgettext_lazy("genitive plural", "intervals"),
            count=ngettext_lazy("%(count)s interval", "%(count)s intervals", "count"),
            gender=pgettext_lazy("grammatical gender", "interval"),
        ),
    )
    register(
        "django_celery_beat.solarschedule",
        NounForms(
            accusative=pgettext_lazy("accusative", "solar event"),
            genitive=pgettext_lazy("genitive", "solar event"),
            accusative_plural=pgettext_lazy("accusative plural", "solar events"),
            genitive_plural=pgettext_lazy("genitive plural", "solar events"),
            count=ngettext_lazy("%(count)s solar event", "%(count)s solar events", "count"),
            gender=pgettext_lazy("grammatical gender", "solar event"),
        ),
    )
    register(
        "axes.accessattempt",
        NounForms(
            accusative=pgettext_lazy("accusative", "access attempt"),
            genitive=pgettext_lazy("genitive", "access attempt"),
            accusative_plural=pgettext_lazy("accusative plural", "access attempts"),
            genitive_plural=pgettext_lazy("genitive plural", "access attempts"),
            count=ngettext_lazy("%(count)s access attempt", "%(count)s access attempts", "count"),
            gender=pgettext_lazy("grammatical gender", "access attempt"),
        ),
    )
    register(
        "axes.accesslog",
        NounForms(
            accusative=pgettext_lazy("accusative", "access log"),
            genitive=pgettext_lazy("genitive", "access log"),
            accusative_plural=pgettext_lazy("accusative plural", "access logs"),
            genitive_plural=pgettext_lazy("genitive plural", "access logs"),
            count=ngettext_lazy("%(count)s access log", "%(count)s access logs", "count"),
            gender=pgettext_lazy("grammatical gender", "access log"),
        ),
    )
    register(
        "axes.accessfailurelog",
        NounForms(
            accusative=pgettext_lazy("accusative", "access failure"),
            genitive=pgettext_lazy("genitive", "access failure"),
            accusative_plural=pgettext_lazy("accusative plural", "access failures"),
            genitive_plural=pgettext_lazy("genitive plural", "access failures"),
            count=ngettext_lazy("%(count)s access failure", "%(count)s access failures", "count"),
            gender=pgettext_lazy("grammatical gender", "access failure"),
        ),
    )
