"""`validate-policy` output: the findings as AWS's ValidatePolicy JSON, or as one line each.

JSON keeps AWS's shape (`findingType`, `issueCode`, `findingDetails`, `learnMoreLink`,
`locations[].path` of `{"value": ...}`/`{"index": ...}`, `locations[].span` with 1-based lines
and 0-based columns), so tools written for `aws accessanalyzer validate-policy` read it. Text
gives `file:line:col: TYPE ISSUE_CODE details` with a 1-based column, as compilers print it,
then a summary line. Both are pure functions of the validation.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from policy_guard.checks.validation import Validation, issue_code_for
from policy_guard.document.values import Path, Span
from policy_guard.policy.findings import Finding, FindingType

_PLURALS = (
    (FindingType.ERROR, "error", "errors"),
    (FindingType.SECURITY_WARNING, "security warning", "security warnings"),
    (FindingType.WARNING, "warning", "warnings"),
    (FindingType.SUGGESTION, "suggestion", "suggestions"),
)


def _path_elements(path: Path) -> list[dict[str, Any]]:
    return [{"index": e} if isinstance(e, int) else {"value": e} for e in path]


def _span(span: Span) -> dict[str, Any]:
    return {
        "start": {"line": span.line, "column": span.column},
        "end": {"line": span.end_line, "column": span.end_column},
    }


def finding_json(validation: Validation, finding: Finding) -> dict[str, Any]:
    """One finding in ValidatePolicy's JSON shape."""
    issue = issue_code_for(finding.issue_code)
    result: dict[str, Any] = {
        "findingType": finding.finding_type.value,
        "issueCode": finding.issue_code,
        "findingDetails": finding.details,
    }
    if issue is not None:
        result["learnMoreLink"] = issue.learn_more_link
    span = validation.document.span_of(finding.path)
    result["locations"] = [{"path": _path_elements(finding.path), "span": _span(span)}]
    return result


def format_json(validation: Validation) -> str:
    findings = [finding_json(validation, f) for f in validation.findings]
    return json.dumps({"findings": findings}, indent=2, ensure_ascii=False) + "\n"


def summary(validation: Validation) -> str:
    """`file: 1 error, 0 security warnings, 2 warnings, 0 suggestions` (or `no findings`)."""
    name = validation.document.filename
    if not validation.findings:
        return f"{name}: no findings"
    counts = Counter(f.finding_type for f in validation.findings)
    parts = [f"{counts[t]} {one if counts[t] == 1 else many}" for t, one, many in _PLURALS]
    return f"{name}: {', '.join(parts)}"


def format_text(validation: Validation) -> str:
    lines = []
    for finding in validation.findings:
        span = validation.document.span_of(finding.path)
        where = f"{validation.document.filename}:{span.line}:{span.column + 1}"
        lines.append(
            f"{where}: {finding.finding_type.value} {finding.issue_code} {finding.details}"
        )
    lines.append(summary(validation))
    return "\n".join(lines) + "\n"


FORMATTERS: Mapping[str, Callable[[Validation], str]] = MappingProxyType(
    {"json": format_json, "text": format_text}
)
