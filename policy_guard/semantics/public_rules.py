"""What AWS documents as "public", per resource type and per identity provider: data, in one place.

`TYPE_RULES`: for each of the 26 CheckNoPublicAccess resource types, the condition keys whose
fixed values restrict the caller (`pinning`), whether narrow `aws:SourceIp` blocks do
(`source_ip`), Bool keys that restrict when true (`true_keys`), keys on which an access point ARN
with a fixed account and a wildcard name still restricts (`access_point_keys`), and the AWS page
the row comes from. Where AWS documents no list of its own for a type, the row says so and keeps
the conservative rule (S3's list, which IAM Access Analyzer follows).

`PUBLIC_ISSUERS`: identity providers whose tokens anyone can obtain (a GitHub Actions workflow of
any repository, any GitLab project, any Google account, an unauthenticated Cognito identity...).
A Federated principal of such an issuer is public unless a condition pins the token's subject
(`Issuer.subject_keys`) to specific values; `aud` never pins (the audience names the relying
party, which every token of the issuer can carry). docs/semantics.md, "Public and external, per
resource type and per identity provider", is the same table in prose; tests read this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

S3_PAGE = (
    "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"
    "access-control-block-public-access.html#access-control-block-public-access-policy-status"
)
EFS_PAGE = "https://docs.aws.amazon.com/efs/latest/ug/access-control-block-public-access.html"
DYNAMODB_PAGE = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html"
ANALYZER_PAGE = (
    "https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoPublicAccess.html"
)
KMS_PAGE = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
OIDC_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html"
WIF_KEYS_PAGE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_iam-condition-keys.html#condition-keys-wif"
)
COGNITO_PAGE = (
    "https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html"
)

S3_KEYS = (
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:userid",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
)
"""S3's "meaning of public" list (with the keys AWS fills from the caller's account), which
IAM Access Analyzer applies to every type: the conservative rule where a type has none."""

DYNAMODB_KEYS = (
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:userid",
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:principalisawsservice",
    "aws:ec2instancesourcevpc",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
)
"""DynamoDB's Block Public Access "trusted condition keys": no aws:SourceIp, no aws:SourceOwner."""

EFS_KEYS = (
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "aws:userid",
)
ACCESSED_VIA_MOUNT_TARGET = "elasticfilesystem:accessedviamounttarget"


@dataclass(frozen=True)
class TypeRule:
    """How AWS decides "public" for one resource type (module docstring)."""

    pinning: tuple[str, ...]
    source_ip: bool
    page: str
    documented: bool  # False: AWS documents no list for the type; S3's is kept (conservative)
    true_keys: tuple[str, ...] = ()
    access_point_keys: tuple[str, ...] = ()


DYNAMODB_RULE = TypeRule(
    DYNAMODB_KEYS, False, DYNAMODB_PAGE, True, true_keys=("aws:principalisawsservice",)
)
"""(DynamoDB: "if your policy uses aws:PrincipalIsAWSService, set the key value to true".)"""
S3_RULE = TypeRule(S3_KEYS, True, S3_PAGE, True, access_point_keys=("s3:dataaccesspointarn",))
CONSERVATIVE = TypeRule(S3_KEYS, True, ANALYZER_PAGE, False)

