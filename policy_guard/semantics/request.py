"""A concrete request: what the evaluator decides, and what every counterexample is.

JSON shape (shared by `simulate`, check reasons and reports):
`{"principal": ARN | service principal | "anonymous" | null, "action": ..., "resource": ...,
"context": {key: value or [values]}}`; keys absent from the request are absent from context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policy_guard.errors import InputError
from policy_guard.semantics.reading import USUAL, Reading


@dataclass(frozen=True)
class Request:
    """One request. Context keys keep the case they were given in; lookups ignore case.
    `reading`: the choices AWS leaves to the service (`semantics.reading`)."""

    action: str
    resource: str
    principal: str | None = None
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    reading: Reading = USUAL

    def context_values(self, key: str) -> tuple[str, ...] | None:
        """The values of `key` (case-insensitive), or None when the key is absent."""
        lowered = key.lower()
        for name, values in self.context.items():
            if name.lower() == lowered:
                return values
        return None

    def to_json(self) -> dict[str, Any]:
        """The request; `reading` (and its words, `readingNote`) only when it is not the usual."""
        result: dict[str, Any] = {
            "principal": self.principal,
            "action": self.action,
            "resource": self.resource,
            "context": {k: (v[0] if len(v) == 1 else list(v)) for k, v in self.context.items()},
        }
        if not self.reading.usual:
            result["reading"] = self.reading.to_json()
            result["readingNote"] = f"if {self.reading.describe()}"
        return result

    @staticmethod
    def from_json(value: Mapping[str, Any]) -> Request:
        context: dict[str, tuple[str, ...]] = {}
        for key, raw in dict(value.get("context") or {}).items():
            context[key] = tuple(str(v) for v in raw) if isinstance(raw, list) else (str(raw),)
        return Request(
            str(value["action"]),
            str(value["resource"]),
            value.get("principal"),
            context,
            Reading.from_json(value.get("reading")),
        )


def parse_context_arguments(pairs: list[str]) -> dict[str, tuple[str, ...]]:
    """`KEY=VALUE` pairs as given on the command line; a key given twice is multi-valued.

    The key's case is taken from its first mention; later mentions in any case add values.
    """
    context: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"`--context {pair}` must be KEY=VALUE")
        key = key.strip()
        name = names.setdefault(key.lower(), key)
        context.setdefault(name, []).append(value)
    return {k: tuple(v) for k, v in context.items()}
