"""SCPs, RCPs and permissions boundaries, read as policies the engine and the evaluator know.

Such a policy grants nothing: a request *passes* it when an Allow statement matches and no
Deny does (AWS Organizations User Guide, "SCP evaluation" and "RCP evaluation"; IAM User Guide,
"Permissions boundaries for IAM entities"). That is exactly how an identity policy (SCP,
boundary: they speak for the caller) or a resource policy (RCP: it names its principal, `*`)
decides on its own, so the engine and the evaluator need no new semantics. What differs is how
AWS deploys them, and `engine_policy` writes that into the policy (docs/semantics.md,
"Service control policies, resource control policies and permissions boundaries"):

- The implicit full access. AWS attaches FullAWSAccess to every root, OU and account when SCPs
  are enabled, and RCPFullAWSAccess (which cannot be detached) when RCPs are; a deny-list SCP
  relies on it, and a customer RCP cannot contain Allow at all. Alone, such a file would let
  nothing through, and removing a Deny would look harmless; so an SCP or RCP file is read with
  that Allow statement added, unless the configuration says the file is deployed without it
  (`full_aws_access: false`, `--without-full-aws-access`).
- The requests it does not govern. SCPs and RCPs do not apply to the management account, nor
  to service-linked roles; RCPs only to the services AWS lists (`RCP_SERVICES`). Such requests
  pass whatever the file says, so the checks ask their question over the governed requests
  only: a synthetic Deny statement takes the others out of both versions alike (a request
  outside it passes both, so `no-new-access` is unchanged; `access-not-granted` would otherwise
  fail on every file). The caller is taken to be in a member account: any account may be one;
  an SCP's caller always has an `aws:PrincipalArn`, an IAM caller's ARN (`IAM_CALLERS`).

Synthetic statements follow the file's own, with indexes after them and the empty path (a
message about one points at the top of the file); `is_synthetic` tells them apart.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from policy_guard.policy.arns import PrincipalKind
from policy_guard.policy.model import (
    Condition,
    Effect,
    Policy,
    PolicyType,
    PrincipalBlock,
    PrincipalEntry,
    Statement,
    Value,
)
from policy_guard.policy.operators import ConditionOperator

FULL_AWS_ACCESS = "FullAWSAccess"
RCP_FULL_AWS_ACCESS = "RCPFullAWSAccess"
NOT_GOVERNED = "PolicyGuardNotGoverned"  # the Sid of the synthetic Deny

SERVICE_LINKED_ROLES = "arn:*:iam::*:role/aws-service-role/*"
"""Every service-linked role's ARN: AWS creates them under the path `/aws-service-role/` (IAM
User Guide, "Using service-linked roles")."""

RCP_SERVICES_AS_OF = date(2025, 6, 23)
RCP_SERVICES = ("s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss")
"""The services whose resources RCPs apply to (AWS Organizations User Guide, "Resource control
policies (RCPs)", "List of AWS services that support RCPs"): Amazon S3, AWS STS, AWS KMS, Amazon
SQS and AWS Secrets Manager since RCPs were launched (2024-11-13), Amazon ECR and Amazon
OpenSearch Serverless (`aoss`) since 2025-06. AWS adds services: a service missing here leaves
its requests out of `access-not-granted`'s question on an RCP; update the list and its date."""


def organizations_policy_type(written: object) -> PolicyType | None:
    """The policy type of an AWS Organizations policy whose `Type` (CloudFormation
    `AWS::Organizations::Policy`, `describe-policy`'s `PolicySummary.Type`; Terraform
    `aws_organizations_policy`'s `type`) is `written`: None for the types that are not IAM
    policies (tag, backup, AI opt-out, declarative policies)."""
    for kind in (PolicyType.SERVICE_CONTROL, PolicyType.RESOURCE_CONTROL):
        if written == kind.value:
            return kind
    return None


def _value(text: str) -> Value:
    return Value(text, ())


def _full_access(policy_type: PolicyType, index: int) -> Statement:
    if policy_type is PolicyType.RESOURCE_CONTROL:
        everyone = PrincipalBlock((PrincipalEntry(PrincipalKind.AWS, "*", ()),), ())
        return Statement(
            index, (), RCP_FULL_AWS_ACCESS, Effect.ALLOW, everyone, None,
            (_value("*"),), None, (_value("*"),),
        )  # fmt: skip
    return Statement(
        index, (), FULL_AWS_ACCESS, Effect.ALLOW, None, None, (_value("*"),), None, (_value("*"),)
    )


def _not_governed(policy_type: PolicyType, index: int) -> Statement:
    """Deny what the policy does not govern: service-linked roles' requests; for an RCP, also
    every action of a service it does not apply to."""
    linked = Condition(
        ConditionOperator.parse("ArnLike"), "aws:PrincipalArn", (_value(SERVICE_LINKED_ROLES),), ()
    )
    principal = None
    if policy_type is PolicyType.RESOURCE_CONTROL:
        principal = PrincipalBlock((PrincipalEntry(PrincipalKind.AWS, "*", ()),), ())
    return Statement(
        index, (), NOT_GOVERNED, Effect.DENY, principal, None,
        (_value("*"),), None, (_value("*"),), None, (linked,),
    )  # fmt: skip


IAM_CALLERS = (
    f"arn:aws*:iam::{'?' * 12}:user/?*",
    f"arn:aws*:iam::{'?' * 12}:role/?*",
    f"arn:aws*:iam::{'?' * 12}:root",
    f"arn:aws*:sts::{'?' * 12}:federated-user/?*",
)
"""What `aws:PrincipalArn` holds for each caller an SCP governs: an IAM user, a role session (the
role's ARN), the root user, a federated user (IAM User Guide, `aws:PrincipalArn`); every
partition's name begins with `aws`, an account is 12 characters, a name is not empty."""


def _no_caller_arn(index: int) -> tuple[Statement, Statement]:
    """Deny requests whose `aws:PrincipalArn` is not one IAM caller's ARN: absent, present with no
    value or only other strings (`ForAllValues:ArnNotLike`), or with some other string besides
    (`ForAnyValue:ArnNotLike`). Every request an SCP governs comes from an IAM user, role
    session, root user or federated user of a member account, and AWS sets the key to its ARN.
    An RCP also governs anonymous requests and AWS services, which have no such ARN: RCPs do not
    get these. A boundary is set on an IAM user or role, whose requests have their ARN too."""
    callers = tuple(_value(arn) for arn in IAM_CALLERS)

    def deny(operator: str, at: int) -> Statement:
        condition = Condition(ConditionOperator.parse(operator), "aws:PrincipalArn", callers, ())
        return Statement(
            at, (), NOT_GOVERNED, Effect.DENY, None, None,
            (_value("*"),), None, (_value("*"),), None, (condition,),
        )  # fmt: skip

    return deny("ForAllValues:ArnNotLike", index), deny("ForAnyValue:ArnNotLike", index + 1)


def _other_services(index: int) -> Statement:
    everyone = PrincipalBlock((PrincipalEntry(PrincipalKind.AWS, "*", ()),), ())
    services = tuple(_value(f"{service}:*") for service in RCP_SERVICES)
    return Statement(
        index, (), NOT_GOVERNED, Effect.DENY, everyone, None, None, services, (_value("*"),)
    )


def is_synthetic(statement: Statement) -> bool:
    """A statement `engine_policy` added (it has no place in the file)."""
    return statement.path == ()


def engine_policy(policy: Policy, full_aws_access: bool = True) -> Policy:
    """`policy` as the identity or resource policy that lets through the same governed requests
    (an identity or resource policy is returned as it is)."""
    kind = policy.policy_type
    if not kind.is_guardrail:
        return policy
    added: list[Statement] = []
    n = len(policy.statements)
    if kind is not PolicyType.PERMISSIONS_BOUNDARY:
        if full_aws_access:
            added.append(_full_access(kind, n + len(added)))
        added.append(_not_governed(kind, n + len(added)))
    if kind is PolicyType.RESOURCE_CONTROL:
        added.append(_other_services(n + len(added)))
    else:  # an SCP's or a boundary's caller is an IAM principal
        added.extend(_no_caller_arn(n + len(added)))
    return replace(
        policy, statements=policy.statements + tuple(added), policy_type=kind.evaluated_as
    )


def with_full_access(policy: Policy, full_aws_access: bool = True) -> Policy:
    """An SCP or RCP with the implicit full access beside it (`simulate`: the exemptions are
    decided on the request there, not written as a Deny); any other policy as it is."""
    kind = policy.policy_type
    if not full_aws_access or kind not in (PolicyType.SERVICE_CONTROL, PolicyType.RESOURCE_CONTROL):
        return policy
    added = _full_access(kind, len(policy.statements))
    return replace(policy, statements=(*policy.statements, added))


def service_governed(policy_type: PolicyType, action: str) -> bool:
    """Does a policy of this type apply to requests for `action` (RCPs: listed services only)?"""
    if policy_type is not PolicyType.RESOURCE_CONTROL:
        return True
    return action.partition(":")[0].lower() in RCP_SERVICES
