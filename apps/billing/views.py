"""Billing's pages, under the language prefix (/ru/billing/, /en/billing/): pricing, checkout, the stub checkout
of test mode, the return page that follows a payment live, the organization's billing page and its PDFs.

Tenancy: an organization's page shows only what its members may read; a payment belongs to a member's
organization when it is that organization's own or pays for one of its subscriptions (subscription payments
are stored in the platform's books, see services/checkout.py). Anything else is "not found", never
"forbidden", so nothing tells whether it exists.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.core.accounts.roles import MANAGE_ORGANIZATION
from apps.core.accounts.tenancy import has_power, memberships, organization_ids, scope
from apps.core.models import Organization

from . import pdf, selectors
from .models import BillingPeriod, Payment, PaymentStatus, Plan, Subscription
from .providers import ProviderError
from .services.checkout import (
    SUBSCRIPTION_PURPOSE,
    checkout_start,
    stub_checkout_enabled,
    stub_payment_complete,
    subscription_of_payment,
)
from .services.gateways import GatewayNotConfigured
from .services.subscriptions import subscription_cancel, subscription_change_plan, subscription_resume

PERIODS = [BillingPeriod.MONTH, BillingPeriod.YEAR]


# --- organizations and payments a user may see ---------------------------------------------------------------


def _organizations(user):
    return scope(Organization.objects.all(), user).order_by("name", "pk")


def _organization(request, slug: str | None = None) -> Organization:
    """The organization a page is about: ``?org=<slug>`` (or the form's ``org``) if the user may read it, else
    their first one. 404 for an organization they may not read, or when they have none."""
    slug = slug or request.POST.get("org") or request.GET.get("org")
    organizations = _organizations(request.user)
    if slug:
        organization = organizations.filter(slug=slug).first()
    else:
        own = list(memberships(request.user))
        organization = (organizations.filter(pk__in=own) if own else organizations).first()
    if organization is None:
        raise Http404
    return organization


def _may_manage(user, organization) -> bool:
    return has_power(user, MANAGE_ORGANIZATION, organization.pk)


def _visible_payment(user, pk: int) -> Payment:
    """A payment of one of the user's organizations, or one paying for their subscription; else 404."""
    payment = get_object_or_404(Payment.objects.select_related("gateway", "currency", "organization"), pk=pk)
    ids = organization_ids(user)
    if ids is None:  # a superuser
        return payment
    if payment.organization_id in ids:
        return payment
    subscription = subscription_of_payment(payment)
    if subscription is not None and subscription.organization_id in ids:
        return payment
    raise Http404


def _payments_of(organization):
    """The organization's payments for its Kontora subscriptions, newest first."""
    subscription_ids = [
        str(pk) for pk in Subscription.objects.filter(organization=organization).values_list("pk", flat=True)
    ]
    return (
        Payment.objects.filter(Q(purpose_type=SUBSCRIPTION_PURPOSE, purpose_id__in=subscription_ids))
        .select_related("currency")
        .order_by("-created_at", "-pk")
    )


def _billing_url(organization) -> str:
    return f"{reverse('billing:account')}?org={organization.slug}"


# --- pricing ------------------------------------------------------------------------------------------------


@require_GET
def pricing(request):
    """The public price list: every public plan with its prices per currency and period and its limits."""
    currencies = sorted({price.currency_id for plan in selectors.plan_list() for price in plan.prices.all()})
    currency = request.GET.get("currency") or ("RUB" if translation.get_language() == "ru" else "USD")
    if currencies and currency not in currencies:
        currency = currencies[0]
    period = request.GET.get("period") if request.GET.get("period") in PERIODS else BillingPeriod.MONTH
    organization = None
    current_plan = None
    if request.user.is_authenticated:
        organizations = _organizations(request.user)
        slug = request.GET.get("org")
        organization = (
            organizations.filter(slug=slug) if slug else organizations.filter(pk__in=list(memberships(request.user)))
        ).first()
        if organization is not None:
            current_plan = selectors.plan_of(organization=organization)
    cards = []
    for plan in selectors.plan_list():
        price = next(
            (p for p in plan.prices.all() if p.currency_id == currency and p.period == period),
            None,
        )
        limits = {limit.resource: limit.amount for limit in plan.plan_limits.all()}
        cards.append(
            {
                "plan": plan,
                "price": price,
                "limits": [(label, limits.get(value, 0)) for value, label in _resource_choices()],
                "is_current": current_plan is not None and current_plan.pk == plan.pk,
            }
        )
    context = {
        "cards": cards,
        "currencies": currencies,
        "currency": currency,
        "period": period,
        "periods": [(value, BillingPeriod(value).label) for value in PERIODS],
        "organization": organization,
        "can_manage": organization is not None and _may_manage(request.user, organization),
    }
    return render(request, "billing/pricing.html", context)


def _resource_choices():
    from .models import Resource

    return Resource.choices


# --- checkout -------------------------------------------------------------------------------------------------


@login_required
@require_POST
def checkout(request):
    organization = _organization(request)
    if not _may_manage(request.user, organization):
        raise PermissionDenied(_("Only the organization's owner or administrator can choose its plan."))
    plan = get_object_or_404(Plan, code=request.POST.get("plan", ""), is_active=True, is_public=True)
    currency = request.POST.get("currency", "")
    period = request.POST.get("period", "")
    if plan.is_free:
        return _change_to(request, organization, plan)

    try:
        result = checkout_start(
            organization=organization,
            plan=plan,
            currency=currency,
            period=period,
            user=request.user,
            return_url=request.build_absolute_uri(reverse("billing:return")),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(f"{reverse('billing:pricing')}?currency={currency}&period={period}")
    except GatewayNotConfigured:
        messages.error(request, _("Payments are not set up on this server yet; please try again later."))
        return redirect("billing:pricing")
    except ProviderError:
        messages.error(request, _("The payment provider did not answer; please try again in a minute."))
        return redirect("billing:pricing")
    if result.kind == "trial":
        messages.success(
            request, _("Your trial of {plan} has started; no payment is due until it ends.").format(plan=plan.name)
        )
        return redirect(_billing_url(organization))
    if result.kind in ("downgrade", "upgrade", "free"):
        messages.success(request, _("Your plan change is saved."))
        return redirect(_billing_url(organization))
    if result.payment is None:
        # An upgrade of a subscription Stripe renews: Stripe charges the difference to the card on file.
        messages.success(
            request,
            _(
                "Stripe is charging the difference for {plan}; the plan applies as soon as the payment is confirmed."
            ).format(plan=plan.name),
        )
        return redirect(_billing_url(organization))
    payment = result.payment
    if result.stub:
        return redirect("billing:stub-checkout", pk=payment.pk)
    if payment.confirmation_url:
        return HttpResponseRedirect(payment.confirmation_url)
    return redirect(f"{reverse('billing:return')}?payment={payment.pk}")


def _change_to(request, organization, plan):
    current = selectors.subscription_current(organization=organization)
    if current is None or current.plan_id == plan.pk:
        messages.info(request, _("You are on this plan already."))
        return redirect(_billing_url(organization))
    try:
        subscription_change_plan(subscription=current, plan=plan, user=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your plan changes to {plan} at the end of the period.").format(plan=plan.name))
    return redirect(_billing_url(organization))


@login_required
def stub_checkout(request, pk: int):
    """Test mode's stand-in for a provider's payment page (only with KONTORA_BILLING_STUB_CHECKOUT on)."""
    if not stub_checkout_enabled():
        raise Http404
    payment = _visible_payment(request.user, pk)
    if not payment.metadata.get("stub"):
        raise Http404
    return_url = f"{reverse('billing:return')}?payment={payment.pk}"
    if request.method == "POST":
        outcome = request.POST.get("outcome")
        if outcome in ("pay", "decline") and payment.status == PaymentStatus.PENDING:
            stub_payment_complete(payment=payment, succeeded=outcome == "pay")
        return redirect(return_url)
    subscription = subscription_of_payment(payment)
    return render(
        request,
        "billing/stub_checkout.html",
        {"payment": payment, "subscription": subscription, "return_url": return_url},
    )


# --- the return page --------------------------------------------------------------------------------------------


def _status_context(payment: Payment) -> dict:
    return {
        "payment": payment,
        "is_final": payment.is_final,
        "succeeded": payment.status == PaymentStatus.SUCCEEDED,
    }


@login_required
@require_GET
def payment_return(request):
    """Where the provider sends the customer back: the payment's status, updated live (static/billing/return.js)."""
    raw = request.GET.get("payment", "")
    if raw.isdigit():
        payment = _visible_payment(request.user, int(raw))
    else:
        # Providers return without our id (YooKassa's return_url is fixed per payment, Stripe's too): the
        # user's latest checkout payment is the one they come back from.
        ids = organization_ids(request.user)
        subscriptions = (
            Subscription.objects.all() if ids is None else Subscription.objects.filter(organization_id__in=ids)
        )
        payment = (
            Payment.objects.filter(
                purpose_type=SUBSCRIPTION_PURPOSE,
                purpose_id__in=[str(pk) for pk in subscriptions.values_list("pk", flat=True)],
                created_by=request.user,
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if payment is None:
            raise Http404
    subscription = subscription_of_payment(payment)
    context = _status_context(payment)
    context.update(
        {
            "subscription": subscription,
            "status_labels": json.dumps({value: str(label) for value, label in PaymentStatus.choices}),
            "billing_url": _billing_url(subscription.organization) if subscription else reverse("billing:pricing"),
        }
    )
    return render(request, "billing/return.html", context)


@login_required
@require_GET
def payment_status(request, pk: int):
    """The payment's status as JSON: the return page's fallback when the live connection is down."""
    payment = _visible_payment(request.user, pk)
    response = JsonResponse(
        {
            "payment": payment.pk,
            "status": payment.status,
            "status_label": str(PaymentStatus(payment.status).label),
            "final": payment.is_final,
        }
    )
    response["Cache-Control"] = "no-store"
    return response


# --- the organization's billing page --------------------------------------------------------------------------


@login_required
@require_GET
def account(request):
    organization = _organization(request)
    subscription = selectors.subscription_current(organization=organization)
    awaiting = (
        Subscription.objects.filter(organization=organization, status="incomplete")
        .select_related("plan", "price__currency")
        .first()
    )
    plan = selectors.plan_of(organization=organization)
    usage = [
        {"line": line, "width": min(100, int(line.percent)) if line.percent is not None else 0}
        for line in selectors.usage_summary(organization=organization)
    ]
    other_plans = [p for p in selectors.plan_list() if plan is None or p.pk != plan.pk]
    context = {
        "organization": organization,
        "organizations": list(_organizations(request.user).values_list("slug", "name")[:50]),
        "subscription": subscription,
        "awaiting": awaiting,
        "plan": plan,
        "usage": usage,
        "payments": list(_payments_of(organization)[:50]),
        "other_plans": other_plans,
        "can_manage": _may_manage(request.user, organization),
    }
    return render(request, "billing/account.html", context)


def _subscription_action(request, action):
    organization = _organization(request)
    if not _may_manage(request.user, organization):
        raise PermissionDenied(_("Only the organization's owner or administrator can change its plan."))
    subscription = selectors.subscription_current(organization=organization)
    if subscription is None:
        raise Http404
    try:
        message = action(subscription, organization)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, message)
    return redirect(_billing_url(organization))


@login_required
@require_POST
def subscription_cancel_view(request):
    def cancel(subscription, organization):
        subscription_cancel(subscription=subscription, at_period_end=True, user=request.user)
        return _("The subscription ends at the end of the paid period; until then nothing changes.")

    return _subscription_action(request, cancel)


@login_required
@require_POST
def subscription_resume_view(request):
    def resume(subscription, organization):
        subscription_resume(subscription=subscription, user=request.user)
        return _("The subscription will renew as before.")

    return _subscription_action(request, resume)


# --- PDFs -------------------------------------------------------------------------------------------------------


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def receipt_pdf(request, pk: int):
    payment = _visible_payment(request.user, pk)
    if payment.status != PaymentStatus.SUCCEEDED:
        raise Http404
    content = pdf.receipt_pdf(payment=payment, language=translation.get_language())
    return _pdf_response(content, f"receipt-{payment.pk}.pdf")


@login_required
@require_GET
def invoice_pdf(request, pk: int):
    subscription = get_object_or_404(
        scope(Subscription.objects.select_related("plan", "price__currency", "organization"), request.user), pk=pk
    )
    content = pdf.invoice_pdf(subscription=subscription, language=translation.get_language())
    return _pdf_response(content, f"invoice-{subscription.pk}.pdf")
