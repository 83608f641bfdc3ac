"""The check registry: well-formed entries, and every id the package reports is registered."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from policy_guard.checks.registry import CHECKS, PROJECT_URL, check_index, check_info
from policy_guard.workflow.results import Severity

PACKAGE = Path(__file__).resolve().parents[1] / "policy_guard"


def test_ids_and_names_are_unique_and_well_formed() -> None:
    ids = [c.id for c in CHECKS]
    names = [c.name for c in CHECKS]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for info in CHECKS:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", info.id), info.id
        assert re.fullmatch(r"(?:[A-Z][a-z]+)+", info.name), info.name


def test_summaries_are_one_sentence_and_help_links_point_at_the_readme() -> None:
    for info in CHECKS:
        assert info.summary[0].isupper() and info.summary.endswith("."), info.id
        assert ". " not in info.summary.rstrip("."), info.id
        assert len(info.description) > len(info.summary)
        assert info.help_url == f"{PROJECT_URL}#{info.id}"


def test_access_checks_and_failures_default_to_errors() -> None:
    errors = {c.id for c in CHECKS if c.default_severity is Severity.ERROR}
    assert {"no-new-access", "critical-permission", "public-access", "undecided"} <= errors


def test_lookup() -> None:
    assert check_info("public-access").name == "PublicAccess"
    assert CHECKS[check_index("undecided")].id == "undecided"
    with pytest.raises(KeyError, match="`no-such-check`"):
        check_info("no-such-check")


def _issue_check_literals() -> set[tuple[str, str]]:
    """(file, check id) for every `Issue("check-id", ...)` written in the package, where
    `Issue` is the workflow run's (other modules may have an `Issue` of their own)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(
            isinstance(node, ast.ImportFrom)
            and node.module == "policy_guard.workflow.results"
            and any(alias.name == "Issue" and alias.asname is None for alias in node.names)
            for node in ast.walk(tree)
        ):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Issue"):
                continue
            first = (
                node.args[0]
                if node.args
                else next((k.value for k in node.keywords if k.arg == "check"), None)
            )
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add((path.relative_to(PACKAGE).as_posix(), first.value))
    return found


def test_every_check_id_the_package_reports_is_registered() -> None:
    registered = {c.id for c in CHECKS}
    literals = _issue_check_literals()
    unknown = sorted((f, c) for f, c in literals if c not in registered)
    assert unknown == []
    assert len(literals) >= 2  # the scan finds the runner's issues (not a test that cannot fail)
