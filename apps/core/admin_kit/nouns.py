"""The admin's titles, buttons, counts and messages built from the grammatical forms of a model's name
(``apps.core.language.nouns``): «Выберите операцию для изменения», «Добавить операцию», «27 счетов», «Добавить ещё одну
строку счёта», «Операция «…» добавлена.», «Удалить выбранные операции».

:class:`NounAdminMixin` is part of ``KontoraModelAdmin``, and the site mixes it into every other ModelAdmin it
registers (groups, periodic tasks…), so each model with forms reads right wherever the admin names it. A model
without forms keeps Django's wording. The templates under ``templates/admin/`` use ``noun`` (change form,
delete pages) and ``cl.noun`` (change list) when it is there.

Placeholders in the phrases are named after the case the phrase needs in Russian; in English every case is
the noun itself, so the English phrases read as Django's own.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.views.main import ChangeList
from django.template.response import TemplateResponse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.core.language.nouns import FEMININE, MASCULINE, MASCULINE_ANIMATE, NEUTER, PLURAL, Noun

SELECT_TO_CHANGE = _("Select {accusative} to change")
SELECT_TO_VIEW = _("Select {accusative} to view")
SELECT = _("Select {accusative}")
ADD = _("Add {accusative}")
CHANGE = _("Change {accusative}")
VIEW = _("View {genitive}")
DELETE = _("Delete {accusative}")
CANNOT_DELETE = _("Cannot delete {accusative}")
DELETE_SELECTED = _("Delete selected {accusative_plural}")
DELETE_SELECTED_TITLE = _("Delete selected {genitive_plural}")
CANNOT_DELETE_SELECTED = _("Cannot delete selected {accusative_plural}")
DELETED_COUNT = _("Successfully deleted {count}.")
# The heading of a list filter. Django's "By %(filter_title)s" pastes the title (a nominative) after a
# preposition: Russian would need the dative of every field's name («По счёту», «По валюте»). The heading is
# the title alone instead ({Title}: capitalized), which reads right for every field of every model.
FILTER_HEADING = pgettext_lazy("list filter heading", "By {title}")

ADD_ANOTHER = {
    MASCULINE: pgettext_lazy("masculine", "Add another {accusative}"),
    MASCULINE_ANIMATE: pgettext_lazy("masculine animate", "Add another {accusative}"),
    FEMININE: pgettext_lazy("feminine", "Add another {accusative}"),
    NEUTER: pgettext_lazy("neuter", "Add another {accusative}"),
    PLURAL: pgettext_lazy("plural", "Add another {accusative}"),
}
ADDED = {
    MASCULINE: pgettext_lazy("masculine", "The {nominative} “{obj}” was added successfully."),
    MASCULINE_ANIMATE: pgettext_lazy("masculine animate", "The {nominative} “{obj}” was added successfully."),
    FEMININE: pgettext_lazy("feminine", "The {nominative} “{obj}” was added successfully."),
    NEUTER: pgettext_lazy("neuter", "The {nominative} “{obj}” was added successfully."),
    PLURAL: pgettext_lazy("plural", "The {nominative} “{obj}” was added successfully."),
}
ADDED_EDIT = {
    MASCULINE: pgettext_lazy(
        "masculine", "The {nominative} “{obj}” was added successfully. You may edit it again below."
    ),
    MASCULINE_ANIMATE: pgettext_lazy(
        "masculine animate", "The {nominative} “{obj}” was added successfully. You may edit it again below."
    ),
    FEMININE: pgettext_lazy(
        "feminine", "The {nominative} “{obj}” was added successfully. You may edit it again below."
    ),
    NEUTER: pgettext_lazy("neuter", "The {nominative} “{obj}” was added successfully. You may edit it again below."),
    PLURAL: pgettext_lazy("plural", "The {nominative} “{obj}” was added successfully. You may edit it again below."),
}
ADDED_ANOTHER = {
    MASCULINE: pgettext_lazy(
        "masculine", "The {nominative} “{obj}” was added successfully. You may add another {accusative} below."
    ),
    MASCULINE_ANIMATE: pgettext_lazy(
        "masculine animate",
        "The {nominative} “{obj}” was added successfully. You may add another {accusative} below.",
    ),
    FEMININE: pgettext_lazy(
        "feminine", "The {nominative} “{obj}” was added successfully. You may add another {accusative} below."
    ),
    NEUTER: pgettext_lazy(
        "neuter", "The {nominative} “{obj}” was added successfully. You may add another {accusative} below."
    ),
    PLURAL: pgettext_lazy(
        "plural", "The {nominative} “{obj}” was added successfully. You may add another {accusative} below."
    ),
}
CHANGED = {
    MASCULINE: pgettext_lazy("masculine", "The {nominative} “{obj}” was changed successfully."),
    MASCULINE_ANIMATE: pgettext_lazy("masculine animate", "The {nominative} “{obj}” was changed successfully."),
    FEMININE: pgettext_lazy("feminine", "The {nominative} “{obj}” was changed successfully."),
    NEUTER: pgettext_lazy("neuter", "The {nominative} “{obj}” was changed successfully."),
    PLURAL: pgettext_lazy("plural", "The {nominative} “{obj}” was changed successfully."),
}
CHANGED_EDIT = {
    MASCULINE: pgettext_lazy(
        "masculine", "The {nominative} “{obj}” was changed successfully. You may edit it again below."
    ),
    MASCULINE_ANIMATE: pgettext_lazy(
        "masculine animate", "The {nominative} “{obj}” was changed successfully. You may edit it again below."
    ),
    FEMININE: pgettext_lazy(
        "feminine", "The {nominative} “{obj}” was changed successfully. You may edit it again below."
    ),
    NEUTER: pgettext_lazy("neuter", "The {nominative} “{obj}” was changed successfully. You may edit it again below."),
    PLURAL: pgettext_lazy("plural", "The {nominative} “{obj}” was changed successfully. You may edit it again below."),
}
CHANGED_ANOTHER = {
    MASCULINE: pgettext_lazy(
        "masculine", "The {nominative} “{obj}” was changed successfully. You may add another {accusative} below."
    ),
    MASCULINE_ANIMATE: pgettext_lazy(
        "masculine animate",
        "The {nominative} “{obj}” was changed successfully. You may add another {accusative} below.",
    ),
    FEMININE: pgettext_lazy(
        "feminine", "The {nominative} “{obj}” was changed successfully. You may add another {accusative} below."
    ),
    NEUTER: pgettext_lazy(
        "neuter", "The {nominative} “{obj}” was changed successfully. You may add another {accusative} below."
    ),
    PLURAL: pgettext_lazy(
        "plural", "The {nominative} “{obj}” was changed successfully. You may add another {accusative} below."
    ),
}
DELETED = {
    MASCULINE: pgettext_lazy("masculine", "The {nominative} “{obj}” was deleted successfully."),
    MASCULINE_ANIMATE: pgettext_lazy("masculine animate", "The {nominative} “{obj}” was deleted successfully."),
    FEMININE: pgettext_lazy("feminine", "The {nominative} “{obj}” was deleted successfully."),
    NEUTER: pgettext_lazy("neuter", "The {nominative} “{obj}” was deleted successfully."),
    PLURAL: pgettext_lazy("plural", "The {nominative} “{obj}” was deleted successfully."),
}

# Django's own success messages (as it words them in the active language) and ours in their place.
# Brace templates are filled by format_html (so the name is escaped), percent ones by "%".
_DJANGO_MESSAGES = (
    ("The {name} “{obj}” was added successfully. You may add another {name} below.", ADDED_ANOTHER),
    ("The {name} “{obj}” was added successfully. You may edit it again below.", ADDED_EDIT),
    ("The {name} “{obj}” was changed successfully. You may edit it again below.", CHANGED_EDIT),
    ("The {name} “{obj}” was changed successfully. You may add another {name} below.", CHANGED_ANOTHER),
    ("The {name} “{obj}” was changed successfully.", CHANGED),
    ("The %(name)s “%(obj)s” was deleted successfully.", DELETED),
)
_ADDED_DJANGO = "The {name} “{obj}” was added successfully."
_EDIT_AGAIN_DJANGO = "You may edit it again below."
_PLACEHOLDER = re.compile(r"\{(name|obj)\}|%\((name|obj)\)s")


def _pattern(template: str, name: str) -> re.Pattern:
    """A regex matching ``template`` filled with ``name`` and any object (captured as ``obj``)."""
    out, position = [], 0
    for match in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[position : match.start()]))
        key = match.group(1) or match.group(2)
        out.append(re.escape(name) if key == "name" else "(?P<obj>.*)")
        position = match.end()
    out.append(re.escape(template[position:]))
    return re.compile("".join(out), re.DOTALL)


def rephrase(noun: Noun, message) -> str | None:
    """Django's success message ``message`` about a ``noun`` in our words, or None when it is none of them."""
    text = str(message)
    is_html = isinstance(message, SafeData)
    name = str(conditional_escape(noun.nominative)) if is_html else noun.nominative
    candidates = [(gettext(msgid), phrases) for msgid, phrases in _DJANGO_MESSAGES]
    candidates.insert(2, (gettext(_ADDED_DJANGO) + " " + gettext(_EDIT_AGAIN_DJANGO), ADDED_EDIT))
    candidates.append((gettext(_ADDED_DJANGO), ADDED))
    for template, phrases in candidates:
        # format_html escaped the name in the brace templates; the percent one (deleted) is plain text.
        match = _pattern(template, noun.nominative if "%(" in template else name).fullmatch(text)
        if match:
            if is_html:
                forms = {key: conditional_escape(value) for key, value in noun.forms().items()}
                template_text = str(phrases.get(noun.gender) or phrases[MASCULINE])
                return format_html(template_text, obj=mark_safe(match.group("obj")), **forms)
            return noun.phrase(phrases, obj=match.group("obj"))
    deleted = re.compile(
        re.escape(gettext("Successfully deleted %(count)d %(items)s."))
        .replace(re.escape("%(count)d"), r"(?P<count>\d+)")
        .replace(re.escape("%(items)s"), ".*")
    ).fullmatch(text)
    if deleted:
        return str(DELETED_COUNT).format(count=noun.count(int(deleted.group("count"))))
    return None


