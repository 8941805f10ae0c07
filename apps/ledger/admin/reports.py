"""Admin of the ledger: reports. Pages under /admin/ledger/reports/ for every member:

- an index (``admin:ledger_reports``) and one page per report: profit and loss, balance sheet, trial
  balance, cash flow, account statement (``admin:ledger_report_<name>``);
- a filter form (organization, dates, project, category, counterparty, currency; grouping and period for
  the P&L; the account for a statement) whose choices are the user's organizations' rows only, checked
  against the chosen organization;
- the report as a table, and CSV / XLSX buttons that download the same report (``?download=csv``).

The pages are plain views added in front of the admin site's URLs (there is no model to hang them on) and
wrapped in ``admin_view``, so they need a signed-in member like every admin page. A panel on the admin home
links them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from apps.core.accounts.tenancy import scope
from apps.core.admin_kit import dashboards
from apps.core.admin_kit.base import admin_page_media
from apps.core.forms import DateField
from apps.core.models import Currency, Organization

from ..models import Account, Category, Counterparty, InvoiceKind, Project
from ..reports import (
    MissingRate,
    ReportFilters,
    account_statement,
    balance_sheet,
    cash_flow,
    files,
    profit_and_loss,
    trial_balance,
)
from ..reports.aging import BUCKET_LABELS, BUCKETS, aging_report
from ..reports.profit_and_loss import GROUPINGS, PERIODS

STATEMENT_PAGE = 100


@dataclass(frozen=True)
class ReportPage:
    key: str  # URL part and name: admin:ledger_report_<key with underscores>
    title: str
    description: str
    template: str  # the table, under templates/ledger/reports/


REPORTS = [
    ReportPage(
        "profit-and-loss",
        gettext_lazy("Profit and loss"),
        gettext_lazy("Income and expenses of a period, by account, project, category or counterparty; by month."),
        "ledger/reports/profit_and_loss.html",
    ),
    ReportPage(
        "balance-sheet",
        gettext_lazy("Balance sheet"),
        gettext_lazy("Assets, liabilities and equity at a date, with the earnings not yet closed."),
        "ledger/reports/balance_sheet.html",
    ),
    ReportPage(
        "trial-balance",
        gettext_lazy("Trial balance"),
        gettext_lazy("Opening balance, debits, credits and closing balance of every account."),
        "ledger/reports/trial_balance.html",
    ),
    ReportPage(
        "cash-flow",
        gettext_lazy("Cash flow"),
        gettext_lazy("Money in and out of the cash and bank accounts, by category (direct method)."),
        "ledger/reports/cash_flow.html",
    ),
    ReportPage(
        "account-statement",
        gettext_lazy("Account statement"),
        gettext_lazy("The entries of one account with the running balance."),
        "ledger/reports/statement.html",
    ),
    ReportPage(
        "aging",
        gettext_lazy("Aging"),
        gettext_lazy("What customers owe and what is owed to suppliers, by how long it is overdue."),
        "ledger/reports/aging.html",
    ),
]
BY_KEY = {page.key: page for page in REPORTS}


def url_name(key: str) -> str:
    return f"ledger_report_{key.replace('-', '_')}"


# --- the filter form -----------------------------------------------------------------------------------------


class _ScopedChoice(forms.ModelChoiceField):
    """A row of the user's organizations, labelled with its organization when the user has several."""

    def __init__(self, *args, show_organization: bool = False, **kwargs):
        self.show_organization = show_organization
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj) -> str:
        return f"{obj} · {obj.organization.name}" if self.show_organization else str(obj)


class ReportForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), to_field_name="slug", label=gettext_lazy("Organization"), empty_label=None
    )
    date_from = DateField(label=gettext_lazy("From"), required=False, widget=AdminDateWidget)
    date_to = DateField(label=gettext_lazy("To"), required=False, widget=AdminDateWidget)
    project = _ScopedChoice(queryset=Project.objects.none(), required=False, label=gettext_lazy("Project"))
    category = _ScopedChoice(
        queryset=Category.objects.none(),
        required=False,
        label=gettext_lazy("Category"),
        help_text=gettext_lazy("Includes its subcategories."),
    )
    counterparty = _ScopedChoice(
        queryset=Counterparty.objects.none(), required=False, label=gettext_lazy("Counterparty")
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), required=False)

    def __init__(self, data, *, user, page: ReportPage):
        super().__init__(data)
        self.page = page
        organizations = scope(Organization.objects.all(), user).order_by("name")
        self.fields["organization"].queryset = organizations
        several = organizations.count() > 1
        for name, model in (("project", Project), ("category", Category), ("counterparty", Counterparty)):
            field = self.fields[name]
            field.queryset = scope(model.objects.select_related("organization"), user).order_by("name", "pk")
            field.show_organization = several
        self.fields["currency"].choices = [("", _("Reporting currency (every entry converted)"))] + [
            (code, _("Only entries in {code}").format(code=code))
            for code in Currency.objects.filter(is_active=True).values_list("code", flat=True)
        ]
        if page.key == "profit-and-loss":
            self.fields["group_by"] = forms.ChoiceField(
                label=gettext_lazy("Rows"), choices=list(GROUPINGS.items()), required=False
            )
            self.fields["period"] = forms.ChoiceField(
                label=gettext_lazy("Columns"),
                choices=[("", pgettext_lazy("period", "The whole period"))] + list(PERIODS.items()),
                required=False,
            )
        if page.key == "account-statement":
            self.fields["account"] = _ScopedChoice(
                queryset=scope(Account.objects.select_related("organization"), user).order_by("code", "pk"),
                label=gettext_lazy("Account"),
                show_organization=several,
            )
        if page.key == "balance-sheet":
            del self.fields["date_from"]
            self.fields["date_to"].label = gettext_lazy("As of")
        if page.key == "aging":
            # Invoices in their own currencies (never converted), by counterparty: no period, project or category.
            for name in ("date_from", "project", "category", "currency"):
                del self.fields[name]
            self.fields["date_to"].label = gettext_lazy("As of")
            self.fields["kind"] = forms.ChoiceField(
                label=gettext_lazy("Invoices"),
                choices=[
                    (InvoiceKind.RECEIVABLE, gettext_lazy("Receivables: what customers owe")),
                    (InvoiceKind.PAYABLE, gettext_lazy("Payables: what is owed to suppliers")),
                ],
                required=False,
            )

    def clean(self):
        data = super().clean()
        organization = data.get("organization")
        if organization is None:
            return data
        for name in ("project", "category", "counterparty", "account"):
            row = data.get(name)
            if row is not None and row.organization_id != organization.pk:
                self.add_error(name, _("This belongs to another of your organizations."))
        today = organization.today()
        data["date_to"] = data.get("date_to") or today
        if "date_from" in self.fields:
            start = data["date_to"].replace(day=1) if self.page.key == "account-statement" else None
            data["date_from"] = data.get("date_from") or start or data["date_to"].replace(month=1, day=1)
            if data["date_from"] > data["date_to"]:
                self.add_error("date_from", _("The start date must not be after the end date."))
        return data

    def arguments(self) -> dict:
        data = self.cleaned_data
        if self.page.key == "aging":
            counterparty = data.get("counterparty")
            return {
                "organization": data["organization"],
                "kind": data.get("kind") or InvoiceKind.RECEIVABLE,
                "as_of": data["date_to"],
                "counterparty": counterparty,
            }
        arguments = {
            "organization": data["organization"],
            "date_from": data.get("date_from"),
            "date_to": data["date_to"],
            "filters": ReportFilters(
                project=getattr(data.get("project"), "pk", None),
                category=getattr(data.get("category"), "pk", None),
                counterparty=getattr(data.get("counterparty"), "pk", None),
            ),
            "currency": data.get("currency") or None,
        }
        if self.page.key == "profit-and-loss":
            arguments["group_by"] = data.get("group_by") or "account"
            arguments["period"] = data.get("period") or None
        if self.page.key == "account-statement":
            arguments["account"] = data["account"]
        return arguments


