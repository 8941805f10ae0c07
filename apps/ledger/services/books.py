"""The chart of accounts and the tags (projects, categories, counterparties): creating, changing, deleting.

Posted entries pin what they point at: an account that holds entries keeps its organization and currency
(PostgreSQL's composite keys hold the entries to them) and cannot be deleted, only closed; a tag in use cannot
be deleted either, only made inactive. A tree (accounts, categories) stays within one type or kind and never
loops. Every change is audited.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from apps.core.language.text import in_language_of
from apps.core.mechanisms.audit import audit_changes, audit_record, audit_values

from ..models import Account, AccountBalance, Category, Counterparty, Project, TransactionEntry
from .common import require_power

# The longest chain of parents a tree may have: deep enough for any chart, and it bounds the loop check.
MAX_TREE_DEPTH = 12

ACCOUNT_FIELDS = ("code", "name", "type", "currency", "parent", "purpose", "non_negative", "is_active", "description")
TAG_MODELS = (Project, Category, Counterparty)


def _tree_check(node: Model, parent: Model | None, *, same: str) -> None:
    """``parent`` may hold ``node``: same organization, same ``same`` (type or kind), and no loop."""
    if parent is None:
        return
    if parent.organization_id != node.organization_id:
        raise ValidationError({"parent": _("The parent belongs to another organization.")})
    if getattr(parent, same) != getattr(node, same):
        raise ValidationError(
            {
                "parent": _("“{parent}” is of another {field} ({value}); a tree stays within one {field}.").format(
                    parent=parent, field=type(node)._meta.get_field(same).verbose_name, value=getattr(parent, same)
                )
            }
        )
    if node.pk is None:
        return
    ancestor, seen = parent, 0
    while ancestor is not None:
        if ancestor.pk == node.pk:
            raise ValidationError(
                {"parent": _("“{parent}” lies under this one: the tree would loop.").format(parent=parent)}
            )
        seen += 1
        if seen > MAX_TREE_DEPTH:
            raise ValidationError({"parent": _("The tree is deeper than {n} levels.").format(n=MAX_TREE_DEPTH)})
        ancestor = ancestor.parent


def _account_used(account: Account) -> bool:
    return TransactionEntry.objects.filter(account_id=account.pk).exists()


def account_check(account: Account, *, original: Account | None = None) -> None:
    """The rules a new or changed account must follow; raises ValidationError naming the field."""
    if original is not None and (
        original.organization_id != account.organization_id or original.currency_id != account.currency_id
    ):
        if original.organization_id != account.organization_id:
            raise ValidationError({"organization": _("An account cannot move to another organization.")})
        if _account_used(original):
            raise ValidationError(
                {
                    "currency": _(
                        "The account already holds entries in {currency}; open a new account for another currency."
                    ).format(currency=original.currency_id)
                }
            )
    _tree_check(account, account.parent, same="type")
    new_parent = account.parent_id is not None and (original is None or original.parent_id != account.parent_id)
    if new_parent and _account_used(account.parent):
        # A parent takes no postings (the posting function refuses them): its own entries would be stranded.
        raise ValidationError(
            {
                "parent": _("“{parent}” already holds entries, so it cannot take sub-accounts.").format(
                    parent=account.parent
                )
            }
        )
    if original is not None and original.type != account.type and original.children.exists():
        raise ValidationError({"type": _("The account has sub-accounts of its type; move them first.")})
    if account.non_negative and original is not None and not (original.non_negative and original.type == account.type):
        balance = AccountBalance.objects.filter(account_id=original.pk).values_list("balance", flat=True).first() or 0
        debit_normal = account.type in ("asset", "expense")
        if (balance < 0) if debit_normal else (balance > 0):
            raise ValidationError(
                {
                    "non_negative": _("The balance is already below zero ({balance}); it cannot be marked so.").format(
                        balance=abs(balance)
                    )
                }
            )


def _fields(account: Account, names=ACCOUNT_FIELDS) -> dict:
    return {name: str(getattr(account, f"{name}_id" if name in ("currency", "parent") else name)) for name in names}


def account_create(*, organization, user, **fields) -> Account:
    """Open an account in the chart. ``fields``: code, name, type, currency, and optionally parent, purpose,
    non_negative, is_active, description."""
    organization_id = getattr(organization, "pk", organization)
    require_power(user, organization_id)
    account = Account(organization_id=organization_id, **fields)
    account_check(account)
    account.full_clean()
    with transaction.atomic():
        account.save()
        audit_record(
            action="ledger.account.create",
            actor=user,
            organization=organization_id,
            obj=account,
            changes=_fields(account),
        )
    return account


def account_on_first_use(
    *,
    organization_id: int,
    currency: str,
    code: str,
    name: Promise,
    type: str,
    purpose: str = "",
    reuse_purpose: bool = True,
    name_values: dict | None = None,
) -> Account:
    """The account a service books to without asking the user, made the first time it is needed: an active
    account of ``purpose`` in ``currency`` when there is one (and ``reuse_purpose``), else the account ``code``,
    else a new one, opened through :func:`account_create` (checked and audited) and named from ``name`` (a
    template with ``{currency}`` and ``name_values``) in the organization's language.

    Concurrent first uses end with one account: whoever loses the race takes the one the other made. An
    existing ``code`` that is closed or holds another currency is refused, naming the code."""
    if purpose and reuse_purpose:
        existing = (
            Account.objects.filter(
                organization_id=organization_id, currency_id=currency, purpose=purpose, is_active=True
            )
            .order_by("pk")
            .first()
        )
        if existing is not None:
            return existing
    account = Account.objects.filter(organization_id=organization_id, code=code).first()
    if account is None:
        with in_language_of(organization_id):
            label = str(name).format(currency=currency, **(name_values or {}))
        account = _account_made_or_taken(
            organization_id=organization_id, code=code, name=label, type=type, currency_id=currency, purpose=purpose
        )
    if account.currency_id != currency or not account.is_active:
        raise ValidationError(
            {
                "currency": _(
                    "Account {code} exists but is closed or holds another currency than {currency}; "
                    "give the organization an active account for {currency} or rename {code}."
                ).format(code=code, currency=currency)
            }
        )
    return account


def _account_made_or_taken(*, organization_id: int, code: str, **fields) -> Account:
    """Open the account ``code``, or take it when a concurrent first use opened it meanwhile: that one's INSERT
    made ours fail on the unique index (IntegrityError), or it committed before our check that the code is free
    (ValidationError). Still refused when no such account exists (a refusal for another reason)."""
    try:
        with transaction.atomic():
            return account_create(organization=organization_id, user=None, code=code, **fields)
    except (IntegrityError, ValidationError):
        made = Account.objects.filter(organization_id=organization_id, code=code).first()
        if made is None:
            raise
        return made


def account_update(*, account: Account, user, **changes) -> Account:
    """Change an account. Its organization never changes, its currency only while it holds no entries."""
    require_power(user, account.organization_id)
    with transaction.atomic():
        original = Account.objects.select_for_update().get(pk=account.pk)
        for name, value in changes.items():
            setattr(account, name, value)
        account_check(account, original=original)
        account.full_clean()
        before, after = _fields(original), _fields(account)
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError as error:  # a posting slipped in between the check and the save
            raise ValidationError(_("The account changed while you edited it; try again.")) from error
        audit_record(
            action="ledger.account.update",
            actor=user,
            organization=account.organization_id,
            obj=account,
            changes={name: [before[name], after[name]] for name in after if before[name] != after[name]},
        )
    return account


def account_delete(*, account: Account, user) -> None:
    """Delete an account that never held an entry and has no sub-accounts; a used account is closed instead
    (``is_active`` off)."""
    require_power(user, account.organization_id)
    if _account_used(account):
        raise ValidationError(
            _("“{account}” holds entries, so it stays in the books; close it (untick “active”) instead.").format(
                account=account
            ),
            code="account_used",
        )
    if account.children.exists():
        raise ValidationError(
            _("“{account}” has sub-accounts; delete or move them first.").format(account=account), code="has_children"
        )
    with transaction.atomic():
        audit_record(
            action="ledger.account.delete", actor=user, organization=account.organization_id, obj=account, changes={}
        )
        try:
            with transaction.atomic():
                account.delete()
        except IntegrityError as error:  # referenced elsewhere (an invoice settles against it…)
            raise ValidationError(
                _("“{account}” is still referenced by other records; close it instead.").format(account=account),
                code="account_used",
            ) from error


def tag_save(*, instance: Project | Category | Counterparty, user) -> Project | Category | Counterparty:
    """Create or change a project, a category or a counterparty."""
    if not isinstance(instance, TAG_MODELS):
        raise TypeError(f"Not a tag: {type(instance).__name__}")
    require_power(user, instance.organization_id)
    creating = instance.pk is None
    before: dict[str, str | None] = {}
    if not creating:
        original = type(instance).objects.get(pk=instance.pk)
        if original.organization_id != instance.organization_id:
            raise ValidationError({"organization": _("A record cannot move to another organization.")})
        before = audit_values(original)
    if isinstance(instance, Category):
        _tree_check(instance, instance.parent, same="kind")
    instance.full_clean()
    with transaction.atomic():
        try:
            with transaction.atomic():
                instance.save()
        except IntegrityError as error:  # the same name saved by someone else since full_clean() looked
            raise type(instance).integrity_error_as_validation(error) or error from error
        after = audit_values(instance)
        audit_record(
            action=f"ledger.{instance._meta.model_name}.{'create' if creating else 'update'}",
            actor=user,
            organization=instance.organization_id,
            obj=instance,
            changes=audit_changes(before, after),
        )
    return instance


def tag_delete(*, instance: Project | Category | Counterparty, user) -> None:
    """Delete a tag no entry uses; a used one is made inactive instead."""
    require_power(user, instance.organization_id)
    if instance.entries.exists():
        raise ValidationError(
            _("“{name}” is used by posted entries; make it inactive instead.").format(name=instance), code="tag_used"
        )
    if isinstance(instance, Category) and instance.children.exists():
        raise ValidationError(
            _("“{name}” has sub-categories; delete or move them first.").format(name=instance), code="has_children"
        )
    with transaction.atomic():
        audit_record(
            action=f"ledger.{instance._meta.model_name}.delete",
            actor=user,
            organization=instance.organization_id,
            obj=instance,
        )
        try:
            with transaction.atomic():
                instance.delete()
        except IntegrityError as error:  # referenced elsewhere (an invoice names this counterparty…)
            raise ValidationError(
                _("“{name}” is still referenced by other records; make it inactive instead.").format(name=instance),
                code="tag_used",
            ) from error


def tag_find_or_create(
    model: type[Project | Category | Counterparty], *, organization, match: list[dict], defaults: dict
) -> Project | Category | Counterparty:
    """The organization's row that the first of ``match`` finds (``name__iexact``…), else a new one made of
    ``defaults``. For loaders of well-known rows (the demo data): the unique names make each lookup find at
    most one row, and a row a user renamed is looked up by its other keys before one is created."""
    rows = model.objects.filter(organization=organization)
    for lookup in match:
        found = rows.filter(**lookup).order_by("pk").first()
        if found is not None:
            return found
    return tag_save(instance=model(organization=organization, **defaults), user=None)