def filter_heading(title) -> str:
    """The heading of a list filter titled ``title`` in the active language: «By account» in English, «Счёт» in
    Russian (no preposition, so no case to agree with). ``templates/admin/filter.html`` shows it."""
    title = str(title)
    return str(FILTER_HEADING).format(title=title, Title=capfirst(title))


class NounChangeList(ChangeList):
    """A change list whose title and counts use the model's forms (``cl.noun`` in the templates)."""

    def __init__(self, request, model, *args, **kwargs):
        super().__init__(request, model, *args, **kwargs)
        self.noun = Noun.of(model)
        if self.noun is not None:
            if self.is_popup:
                title = SELECT
            elif self.model_admin.has_change_permission(request):
                title = SELECT_TO_CHANGE
            else:
                title = SELECT_TO_VIEW
            self.title = str(title).format(**self.noun.forms())

    def get_filters(self, request):
        filter_specs, *rest = super().get_filters(request)
        for spec in filter_specs:
            spec.heading = filter_heading(spec.title)
        return (filter_specs, *rest)

    def counted(self) -> str:
        """The number of results with the name agreeing with it: «27 счетов»."""
        return self.noun.count(self.result_count) if self.noun else ""

    def counted_total(self) -> str:
        return self.noun.count(self.full_result_count or 0) if self.noun else ""

    def add_label(self) -> str:
        return str(ADD).format(**self.noun.forms()) if self.noun else ""


