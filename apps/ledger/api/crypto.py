"""API of the ledger: crypto. ``register(router)`` adds this area's viewsets; ``urlpatterns`` its other views.

/api/v1/ledger/crypto-transfers/: register a TRX or USDT-TRC20 transfer by its hash (pending), list and read
them, and ``POST …/{id}/verify/`` to check one on the network now rather than at the next beat run.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.core.accounts.tenancy import scope
from apps.core.api.errors import ErrorSerializer, error_response
from apps.core.api.permissions import IsMember
from apps.core.api.serializers import ModelSerializer, OrganizationSlugField
from apps.core.api.viewsets import TenantScopedMixin
from apps.core.money.amounts import quantum

from .. import selectors, services, tronscan
from ..filters import CryptoTransferFilter
from ..models import Account, CryptoDirection, CryptoNetwork, CryptoToken, CryptoTransactionDetail
from .serializers import LEDGER_WRITE


@extend_schema_field({"type": "string", "format": "decimal", "example": "1250.000000"})
class TokenAmountField(serializers.Field):
    """In: a decimal string handed to the service as it came (it refuses floats, non-numbers and too many
    decimals, naming the field). Out: the amount with the token currency's decimals."""

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return str(value.quantize(quantum(6)))


class CryptoTransferSerializer(ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    amount = TokenAmountField(read_only=True)
    fee_trx = TokenAmountField(read_only=True)

    class Meta:
        model = CryptoTransactionDetail
        fields = [
            "id",
            "organization",
            "network",
            "token",
            "token_contract",
            "direction",
            "tx_hash",
            "from_address",
            "to_address",
            "amount",
            "account",
            "counter_account",
            "fee_account",
            "fee_source_account",
            "description",
            "status",
            "confirmations",
            "fee_trx",
            "block_number",
            "block_time",
            "transaction",
            "checked_at",
            "error",
            "created_at",
        ]
        read_only_fields = fields


class CryptoTransferRegisterSerializer(serializers.Serializer):
    organization = OrganizationSlugField(power=LEDGER_WRITE, help_text=_("Slug of the organization."))
    network = serializers.ChoiceField(choices=CryptoNetwork.choices, default=CryptoNetwork.TRON)
    token = serializers.ChoiceField(choices=CryptoToken.choices)
    direction = serializers.ChoiceField(choices=CryptoDirection.choices)
    tx_hash = serializers.CharField(max_length=80, help_text=_("The TRON transaction hash (64 hex characters)."))
    from_address = serializers.CharField(max_length=64)
    to_address = serializers.CharField(max_length=64)
    amount = TokenAmountField(help_text=_("The amount of the token, as a decimal string."))
    account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), help_text=_("Our wallet account (in the token's currency).")
    )
    counter_account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(), help_text=_("The other side of the posting (in the token's currency).")
    )
    fee_account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Outgoing only: the TRX account of purpose network fees (default: the organization's first)."),
    )
    fee_source_account = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Outgoing USDT only: the sending wallet's TRX account, which pays the fee."),
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        for name in ("account", "counter_account", "fee_account", "fee_source_account"):
            # Another organization's account answers "does not exist", exactly as a missing one does.
            fields[name].queryset = scope(Account.objects.all(), getattr(request, "user", None))
        return fields


_UNAVAILABLE = OpenApiResponse(
    ErrorSerializer, description=_("TronScan is not configured (tronscan_not_configured) or unreachable.")
)


@extend_schema_view(
    list=extend_schema(summary=_("Crypto transfers of your organizations")),
    retrieve=extend_schema(summary=_("One crypto transfer")),
    create=extend_schema(
        summary=_("Register a TRX or USDT-TRC20 transfer by its hash (pending until verified on the network)"),
        description=_("Registering the same hash again returns the first registration (200) and creates nothing."),
        request=CryptoTransferRegisterSerializer,
        responses={201: CryptoTransferSerializer, 200: CryptoTransferSerializer},
    ),
)
class CryptoTransferViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = CryptoTransactionDetail.objects.all()
    selector = staticmethod(selectors.crypto_transfer_list)
    serializer_class = CryptoTransferSerializer
    permission_classes = [IsMember]
    filterset_class = CryptoTransferFilter
    search_fields = ["tx_hash", "from_address", "to_address", "description"]
    ordering_fields = ["created_at", "checked_at", "amount", "status", "id"]
    ordering = ["-created_at", "-id"]

    def get_serializer_class(self):
        return CryptoTransferRegisterSerializer if self.action == "create" else CryptoTransferSerializer

    def _answer(self, detail, http_status=status.HTTP_200_OK) -> Response:
        detail = self.get_queryset().get(pk=detail.pk)
        return Response(CryptoTransferSerializer(detail, context=self.get_serializer_context()).data, http_status)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        detail, created = services.crypto_transfer_register(user=request.user, **serializer.validated_data)
        return self._answer(detail, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary=_("Verify the transfer on the network now: posts it, fails it, or leaves it pending"),
        request=None,
        responses={200: CryptoTransferSerializer, 503: _UNAVAILABLE},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        detail = self.get_object()
        try:
            detail = services.crypto_transfer_verify(detail=detail, user=request.user)
        except tronscan.TronScanNotConfigured as error:
            return error_response("tronscan_not_configured", str(error), status.HTTP_503_SERVICE_UNAVAILABLE)
        except tronscan.TronScanUnavailable as error:
            return error_response("tronscan_unavailable", str(error), status.HTTP_503_SERVICE_UNAVAILABLE)
        return self._answer(detail)


def register(router) -> None:
    router.register("crypto-transfers", CryptoTransferViewSet, basename="crypto-transfer")


urlpatterns: list = []
