"""The site's menu leads to the books' dashboard, and the admin's header has one link back to the site."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from apps.core.accounts.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client, organization, member_of):
    client.force_login(member_of(organization, role=Role.BOOKKEEPER))
    return client


def test_the_site_menu_links_to_the_books_dashboard(member):
    with translation.override("en"):
        home, dashboard = reverse("pages:home"), reverse("ledger:dashboard")

    page = member.get(home, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    menu = re.search(r'<nav aria-label="Main" class="main-nav">(.*?)</nav>', page, re.S).group(1)
    assert f'<a href="{dashboard}">Books</a>' in menu


def test_the_russian_menu_names_the_books_in_russian(member):
    with translation.override("ru"):
        home, dashboard = reverse("pages:home"), reverse("ledger:dashboard")

    page = member.get(home, HTTP_ACCEPT_LANGUAGE="ru").content.decode()

    assert f'<a href="{dashboard}">Учёт</a>' in page


def test_the_admin_header_has_one_link_to_the_site(member):
    page = member.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    tools = re.search(r'<div id="user-tools">(.*?)</div>', page, re.S).group(1)
    assert "View site" not in tools
    assert tools.count(">Site</a>") == 1