class NounInlineAdminFormSet(helpers.InlineAdminFormSet):
    """An inline whose "Add another" button names the row in the right case: «Добавить ещё одну строку счёта»."""

    def inline_formset_data(self):
        import json

        data = json.loads(super().inline_formset_data())
        noun = Noun.of(self.opts.model)
        if noun is not None:
            data["options"]["addText"] = noun.phrase(ADD_ANOTHER)
        return json.dumps(data)


def delete_selected(modeladmin, request, queryset):
    """Django's "delete selected" action, with its titles and counts in the model's forms."""
    response = django_delete_selected(modeladmin, request, queryset)
    noun = Noun.of(modeladmin.model)
    if noun is None or not isinstance(response, TemplateResponse):
        return response
    context = response.context_data
    forms = noun.forms()
    if context.get("perms_lacking") or context.get("protected"):
        context["title"] = str(CANNOT_DELETE_SELECTED).format(**forms)
    else:
        context["title"] = str(DELETE_SELECTED_TITLE).format(**forms)
    context["noun"] = noun
    context["objects_name"] = noun.accusative_plural
    return response


delete_selected.allowed_permissions = ("delete",)
delete_selected.short_description = django_delete_selected.short_description


_CHANGELISTS: dict[type, type] = {ChangeList: NounChangeList}


