"""The grammatical forms of a model's name, so that every sentence built from it reads right in Russian.

Django builds the admin's titles, buttons, counts and messages by pasting ``verbose_name`` (a nominative) into
a sentence: "Select %s to change" comes out as «Выберите операция для изменения», "27 план счетов", «Добавить
еще один Строка счёта». Russian needs the case the sentence asks for (accusative after "add" and "select",
genitive after "deletion of"), the plural form that agrees with a number (1 операция, 2 операции,
5 операций) and participles that agree with the noun's gender («добавлена», «добавлен»).

A model declares its forms next to its ``Meta``::

    class Transaction(TenantModel):
        class Meta:
            verbose_name = _("transaction")
            verbose_name_plural = _("transactions")

        noun_forms = NounForms(
            accusative=pgettext_lazy("accusative", "transaction"),
            genitive=pgettext_lazy("genitive", "transaction"),
            accusative_plural=pgettext_lazy("accusative plural", "transactions"),
            genitive_plural=pgettext_lazy("genitive plural", "transactions"),
            count=ngettext_lazy("%(count)s transaction", "%(count)s transactions", "count"),
            gender=pgettext_lazy("grammatical gender", "transaction"),
        )

and a model of another package (users' groups, periodic tasks…) is given forms with :func:`register`. Each form
is translated in the catalog like any other string (English leaves them as they are: in English every case is
the noun itself). ``gender`` is translated to one of :data:`GENDERS` ("masculine animate" is a masculine noun
naming a person: «ещё одного пользователя»); a language without genders leaves it untranslated.

The admin (``apps.core.admin_kit.base``) uses the forms through :class:`Noun`; a model without forms keeps Django's
own wording.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Model
from django.utils.functional import Promise
from django.utils.text import capfirst

MASCULINE = "masculine"
MASCULINE_ANIMATE = "masculine animate"
FEMININE = "feminine"
NEUTER = "neuter"
PLURAL = "plural"  # a noun used only in the plural
GENDERS = (MASCULINE, MASCULINE_ANIMATE, FEMININE, NEUTER, PLURAL)


@dataclass(frozen=True)
class NounForms:
    """The translatable forms of a model's name beyond Meta's nominative ``verbose_name``/``_plural``."""

    accusative: Promise | str
    genitive: Promise | str
    accusative_plural: Promise | str
    genitive_plural: Promise | str
    count: Promise  # ngettext_lazy("%(count)s …", "%(count)s …", "count")
    gender: Promise | str


_registry: dict[str, NounForms] = {}


def register(label: str, forms: NounForms) -> None:
    """Give forms to a model that Kontora does not define (``"auth.group"``)."""
    _registry[label.lower()] = forms


def forms_of(model: type[Model] | Model) -> NounForms | None:
    forms = getattr(model, "noun_forms", None)
    if isinstance(forms, NounForms):
        return forms
    return _registry.get(model._meta.label_lower)


class Noun:
    """A model's name in every form, in the active language. Build it where the language is active (per
    request), not at import time."""

    def __init__(self, model: type[Model] | Model, forms: NounForms):
        opts = model._meta
        self.nominative = str(opts.verbose_name)
        self.nominative_plural = str(opts.verbose_name_plural)
        self.accusative = str(forms.accusative)
        self.genitive = str(forms.genitive)
        self.accusative_plural = str(forms.accusative_plural)
        self.genitive_plural = str(forms.genitive_plural)
        self._count = forms.count
        gender = str(forms.gender)
        self.gender = gender if gender in GENDERS else MASCULINE

    @classmethod
    def of(cls, model: type[Model] | Model) -> Noun | None:
        """The noun of ``model``, or None when it declares no forms (then callers keep Django's wording)."""
        forms = forms_of(model)
        return cls(model, forms) if forms is not None else None

    @property
    def name(self) -> str:
        """The nominative with a capital, as a sentence starts with it."""
        return capfirst(self.nominative)

    def count(self, number: int) -> str:
        """``number`` with the name in the form that agrees with it: «1 операция», «27 операций»."""
        return self._count % {"count": number}

    def phrase(self, phrases: dict[str, Promise], **values) -> str:
        """One of ``phrases`` (keyed by gender) for this noun's gender, filled with its forms and ``values``."""
        template = phrases.get(self.gender) or phrases[MASCULINE]
        return str(template).format(**self.forms(), **values)

    def forms(self) -> dict[str, str]:
        return {
            "name": self.name,
            "nominative": self.nominative,
            "nominative_plural": self.nominative_plural,
            "accusative": self.accusative,
            "genitive": self.genitive,
            "accusative_plural": self.accusative_plural,
            "genitive_plural": self.genitive_plural,
        }
