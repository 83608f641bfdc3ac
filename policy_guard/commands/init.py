"""`policy-guard init`: adopt policy-guard in a repository in one step.

Looks at what the repository holds (a sweep with the default configuration: bare policies,
CloudFormation/SAM/CDK templates, AWS CLI output), writes a commented `.policy-guard.yaml`
with every check on and a starter list of critical permissions (privilege escalation and
credential exposure, from the CC0 list of primeharbor/sensitive_iam_actions shipped in
`workflow/data/`, kept to the actions today's catalogue knows), then writes the baseline
(`policy-guard baseline`) so that the repository passes on the day it adopts the tool and only
new findings fail. Refuses to overwrite a configuration without `--force`. Prints what it did
and what to commit. The two files are the only ones it writes, because the user asked.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from datetime import date
from importlib import resources

from policy_guard.commands.baseline import write_baseline
from policy_guard.errors import InputError
from policy_guard.workflow.baseline import BASELINE_FILE
from policy_guard.workflow.config import CONFIG_FILE
from policy_guard.workflow.results import RunReport

STARTER_LISTS = (
    ("privilege-escalation", "PrivEsc", "lets a principal raise its own permissions"),
    ("credential-exposure", "CredentialExposure", "hands out credentials or secrets"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help=f"overwrite an existing {CONFIG_FILE}")


def starter_permissions() -> list[tuple[str, str, list[str]]]:
    """The starter critical permissions: (id, description, actions), each action one the
    catalogue knows (a retired one would make the configuration an error)."""
    from policy_guard.policy.catalogue import action_exists

    text = resources.files("policy_guard.workflow").joinpath("data/sensitive-actions.json")
    data = json.loads(text.read_text("utf-8"))
    return [
        (entry_id, description, [a for a in data[key] if action_exists(a)])
        for entry_id, key, description in STARTER_LISTS
    ]


def render_config(found: str) -> str:
    """The configuration `init` writes: every check on, the starter lists, comments that say
    where the rest is documented."""
    lines = [
        f"# policy-guard configuration, written by `policy-guard init` on {date.today()}.",
        "# Every key is documented in config.example.yaml (in policy-guard's repository).",
        f"# Found at adoption: {found}.",
        "",
        "checks:",
        "  no-new-access: error        # a change that grants access its base did not",
        "  critical-permission: error  # a policy that grants one of the permissions below",
        "  public-access: error        # resource policies whose resource type is known",
        "  external-access: error      # runs once trusted_accounts is set",
        "  validation: warning         # problems Access Analyzer's ValidatePolicy reports",
        "",
        "# new_files: accept           # a policy with no base version: accept | fail |",
        "#                             # compare-with-empty (everything it grants is new)",
        "",
        "critical_permissions:",
    ]
    for entry_id, description, actions in starter_permissions():
        lines += [
            f"  - id: {entry_id}",
            f"    description: {json.dumps(description)}",
            "    actions:",
            *(f"      - {json.dumps(action)}" for action in actions),
        ]
    lines += [
        "",
        "# The accounts and organization that count as yours for external-access:",
        '# trusted_accounts: ["111122223333"]',
        "# trusted_organization: o-a1b2c3d4e5",
        "",
        "# Bare resource-policy files whose resource type the public-access check should use",
        "# (templates name their resource types themselves):",
        "# public_access:",
        "#   resource_types:",
        '#     "buckets/**": AWS::S3::Bucket',
        "",
    ]
    return "\n".join(lines)


def _survey(report: RunReport) -> str:
    """What the adoption sweep found, in a few words."""
    policies = [p for f in report.files for p in f.policies]
    kinds = Counter(p.policy_type or "unknown" for p in policies)
    files = len({f.path for f in report.files if f.policies})
    if not policies:
        return "no policy in any file the default globs select"
    by_kind = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    return f"{len(policies)} policies ({by_kind}) in {files} files"


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def run(args: argparse.Namespace) -> int:
    from policy_guard.workflow.staged import toplevel

    root = toplevel(os.getcwd()) or os.getcwd()
    target = os.path.join(root, CONFIG_FILE)
    if os.path.exists(target) and not args.force:
        raise InputError(f"{CONFIG_FILE} exists already: pass `--force` to overwrite it")
    _write(target, render_config("(being surveyed)"))
    written, count, report = write_baseline(root, None, None, jobs=os.cpu_count() or 1)
    found = _survey(report)
    _write(target, render_config(found))
    print(f"policy-guard: found {found}")
    print(f"policy-guard: wrote {CONFIG_FILE} (every check on, starter critical permissions)")
    print(f"policy-guard: wrote {written} with {count} finding(s) accepted as they are today")
    print(f"next: review both files, then `git add {CONFIG_FILE} {BASELINE_FILE}` and commit;")
    print("      from then on only new findings fail (`policy-guard baseline` rewrites it)")
    return 0