class NounAdminMixin:
    """Titles, buttons, counts and messages of a ModelAdmin in the model's forms (Django's when it has none)."""

    def get_changelist(self, request, **kwargs):
        base = super().get_changelist(request, **kwargs)
        if issubclass(base, NounChangeList):
            return base
        if base not in _CHANGELISTS:
            _CHANGELISTS[base] = type("Noun" + base.__name__, (NounChangeList, base), {})
        return _CHANGELISTS[base]

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions and actions["delete_selected"][0] is django_delete_selected:
            actions["delete_selected"] = (delete_selected, *actions["delete_selected"][1:])
        return actions

    def get_action_choices(self, request, default_choices=None):
        choices = super().get_action_choices(request, *([default_choices] if default_choices is not None else []))
        noun = Noun.of(self.model)
        if noun is None:
            return choices
        return [
            (name, str(DELETE_SELECTED).format(**noun.forms()) if name == "delete_selected" else label)
            for name, label in choices
        ]

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_admin_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_admin_formset in inline_admin_formsets:
            if type(inline_admin_formset) is helpers.InlineAdminFormSet:
                inline_admin_formset.__class__ = NounInlineAdminFormSet
        return inline_admin_formsets

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        noun = Noun.of(self.model)
        if noun is not None:
            name = self.opts.verbose_name
            forms = noun.forms()
            ours = {
                gettext("Add %s") % name: ADD,
                gettext("Change %s") % name: CHANGE,
                gettext("View %s") % name: VIEW,
            }
            if context.get("title") in ours:
                context["title"] = str(ours[context["title"]]).format(**forms)
            context["noun"] = noun
            context["noun_add_label"] = str(ADD).format(**forms)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def render_delete_form(self, request, context):
        noun = Noun.of(self.model)
        if noun is not None:
            forms = noun.forms()
            if context.get("title") == gettext("Delete"):
                context["title"] = str(DELETE).format(**forms)
            elif context.get("title") == gettext("Cannot delete %(name)s") % {"name": self.opts.verbose_name}:
                context["title"] = str(CANNOT_DELETE).format(**forms)
            context["noun"] = noun
        return super().render_delete_form(request, context)

    def message_user(self, request, message, level=messages.INFO, extra_tags="", fail_silently=False):
        noun = Noun.of(self.model)
        if noun is not None and level == messages.SUCCESS:
            message = rephrase(noun, message) or message
        return super().message_user(request, message, level, extra_tags, fail_silently)


def with_nouns(admin_class):
    """``admin_class`` with :class:`NounAdminMixin` mixed in (itself when it already has it)."""
    if issubclass(admin_class, NounAdminMixin):
        return admin_class
    return type(admin_class.__name__, (NounAdminMixin, admin_class), {"__module__": admin_class.__module__})
