"""A short summary of the fuzz run: each failing operation and the kinds of failure it showed."""

from __future__ import annotations

import re

_FAILURE = re.compile(r"^\s*(?:\|\s*)*- (ST\d+ [^\n]+)$", re.MULTILINE)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if config.getoption("markexpr", "") != "fuzz":
        return
    passed = terminalreporter.stats.get("passed", [])
    failed = terminalreporter.stats.get("failed", [])
    if not passed and not failed:
        return
    terminalreporter.section("schemathesis summary")
    for report in failed:
        operation = report.head_line or report.nodeid
        kinds = sorted(set(_FAILURE.findall(report.longreprtext))) or ["error (see above)"]
        terminalreporter.write_line(f"FAILED {operation}: {'; '.join(kinds)}")
    terminalreporter.write_line(
        f"{len(passed) + len(failed)} operations fuzzed, {len(passed)} passed, {len(failed)} with failures"
    )
