"""Billing's pages, under the language prefix: /ru/billing/, /en/billing/ (webhooks are mounted elsewhere,
outside the language prefix)."""

from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.account, name="account"),
    path("pricing/", views.pricing, name="pricing"),
    path("checkout/", views.checkout, name="checkout"),
    path("checkout/stub/<int:pk>/", views.stub_checkout, name="stub-checkout"),
    path("return/", views.payment_return, name="return"),
    path("payments/<int:pk>/status/", views.payment_status, name="payment-status"),
    path("payments/<int:pk>/receipt.pdf", views.receipt_pdf, name="receipt-pdf"),
    path("subscriptions/<int:pk>/invoice.pdf", views.invoice_pdf, name="invoice-pdf"),
    path("subscription/cancel/", views.subscription_cancel_view, name="cancel"),
    path("subscription/resume/", views.subscription_resume_view, name="resume"),
]
