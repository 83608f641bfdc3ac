"""The access diff's formatters: grouping by service, the cap and its count, access outside the
catalogue, undecided directions, new policies, one statement's share, and the JSON shape."""

from __future__ import annotations

from policy_guard.checks.access_diff import AccessDiff, ActionChange, ActionChanges, StatementRef
from policy_guard.report.access_diff import (
    change_json,
    diff_json,
    listed,
    service_groups,
    summary,
    text_lines,
)
from policy_guard.semantics.request import Request

FIRST, SECOND = StatementRef(0, "Read"), StatementRef(1, None)
EXAMPLE = Request("s3:GetObject", "arn:aws:s3:::b/k")


def change(action: str, *statements: StatementRef, **more: object) -> ActionChange:
    return ActionChange(action, statements or (FIRST,), EXAMPLE, **more)  # type: ignore[arg-type]


def changes(*actions: str) -> tuple[ActionChange, ...]:
    return tuple(change(a) for a in actions)


def test_services_with_more_actions_come_first_and_actions_sort_by_name() -> None:
    groups = service_groups(changes("sqs:SendMessage", "s3:PutObject", "s3:DeleteBucket"))
    assert [(s, [c.action for c in found]) for s, found in groups] == [
        ("s3", ["s3:DeleteBucket", "s3:PutObject"]),
        ("sqs", ["sqs:SendMessage"]),
    ]


def test_the_cap_names_that_many_actions_and_counts_the_rest() -> None:
    many = changes(*(f"s3:Put{i:02}" for i in range(12)), "ec2:RunInstances")
    assert listed(many, 3) == "13 actions in 2 services: s3:Put00, s3:Put01, s3:Put02, … (+10 more)"
    assert listed(many, 0) == "13 actions in 2 services"
    assert listed(changes("s3:PutObject"), 5) == "1 action in 1 service: s3:PutObject"
    assert listed((), 5) == "nothing"


def test_access_outside_the_catalogue_is_named_by_its_patterns() -> None:
    outside = change("s3:futurex", catalogued=False, patterns=("s3:Future*",))
    assert listed((outside,), 5) == "actions outside the catalogue matching s3:Future*"
    both = (*changes("s3:PutObject"), outside)
    assert listed(both, 5) == (
        "1 action in 1 service: s3:PutObject; and actions outside the catalogue matching s3:Future*"
    )


def test_limits_are_said_with_the_action() -> None:
    limited = change(
        "s3:GetObject",
        resources=("arn:aws:s3:::b/*",),
        conditions=("Bool aws:SecureTransport: true",),
    )
    assert listed((limited,), 5) == (
        "1 action in 1 service: s3:GetObject (granted by Read on arn:aws:s3:::b/* when Bool "
        "aws:SecureTransport: true)"
    )
    both = change("s3:PutObject", FIRST, SECOND, not_resources=("arn:aws:s3:::secret/*",))
    assert text_lines(AccessDiff(ActionChanges((both,))))[1] == (
        "    gains s3: PutObject (granted by Read, statement 1 except on arn:aws:s3:::secret/*)"
    )


def test_the_summary_says_gains_then_losses_and_an_undecided_direction() -> None:
    diff = AccessDiff(
        ActionChanges(changes("s3:PutObject", "s3:DeleteBucket")),
        ActionChanges(changes("ec2:RunInstances"), undecided="timed out"),
    )
    assert summary(diff) == (
        "newly grants 2 actions in 1 service: s3:DeleteBucket, s3:PutObject; removes 1 action "
        "in 1 service: ec2:RunInstances (possibly more: undecided, timed out)"
    )
    assert summary(AccessDiff()) == "newly grants nothing; removes nothing"


def test_a_new_policy_says_what_it_grants() -> None:
    diff = AccessDiff(ActionChanges(changes("sqs:SendMessage")), new_policy=True)
    assert summary(diff) == "grants 1 action in 1 service: sqs:SendMessage"


def test_an_issue_of_one_statement_lists_that_statements_gains() -> None:
    diff = AccessDiff(
        ActionChanges((change("s3:PutObject", FIRST), change("sqs:SendMessage", SECOND)))
    )
    assert summary(diff, statement=1).startswith(
        "statement 1 newly grants 1 action in 1 service: sqs:SendMessage;"
    )
    assert summary(diff, statement=7).startswith("newly grants 2 actions")  # none of its own


def test_text_lists_each_service_on_a_line_capped() -> None:
    diff = AccessDiff(
        ActionChanges(
            (
                *changes("s3:PutObject", "s3:DeleteBucket", "sqs:SendMessage"),
                change("x", catalogued=False, patterns=("not iam:*",)),
            )
        ),
        ActionChanges(changes("ec2:RunInstances")),
    )
    assert text_lines(diff, cap=2) == [
        "  access: newly grants 3 actions in 2 services; and actions outside the catalogue "
        "matching not iam:*; removes 1 action in 1 service",
        "    gains s3: DeleteBucket, PutObject",
        "    … gains 1 more (JSON output lists every one)",
        "    gains actions outside the catalogue matching not iam:* (e.g. `x`)",
        "    loses ec2: RunInstances",
    ]


def test_json_lists_every_action_with_its_statements_and_limits() -> None:
    diff = AccessDiff(
        ActionChanges(
            (
                change("s3:GetObject", FIRST, SECOND, not_resources=("arn:aws:s3:::secret/*",)),
                change("s3:futurex", catalogued=False, patterns=("s3:Future*",)),
            )
        ),
        ActionChanges(undecided="timed out"),
        new_policy=True,
    )
    written = diff_json(diff)
    assert written["newPolicy"] is True and written["lost"] == []
    assert written["undecided"] == {"lost": "timed out"}
    assert written["gained"][0] == {
        "action": "s3:GetObject",
        "catalogued": True,
        "statements": [
            {"statementIndex": 0, "statementId": "Read"},
            {"statementIndex": 1, "statementId": None},
        ],
        "resources": [],
        "notResources": ["arn:aws:s3:::secret/*"],
        "conditions": [],
    }
    assert written["gained"][1]["patterns"] == ["s3:Future*"]
    assert "patterns" not in change_json(change("s3:GetObject"))
