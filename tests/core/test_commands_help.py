"""Every management command of the project explains itself with ``--help``, in each language."""

from __future__ import annotations

import contextlib
import io

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.utils import translation

PROJECT_COMMANDS = sorted((name, app) for name, app in get_commands().items() if app.startswith("apps."))


def test_the_project_has_commands():
    names = {name for name, _app in PROJECT_COMMANDS}
    assert {"seed_demo", "ledger_export", "ledger_verify"} <= names


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
@pytest.mark.parametrize(("name", "app"), PROJECT_COMMANDS)
def test_help_prints_usage_and_options(name, app, language):
    command = load_command_class(app, name)
    out = io.StringIO()
    with translation.override(language), contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        command.run_from_argv(["manage.py", name, "--help"])
    assert exit_.value.code == 0
    assert f"usage: manage.py {name}" in out.getvalue()
    assert "--help" in out.getvalue()
