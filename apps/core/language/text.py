"""Text helpers shared by the apps: short names (slugs) made from names in any script we serve."""

from __future__ import annotations

from django.db.models import Model
from django.utils.text import slugify

# Russian (and the Ukrainian and Belarusian letters Russian lacks) to Latin, as Russian speakers write their
# names in Latin letters (passports, domains): "ИП Петров" → "ip-petrov", "Щука" → "shchuka".
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
}  # fmt: skip


def transliterate(text: str) -> str:
    """``text`` with its Cyrillic letters written in Latin ones (capitals stay capitals)."""
    out = []
    for char in text:
        latin = _CYRILLIC.get(char.lower())
        if latin is None:
            out.append(char)
        else:
            out.append(latin.capitalize() if char.isupper() else latin)
    return "".join(out)


def slug_from(name: str, *, max_length: int = 64, fallback: str = "item") -> str:
    """A slug of ``name`` in Latin letters, digits and hyphens; ``fallback`` when nothing of it is left
    (a name of only punctuation or of a script we do not transliterate)."""
    slug = slugify(transliterate(name))[:max_length].strip("-")
    return slug or fallback


def unique_slug(model: type[Model], name: str, *, field: str = "slug", fallback: str = "item") -> str:
    """A slug of ``name`` not yet used in ``model.field``: ``ip-petrov``, else ``ip-petrov-2``, ``-3``…"""
    max_length = model._meta.get_field(field).max_length
    base = slug_from(name, max_length=max_length, fallback=fallback)
    taken = set(
        model._default_manager.filter(**{f"{field}__startswith": base[: max_length - 4]}).values_list(field, flat=True)
    )
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: max_length - len(suffix)].rstrip("-") + suffix
    return candidate


def organization_language(organization) -> str:
    """The language an organization keeps its books in (``Organization.language``; an id is looked up),
    the site's default when it has none."""
    from django.conf import settings

    from apps.core.models import Organization

    if not isinstance(organization, Organization):
        organization = Organization.objects.filter(pk=organization).only("language").first()
    return (organization.language if organization is not None else "") or settings.LANGUAGE_CODE


def in_language_of(organization):
    """A context in which translated text is written in ``organization``'s language: the names of the accounts
    a service creates for it (exchange, receivable, sales…) read in the organization's language whoever
    triggered them, a person with an English interface or a background task."""
    from django.utils import translation

    return translation.override(organization_language(organization))
