"""Placeholder: replaced by the module that implements this command."""

from __future__ import annotations

import argparse

from policy_guard.errors import UndecidedError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs="*")


def run(args: argparse.Namespace) -> int:
    raise UndecidedError("this command is not implemented yet")
