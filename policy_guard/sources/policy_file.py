"""A bare policy document: the whole file is one policy (`{"Version": ..., "Statement": ...}`)."""

from __future__ import annotations

from policy_guard.document.values import Decoded
from policy_guard.policy.parse import is_policy_document
from policy_guard.sources.base import FoundPolicy


class PolicyFileSource:
    name = "policy-file"

    def find(self, document: Decoded) -> tuple[FoundPolicy, ...] | None:
        if not is_policy_document(document.value):
            return None
        return (FoundPolicy("", document),)
