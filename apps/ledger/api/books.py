"""API of the ledger: books. ``register(router)`` adds this area's viewsets; ``urlpatterns`` its other views.

- ``accounts/``, ``projects/``, ``categories/``, ``counterparties/``: the chart and the tags (CRUD through
  ``services.books``: a used account or tag is closed, not deleted);
- ``balances/``: each account's stored balance (kept by the database, read-only);
- ``transactions/``: the journal (filters: date range, account, kind, counterparty, project, category,
  text), ``POST`` a complex posting, ``POST transactions/{id}/reverse/``;
- ``operations/income/``, ``operations/expense/``, ``operations/transfer/``: the seed's operations;
- ``period-locks/`` and ``period-locks/{organization id}/`` (GET, PUT): the closed period.

Every posting needs an idempotency key (the ``Idempotency-Key`` header or an ``idempotency_key`` field): the
first request answers 201, a repeat answers 200 with the same transaction and posts nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.accounts.tenancy import has_power
from apps.core.api.errors import IDEMPOTENCY_CONFLICT
from apps.core.api.idempotency import created_status, idempotency_key, key_parameter
from apps.core.api.organizations import organization_named
from apps.core.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet, TenantScopedMixin
from apps.core.mechanisms.idempotency import IdempotencyConflict
from apps.core.models import Organization

from .. import selectors, services
from ..filters import (
    AccountFilter,
    BalanceFilter,
    CategoryFilter,
    CounterpartyFilter,
    PeriodLockFilter,
    ProjectFilter,
    TransactionFilter,
)
from ..models import Account, AccountBalance, Category, Counterparty, PeriodLock, Project, Transaction
from ..services import books as book_services
from .schema import ERRORS as _ERRORS
from .serializers import (
    LEDGER_WRITE,
    AccountSerializer,
    BalanceSerializer,
    CategorySerializer,
    CounterpartySerializer,
    ExpensePostSerializer,
    IncomePostSerializer,
    PeriodLockSerializer,
    PeriodLockUpdateSerializer,
    ProjectSerializer,
    ReverseSerializer,
    TransactionPostSerializer,
    TransactionSerializer,
    TransferPostSerializer,
)

_POSTED = {
    201: OpenApiResponse(TransactionSerializer, description=gettext_lazy("Posted.")),
    200: OpenApiResponse(
        TransactionSerializer, description=gettext_lazy("The idempotency key was used before: the first transaction.")
    ),
    409: IDEMPOTENCY_CONFLICT,
    **_ERRORS,
}
_KEY_PARAMETER = key_parameter(
    gettext_lazy("A key unique to this posting (e.g. your document id). Required here or as the idempotency_key field.")
)


# --- chart of accounts and tags ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("The chart of accounts, with each account's balance")),
    create=extend_schema(summary=gettext_lazy("Open an account"), responses={201: AccountSerializer, **_ERRORS}),
    destroy=extend_schema(
        summary=gettext_lazy("Delete an account that never held an entry (close a used one instead)"),
        responses={204: None, **_ERRORS},
    ),
)
class AccountViewSet(TenantModelViewSet):
    queryset = Account.objects.all()
    selector = staticmethod(selectors.account_list)
    serializer_class = AccountSerializer
    filterset_class = AccountFilter
    search_fields = ["code", "name", "description"]
    ordering_fields = ["code", "name", "type", "created_at", "id"]
    ordering = ["code", "id"]

    def _fresh(self, account: Account) -> Account:
        return self.get_queryset().get(pk=account.pk)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        account = book_services.account_create(organization=data.pop("organization"), user=self.request.user, **data)
        serializer.instance = self._fresh(account)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("organization", None)  # the serializer refused a move already
        account = book_services.account_update(account=serializer.instance, user=self.request.user, **data)
        serializer.instance = self._fresh(account)

    def perform_destroy(self, instance):
        book_services.account_delete(account=instance, user=self.request.user)


class _TagViewSet(TenantModelViewSet):
    def perform_create(self, serializer):
        model = self.queryset.model
        serializer.instance = book_services.tag_save(
            instance=model(**serializer.validated_data), user=self.request.user
        )

    def perform_update(self, serializer):
        instance = serializer.instance
        for name, value in serializer.validated_data.items():
            setattr(instance, name, value)
        serializer.instance = book_services.tag_save(instance=instance, user=self.request.user)

    def perform_destroy(self, instance):
        book_services.tag_delete(instance=instance, user=self.request.user)


class ProjectViewSet(_TagViewSet):
    queryset = Project.objects.all()
    selector = staticmethod(partial(selectors.tag_list, Project))
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    search_fields = ["name", "code"]
    ordering_fields = ["name", "code", "id"]
    ordering = ["name", "id"]


class CategoryViewSet(_TagViewSet):
    queryset = Category.objects.all()
    selector = staticmethod(partial(selectors.tag_list, Category))
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter
    search_fields = ["name"]
    ordering_fields = ["name", "kind", "id"]
    ordering = ["kind", "name", "id"]


class CounterpartyViewSet(_TagViewSet):
    queryset = Counterparty.objects.all()
    selector = staticmethod(partial(selectors.tag_list, Counterparty))
    serializer_class = CounterpartySerializer
    filterset_class = CounterpartyFilter
    search_fields = ["name", "tax_id", "email", "phone"]
    ordering_fields = ["name", "kind", "id"]
    ordering = ["name", "id"]


@extend_schema_view(list=extend_schema(summary=gettext_lazy("Account balances, kept by the database as entries post")))
class BalanceViewSet(TenantReadOnlyViewSet):
    queryset = AccountBalance.objects.all()
    selector = staticmethod(selectors.balance_list)
    serializer_class = BalanceSerializer
    filterset_class = BalanceFilter
    search_fields = ["account__code", "account__name"]
    ordering_fields = ["account__code", "balance", "pk"]
    ordering = ["account__code", "pk"]


# --- postings ---------------------------------------------------------------------------------------------

_LEG_FIELD = re.compile(r"^entries\.(\d+)\.(\w+)$")


def _rename_leg_errors(error: DjangoValidationError, legs: list[tuple[str, str]]) -> DjangoValidationError:
    """The services speak of legs (``entries.1.amount``); an operation endpoint of its own fields
    (``income_account``, ``amount``). ``legs[i]`` names the account field and the amount field of leg i."""
    if not hasattr(error, "error_dict"):
        return error
    renamed: dict[str, list] = {}
    for name, errors in error.error_dict.items():
        target = name
        match = _LEG_FIELD.match(name)
        if match and int(match.group(1)) < len(legs):
            account_field, amount_field = legs[int(match.group(1))]
            target = {"account": account_field, "amount": amount_field}.get(match.group(2), match.group(2))
        elif name == "entries":
            target = "non_field_errors"
        renamed.setdefault(target, []).extend(errors)
    return DjangoValidationError(renamed)


class _PostingMixin:
    """Runs a posting service for a validated body: the idempotency key first, then 201, or 200 for a repeat."""

    def _answer(self, transaction_id: int, http_status: int) -> Response:
        posted = selectors.transaction_list(user=self.request.user).get(pk=transaction_id)
        return Response(TransactionSerializer(posted, context=self.get_serializer_context()).data, status=http_status)

    def _post(
        self,
        request,
        serializer_class,
        post: Callable[..., Transaction],
        legs: Callable[[dict], list[tuple[str, str]]] | None = None,
    ) -> Response:
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        organization = data.pop("organization")
        key = idempotency_key(request, data)
        # The service tells a repeat (200, what the first request posted) from a creation (201); the same key
        # with a different body is refused with 409. Two racing first requests post once: both answer 201.
        try:
            posted = post(organization=organization.pk, user=request.user, idempotency_key=key, **data)
        except IdempotencyConflict:
            raise
        except DjangoValidationError as error:
            raise (_rename_leg_errors(error, legs(data)) if legs else error) from None
        return self._answer(posted.pk, created_status(posted))


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("The journal: transactions with their legs")),
    retrieve=extend_schema(summary=gettext_lazy("A transaction with its legs")),
)
class TransactionViewSet(
    _PostingMixin, TenantScopedMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Posted transactions are never changed or deleted: a mistake is corrected by its reversal."""

    queryset = Transaction.objects.all()
    selector = staticmethod(selectors.transaction_list)
    serializer_class = TransactionSerializer
    filterset_class = TransactionFilter
    search_fields = ["description", "idempotency_key", "entries__memo", "entries__counterparty__name"]
    ordering_fields = ["date", "created_at", "id"]
    ordering = ["-date", "-id"]

    def get_serializer_class(self):
        if self.action == "create":
            return TransactionPostSerializer
        if self.action == "reverse":
            return ReverseSerializer
        return TransactionSerializer

    @extend_schema(
        summary=gettext_lazy("Post a transaction of any number of legs (a complex posting)"),
        description=gettext_lazy(
            "Legs are signed (debit positive, credit negative) and must sum to zero in each currency. Errors name "
            "the leg: entries.1.amount."
        ),
        parameters=[_KEY_PARAMETER],
        request=TransactionPostSerializer,
        responses=_POSTED,
    )
    def create(self, request, *args, **kwargs):
        return self._post(request, TransactionPostSerializer, services.transaction_post)

    @extend_schema(
        summary=gettext_lazy("Reverse a transaction: post its legs negated, linked to it"),
        description=gettext_lazy("A transaction is reversed once; a reversal is not itself reversed."),
        request=ReverseSerializer,
        responses={201: TransactionSerializer, **_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        original = self.get_object()
        serializer = ReverseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reversal = services.transaction_reverse(transaction=original, user=request.user, **serializer.validated_data)
        return self._answer(reversal.pk, status.HTTP_201_CREATED)


def _income_legs(data: dict) -> list[tuple[str, str]]:
    return [("account", "amount"), ("income_account", "amount")]


def _expense_legs(data: dict) -> list[tuple[str, str]]:
    return [("expense_account", "amount"), ("account", "amount")]


def _transfer_legs(data: dict) -> list[tuple[str, str]]:
    if data.get("to_amount") is None and data.get("rate") is None:
        legs = [("from_account", "amount"), ("to_account", "amount")]
    else:  # through the exchange accounts of both currencies
        legs = [("from_account", "amount"), ("non_field_errors", "amount"), ("non_field_errors", "to_amount")]
        legs.append(("to_account", "to_amount"))
    if data.get("fee"):
        legs += [("fee_account", "fee"), ("from_account", "fee")]
    return legs


class OperationViewSet(_PostingMixin, TenantScopedMixin, viewsets.GenericViewSet):
    """The seed's operations, each a posting of its own shape; they answer the posted transaction."""

    queryset = Transaction.objects.all()
    serializer_class = TransactionSerializer

    @extend_schema(
        summary=gettext_lazy("Income: money received into a cash or bank account"),
        parameters=[_KEY_PARAMETER],
        request=IncomePostSerializer,
        responses=_POSTED,
    )
    @action(detail=False, methods=["post"])
    def income(self, request):
        return self._post(request, IncomePostSerializer, services.income_post, _income_legs)

    @extend_schema(
        summary=gettext_lazy("Expense: money paid from a cash or bank account"),
        parameters=[_KEY_PARAMETER],
        request=ExpensePostSerializer,
        responses=_POSTED,
    )
    @action(detail=False, methods=["post"])
    def expense(self, request):
        return self._post(request, ExpensePostSerializer, services.expense_post, _expense_legs)

    @extend_schema(
        summary=gettext_lazy("Transfer between two accounts, in one currency or across two at a recorded rate"),
        description=gettext_lazy(
            "Across currencies give to_amount (what arrived) or rate; the rate used is recorded with the transaction."
        ),
        parameters=[_KEY_PARAMETER],
        request=TransferPostSerializer,
        responses=_POSTED,
    )
    @action(detail=False, methods=["post"])
    def transfer(self, request):
        return self._post(request, TransferPostSerializer, services.transfer_post, _transfer_legs)


# --- the closed period ------------------------------------------------------------------------------------


@extend_schema_view(list=extend_schema(summary=gettext_lazy("Closed periods of your organizations")))
class PeriodLockViewSet(TenantScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """One closed period per organization, addressed by the organization's id."""

    queryset = PeriodLock.objects.all()
    selector = staticmethod(selectors.period_lock_list)
    serializer_class = PeriodLockSerializer
    filterset_class = PeriodLockFilter
    lookup_field = "organization_id"
    lookup_url_kwarg = "organization"
    lookup_value_regex = r"[0-9]+"
    ordering_fields = ["locked_through", "organization_id"]
    ordering = ["organization_id"]

    def _organization(self) -> Organization:
        return organization_named(self.request.user, pk=self.kwargs["organization"])

    def _answer(self, organization: Organization) -> Response:
        lock = self.get_queryset().filter(organization_id=organization.pk).first()
        if lock is None:
            lock = PeriodLock(organization=organization, locked_through=None)
        return Response(PeriodLockSerializer(lock, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=gettext_lazy("An organization's closed period (locked_through is null while none is closed)"),
        responses={200: PeriodLockSerializer, 404: _ERRORS[404]},
    )
    def retrieve(self, request, organization=None):
        return self._answer(self._organization())

    @extend_schema(
        summary=gettext_lazy("Close the books through a date (moving it back, reopening, needs manage_organization)"),
        request=PeriodLockUpdateSerializer,
        responses={200: PeriodLockSerializer, **_ERRORS},
    )
    def update(self, request, organization=None):
        target = self._organization()
        if not has_power(request.user, LEDGER_WRITE, target.pk):
            raise DjangoPermissionDenied(_("Your role does not allow closing these books."))
        serializer = PeriodLockUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.period_lock(
            organization=target.pk, user=request.user, locked_through=serializer.validated_data["locked_through"]
        )
        return self._answer(target)


def register(router) -> None:
    router.register("accounts", AccountViewSet, basename="ledger-account")
    router.register("balances", BalanceViewSet, basename="ledger-balance")
    router.register("projects", ProjectViewSet, basename="ledger-project")
    router.register("categories", CategoryViewSet, basename="ledger-category")
    router.register("counterparties", CounterpartyViewSet, basename="ledger-counterparty")
    router.register("transactions", TransactionViewSet, basename="ledger-transaction")
    router.register("operations", OperationViewSet, basename="ledger-operation")
    router.register("period-locks", PeriodLockViewSet, basename="ledger-period-lock")


urlpatterns: list = []