def _aging(*, organization, kind: str, as_of, counterparty=None):
    report = aging_report(
        organization=organization,
        kind=kind,
        as_of=as_of,
        counterparties=[counterparty.pk] if counterparty is not None else None,
    )
    if counterparty is not None:
        report.filters = {"counterparty": counterparty.name}
    return report


BUILDERS = {
    "profit-and-loss": profit_and_loss,
    "balance-sheet": balance_sheet,
    "trial-balance": trial_balance,
    "cash-flow": cash_flow,
    "account-statement": account_statement,
    "aging": _aging,
}


# --- views ---------------------------------------------------------------------------------------------------


def _context(request, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, "reports": _links(), **extra}


def _links() -> list[dict]:
    return [
        {"title": page.title, "description": page.description, "url": reverse(f"admin:{url_name(page.key)}")}
        for page in REPORTS
    ]


def reports_index(request):
    return TemplateResponse(request, "admin/ledger/reports/index.html", _context(request, _("Reports of the books")))


def report_view(request, key: str):
    page = BY_KEY[key]
    data = request.GET.copy()
    form = ReportForm(data, user=request.user, page=page)
    if not data.get("organization"):
        # First visit: the user's first organization and the default dates, shown as the form's values.
        first = form.fields["organization"].queryset.first()
        if first is not None:
            data["organization"] = first.slug
        form = ReportForm(data, user=request.user, page=page)
    report = rows = None
    if key == "account-statement" and not data.get("account"):
        form.is_valid()  # show the other fields' values; the account is yet to be chosen
        form.errors.pop("account", None)
    elif form.is_valid():
        try:
            report = BUILDERS[key](**form.arguments())
        except MissingRate as error:
            form.add_error(None, error)
        except ValidationError as error:
            for field, messages in getattr(error, "message_dict", {None: error.messages}).items():
                form.add_error(field if field in form.fields else None, messages)
        else:
            fmt = request.GET.get("download")
            if fmt in files.FORMATS:
                try:
                    dialect = files.requested_dialect(request, for_person=True)
                except ValidationError as error:
                    form.add_error(None, error.message_dict["dialect"])
                else:
                    return files.download(request, report, fmt, dialect=dialect)
            if key == "account-statement":
                rows = Paginator(report.rows, STATEMENT_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("download", None)
    query.pop("page", None)
    context = _context(
        request,
        str(page.title),
        page=page,
        form=form,
        report=report,
        rows=rows,
        precision=f"{report.header.precision}g" if report else "2g",  # floatformat: decimals, grouped
        own=f"{report.account.precision}g" if key == "account-statement" and report else "2g",
        query=query.urlencode(),
        media=admin_page_media(form.media),
        buckets=[BUCKET_LABELS[bucket] for bucket in BUCKETS],
    )
    return TemplateResponse(request, "admin/ledger/reports/report.html", context)


def report_urls() -> list:
    wrap = admin.site.admin_view
    urls = [path("ledger/reports/", wrap(reports_index), name="ledger_reports")]
    for page in REPORTS:
        urls.append(path(f"ledger/reports/{page.key}/", wrap(report_view), {"key": page.key}, name=url_name(page.key)))
    return urls


def _install(site) -> None:
    """Put the report pages in front of the site's own URLs (before its catch-all), once."""
    if getattr(site, "_ledger_reports_installed", False):
        return
    original = site.get_urls

    def get_urls():
        return report_urls() + original()

    site.get_urls = get_urls
    site._ledger_reports_installed = True


_install(admin.site)


# --- the panel on the admin home -------------------------------------------------------------------------------


def _panel(request) -> dict:
    return {"reports": _links(), "index": reverse("admin:ledger_reports")}


dashboards.register(
    dashboards.Dashboard(
        app_label="ledger_reports",
        title=gettext_lazy("Reports of the books"),
        template="admin/ledger/reports/dashboard.html",
        context=_panel,
        order=60,
    )
)
