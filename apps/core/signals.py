"""Reactions to changes of core rows that must hold however the change was made (admin, allauth, shell)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import pre_save
from django.dispatch import receiver

from apps.core.models import User


@receiver(pre_save, sender=User, dispatch_uid="core.user.revoke_api_logins")
def revoke_api_logins_when_password_changes(sender, instance: User, raw: bool = False, **kwargs) -> None:
    """A new password (or a deactivated account) ends every API login: rotating refresh tokens would
    otherwise keep a thief signed in after the owner changed the password."""
    if raw or instance.pk is None:
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    reason = None
    if before["password"] != instance.password:
        reason = "password_changed"
    elif before["is_active"] and not instance.is_active:
        reason = "deactivated"
    if reason is None:
        return
    from apps.core.accounts.tokens import refresh_tokens_revoke_for_user

    user_id = instance.pk
    transaction.on_commit(lambda: refresh_tokens_revoke_for_user(user_id=user_id, reason=reason))
