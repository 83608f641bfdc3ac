"""`policy-guard validate-policy`: findings about one policy document, like Access Analyzer's.

Exit 0 when no finding is an ERROR, 1 when one is, 2 (through the CLI's error boundary) when
the file cannot be read as a policy: missing, not UTF-8, or not JSON/YAML.
"""

from __future__ import annotations

import argparse
import sys

from policy_guard.checks.validation import validate_document
from policy_guard.commands.documents import (
    add_output_argument,
    add_policy_type_argument,
    add_timeout_argument,
    policy_type_from,
    read_document_argument,
)
from policy_guard.report.validation import FORMATTERS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-document",
        required=True,
        metavar="FILE",
        help="the policy: a path, file://path, or - for standard input (JSON or YAML)",
    )
    add_policy_type_argument(parser)
    add_output_argument(parser)
    add_timeout_argument(parser)


def run(args: argparse.Namespace) -> int:
    document = read_document_argument(args.policy_document)
    validation = validate_document(document, policy_type_from(args))
    sys.stdout.write(FORMATTERS[args.output](validation))
    return 1 if validation.has_errors else 0
