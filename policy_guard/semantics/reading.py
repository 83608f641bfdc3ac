"""A reading: the choices AWS documents as depending on the service, made for one request.

Where the IAM documentation says that AWS *might* do one thing or another (depending on the
service, or on facts about the principal that no policy shows), policy-guard does not guess: a
request carries a `Reading`, the evaluator decides under it, and the encoder leaves it free, the
same for every policy of a question (old and new are read alike, so identical policies are
always equivalent). A PASS therefore holds under every reading; a counterexample states the
reading it needs (`describe`). docs/semantics.md, "Readings", gives each choice's source.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from itertools import product
from typing import Any


@dataclass(frozen=True)
class Reading:
    """One choice for each documented ambiguity; the defaults are the usual reading.

    - `checks_account`: a NotPrincipal check covers the principal's account too (its account
      must be listed for the principal to be excepted); "AWS might validate the account first".
    - `checks_role`: for a role session, the NotPrincipal check covers its role too.
    - `role_names_sessions`: a NotPrincipal entry naming a role excepts the role's sessions.
    - `permissions_boundary`: the principal (an IAM user or role session) has a permissions
      boundary attached, so a NotPrincipal Deny denies it whatever the list says.
    - `arn_prefix_case_folded`: a pattern's partition, service and region match without case
      (Resource/NotResource and the Arn condition operators: the pattern's are lower-cased,
      `fold_arn_prefix`; the ARNs AWS puts in requests have them in lower case).
    """

    checks_account: bool = True
    checks_role: bool = False
    role_names_sessions: bool = False
    permissions_boundary: bool = False
    arn_prefix_case_folded: bool = False

    @property
    def usual(self) -> bool:
        return self == USUAL

    def describe(self) -> str:
        """The conditions a counterexample needs, in words ("" for the usual reading)."""
        parts = []
        if not self.checks_account:
            parts.append("the service checks the principal without its account")
        if self.checks_role:
            parts.append("the service checks the session's role too")
        if self.role_names_sessions:
            parts.append("a listed role excepts its sessions")
        if self.permissions_boundary:
            parts.append("the principal has a permissions boundary")
        if self.arn_prefix_case_folded:
            parts.append("ARN partitions, services and regions match without case")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {_camel(f.name): getattr(self, f.name) for f in fields(self)}

    @staticmethod
    def from_json(value: Any) -> Reading:
        """The reading of a JSON object (`checksAccount`, ...); missing choices are usual."""
        if not isinstance(value, dict):
            return USUAL
        names = {_camel(f.name): f.name for f in fields(Reading)}
        return Reading(**{names[k]: bool(v) for k, v in value.items() if k in names})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


USUAL = Reading()


def every_reading() -> tuple[Reading, ...]:
    """All readings, the usual one first, then by how many choices differ from it."""
    count = len(fields(Reading))
    found = [Reading(*choice) for choice in product((True, False), repeat=count)]
    found.sort(key=lambda r: sum(getattr(r, f.name) != getattr(USUAL, f.name) for f in fields(r)))
    return tuple(found)


def fold_arn_prefix(text: str) -> str:
    """`text` with an ARN's partition, service and region lower-cased (other text unchanged):
    under `arn_prefix_case_folded`, a policy's ARN patterns are read so."""
    if not text.startswith("arn:"):
        return text
    parts = text.split(":", 4)
    return ":".join(p.lower() if 0 < i < 4 else p for i, p in enumerate(parts))