TYPE_RULES: Mapping[str, TypeRule] = {
    "AWS::DynamoDB::Table": DYNAMODB_RULE,
    "AWS::DynamoDB::Stream": DYNAMODB_RULE,
    "AWS::EFS::FileSystem": TypeRule(
        EFS_KEYS, True, EFS_PAGE, True, true_keys=(ACCESSED_VIA_MOUNT_TARGET,)
    ),
    "AWS::OpenSearchService::Domain": CONSERVATIVE,
    "AWS::Kinesis::Stream": CONSERVATIVE,
    "AWS::Kinesis::StreamConsumer": CONSERVATIVE,
    "AWS::KMS::Key": TypeRule(S3_KEYS, True, KMS_PAGE, False),
    "AWS::Lambda::Function": CONSERVATIVE,
    "AWS::S3::Bucket": S3_RULE,
    "AWS::S3::AccessPoint": S3_RULE,
    "AWS::S3Express::DirectoryBucket": CONSERVATIVE,
    "AWS::S3::Glacier": CONSERVATIVE,
    "AWS::S3Outposts::Bucket": CONSERVATIVE,
    "AWS::S3Outposts::AccessPoint": CONSERVATIVE,
    "AWS::SecretsManager::Secret": CONSERVATIVE,
    "AWS::SNS::Topic": CONSERVATIVE,
    "AWS::SQS::Queue": CONSERVATIVE,
    "AWS::IAM::AssumeRolePolicyDocument": TypeRule(S3_KEYS, True, OIDC_PAGE, False),
    "AWS::S3Tables::TableBucket": CONSERVATIVE,
    "AWS::ApiGateway::RestApi": CONSERVATIVE,
    "AWS::CodeArtifact::Domain": CONSERVATIVE,
    "AWS::Backup::BackupVault": CONSERVATIVE,
    "AWS::CloudTrail::Dashboard": CONSERVATIVE,
    "AWS::CloudTrail::EventDataStore": CONSERVATIVE,
    "AWS::S3Tables::Table": CONSERVATIVE,
    "AWS::S3Express::AccessPoint": CONSERVATIVE,
}

_ACCESS_POINT = re.compile(r"^arn:[^:*?$]+:s3:[^:*?$]+:\d{12}:accesspoint/")


def pins_access_point(text: str) -> bool:
    """An access point ARN with a fixed partition, Region and account and any name (S3: "can
    contain a wildcard for the access point name ... as long as the account ID is fixed")."""
    return "$" not in text and bool(_ACCESS_POINT.match(_wildcard_free_prefix(text)))


def _wildcard_free_prefix(text: str) -> str:
    cut = min((i for i in (text.find("*"), text.find("?")) if i >= 0), default=len(text))
    return text[:cut]


# --- identity providers whose tokens anyone can obtain -------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """A public token issuer, as a Federated principal names it.

    `principal`: a regex on the principal (the provider's host, or an IAM OIDC provider ARN
    ending in its host); `prefix`: the condition keys' prefix (`token.actions.githubusercontent.
    com:`); `subject_keys`: the claims whose fixed values pin the token's subject (lower case,
    without the prefix), each with a regex that a wildcard pattern's wildcard-free start must
    match to pin (None: only a value without wildcard pins); `outsider`: the claim values of a
    token anyone can obtain, as the counterexample shows them; `guest`: a claim value every
    such token carries (Cognito: `amr` holds `unauthenticated`), else None."""

    name: str
    principal: str
    prefix: str
    subject_keys: Mapping[str, str | None]
    outsider: Mapping[str, str]
    page: str
    guest: tuple[str, str] | None = None

    def matches(self, principal: str) -> bool:
        return re.fullmatch(self.principal, principal) is not None

    def pins(self, name: str, text: str, literal: bool) -> bool:
        """Does a condition value `text` of the claim `name` pin the subject (`literal`: it
        compiles to a pattern without wildcard)?"""
        if literal:
            return True
        start = self.subject_keys.get(name)
        if start is None or "$" in text:
            return False
        return re.match(start, _wildcard_free_prefix(text)) is not None


def _provider(host: str) -> str:
    """A Federated principal naming `host`: the host itself or an account's OIDC provider."""
    escaped = host.replace(".", r"\.")
    return rf"(?:arn:[^:]+:iam::\d{{12}}:oidc-provider/)?{escaped}"


PUBLIC_ISSUERS: tuple[Issuer, ...] = (
    Issuer(
        "GitHub Actions",
        _provider("token.actions.githubusercontent.com"),
        "token.actions.githubusercontent.com:",
        {
            "sub": r"repo:[^/:]+/[^:]+:",
            "repository": None,
            "repository_id": None,
            "repository_owner": None,
            "repository_owner_id": None,
        },
        {
            "sub": "repo:someone-else/any-repo:ref:refs/heads/main",
            "repository": "someone-else/any-repo",
            "repository_owner": "someone-else",
            "aud": "sts.amazonaws.com",
        },
        OIDC_PAGE,
    ),
    Issuer(
        "GitLab",
        _provider("gitlab.com"),
        "gitlab.com:",
        {"sub": r"project_path:[^:]+/[^:]+:"},
        {"sub": "project_path:someone-else/any-project:ref_type:branch:ref:main"},
        OIDC_PAGE,
    ),
    Issuer(
        "Bitbucket Pipelines",
        r"(?:arn:[^:]+:iam::\d{12}:oidc-provider/)?api\.bitbucket\.org/2\.0/workspaces/"
        r"[^/]+/pipelines-config/identity/oidc",
        "",  # the key prefix is the provider's URL: matched by suffix below
        {"sub": r"\{[^}*?]+\}:"},
        {"sub": "{someone-elses-repository-uuid}:{any-step-uuid}"},
        OIDC_PAGE,
    ),
    Issuer(
        "CircleCI",
        r"(?:arn:[^:]+:iam::\d{12}:oidc-provider/)?oidc\.circleci\.com/org/[^/]+",
        "",
        {"sub": r"org/[^/]+/project/[^/]+/"},
        {"sub": "org/someone-else/project/any-project/user/any-user"},
        OIDC_PAGE,
    ),
    Issuer(
        "Terraform Cloud",
        _provider("app.terraform.io"),
        "app.terraform.io:",
        {"sub": r"organization:[^:]+:project:[^:]+:workspace:[^:]+:"},
        {"sub": "organization:someone-else:project:any:workspace:any:run_phase:apply"},
        OIDC_PAGE,
    ),
    Issuer(
        "Google",
        _provider("accounts.google.com"),
        "accounts.google.com:",
        {"sub": None},
        {"sub": "100000000000000000001"},
        WIF_KEYS_PAGE,
    ),
    Issuer(
        "Facebook",
        _provider("graph.facebook.com"),
        "graph.facebook.com:",
        {"id": None},
        {"id": "100000000000001"},
        WIF_KEYS_PAGE,
    ),
    Issuer(
        "Login with Amazon",
        _provider("www.amazon.com"),
        "www.amazon.com:",
        {"user_id": None},
        {"user_id": "amzn1.account.SOMEONEELSE"},
        WIF_KEYS_PAGE,
    ),
    Issuer(
        "Amazon Cognito identity pools",
        _provider("cognito-identity.amazonaws.com"),
        "cognito-identity.amazonaws.com:",
        {"sub": None},
        {
            "sub": "us-east-1:00000000-0000-0000-0000-000000000001",
            "amr": "unauthenticated",
        },
        COGNITO_PAGE,
        guest=("amr", "unauthenticated"),
    ),
)


def issuer_of(principal: str) -> Issuer | None:
    """The public issuer a Federated principal (or a request's principal) is, else None."""
    for issuer in PUBLIC_ISSUERS:
        if issuer.matches(principal):
            return issuer
    return None


def claim_prefix(issuer: Issuer, principal: str) -> str:
    """The condition keys' prefix for `principal` of `issuer` (lower case): the provider's host
    and path, as IAM names the claims of an OIDC provider (`HOST/PATH:sub`)."""
    if issuer.prefix:
        return issuer.prefix
    host = principal.split("oidc-provider/", 1)[-1]
    return f"{host}:".lower()


def claim_keys(issuer: Issuer, principal: str) -> dict[str, str]:
    """Subject claim name -> its condition key (lower case) for `principal`."""
    prefix = claim_prefix(issuer, principal)
    return {name: f"{prefix}{name}" for name in issuer.subject_keys}
