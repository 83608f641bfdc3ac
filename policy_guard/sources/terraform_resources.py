"""Which Terraform arguments hold an IAM policy: one table, read by the HCL and the plan sources.

Each entry names a resource type of the AWS provider, the argument that holds a policy document
(a JSON string: `jsonencode(...)`, a heredoc, `data.aws_iam_policy_document.x.json`), the kind of
policy it is, and for resource policies the resource type *as the public-access check names it*
(CloudFormation's type names, `policy.resource_types`). A policy is found by resource type and
argument, never by sniffing any string that looks like JSON.

Permission resources with plain arguments (`aws_lambda_permission`) are read as a one-statement
resource policy (`LAMBDA_PERMISSIONS`). Attachments (`ATTACHMENTS`) grant the policy they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from policy_guard.policy.model import PolicyType

TRUST = "AWS::IAM::AssumeRolePolicyDocument"
HCL_EXTENSIONS = (".tf",)
_MAY_HOLD_POLICY = (b"policy", b"statement", b"Statement", b"_arn", b"permission")


def is_terraform(path: str) -> bool:
    """A Terraform HCL file, by its name (`.tf.json` is JSON: read as such)."""
    return path.lower().endswith(HCL_EXTENSIONS)


def may_hold_policy(data: bytes) -> bool:
    """Can this `.tf` text hold a policy, a permission or an attachment at all? (Cheap: no
    parsing; every argument the tables name holds one of these words.)"""
    return any(word in data for word in _MAY_HOLD_POLICY)


@dataclass(frozen=True)
class PolicyArgument:
    """An argument (`policy`, or `inline_policy.policy` for an argument of a nested block)
    that holds a policy document."""

    argument: str
    policy_type: PolicyType
    resource_type: str | None = None  # for resource policies: the public-access check's type


_IDENTITY = PolicyType.IDENTITY
_RESOURCE = PolicyType.RESOURCE


def _resource(argument: str, resource_type: str | None) -> PolicyArgument:
    return PolicyArgument(argument, _RESOURCE, resource_type)


POLICY_ARGUMENTS: Mapping[str, tuple[PolicyArgument, ...]] = {
    # identity policies
    "aws_iam_policy": (PolicyArgument("policy", _IDENTITY),),
    "aws_iam_role_policy": (PolicyArgument("policy", _IDENTITY),),
    "aws_iam_user_policy": (PolicyArgument("policy", _IDENTITY),),
    "aws_iam_group_policy": (PolicyArgument("policy", _IDENTITY),),
    "aws_ssoadmin_permission_set_inline_policy": (PolicyArgument("inline_policy", _IDENTITY),),
    "aws_iam_role": (
        _resource("assume_role_policy", TRUST),
        PolicyArgument("inline_policy.policy", _IDENTITY),
    ),
    # resource policies
    "aws_s3_bucket_policy": (_resource("policy", "AWS::S3::Bucket"),),
    "aws_s3_access_point": (_resource("policy", "AWS::S3::AccessPoint"),),
    "aws_s3control_access_point_policy": (_resource("policy", "AWS::S3::AccessPoint"),),
    "aws_s3control_bucket_policy": (_resource("policy", "AWS::S3Outposts::Bucket"),),
    "aws_s3tables_table_bucket_policy": (
        _resource("resource_policy", "AWS::S3Tables::TableBucket"),
    ),
    "aws_s3tables_table_policy": (_resource("resource_policy", "AWS::S3Tables::Table"),),
    "aws_sqs_queue_policy": (_resource("policy", "AWS::SQS::Queue"),),
    "aws_sqs_queue": (_resource("policy", "AWS::SQS::Queue"),),
    "aws_sns_topic_policy": (_resource("policy", "AWS::SNS::Topic"),),
    "aws_sns_topic": (_resource("policy", "AWS::SNS::Topic"),),
    "aws_kms_key": (_resource("policy", "AWS::KMS::Key"),),
    "aws_kms_key_policy": (_resource("policy", "AWS::KMS::Key"),),
    "aws_ecr_repository_policy": (_resource("policy", None),),
    "aws_ecr_registry_policy": (_resource("policy", None),),
    "aws_ecrpublic_repository_policy": (_resource("policy", None),),
    "aws_secretsmanager_secret_policy": (_resource("policy", "AWS::SecretsManager::Secret"),),
    "aws_secretsmanager_secret": (_resource("policy", "AWS::SecretsManager::Secret"),),
    "aws_glacier_vault": (_resource("access_policy", "AWS::S3::Glacier"),),
    "aws_glacier_vault_lock": (_resource("policy", "AWS::S3::Glacier"),),
    "aws_efs_file_system_policy": (_resource("policy", "AWS::EFS::FileSystem"),),
    "aws_opensearch_domain_policy": (
        _resource("access_policies", "AWS::OpenSearchService::Domain"),
    ),
    "aws_opensearch_domain": (_resource("access_policies", "AWS::OpenSearchService::Domain"),),
    "aws_elasticsearch_domain_policy": (
        _resource("access_policies", "AWS::OpenSearchService::Domain"),
    ),
    "aws_elasticsearch_domain": (_resource("access_policies", "AWS::OpenSearchService::Domain"),),
    "aws_dynamodb_resource_policy": (_resource("policy", "AWS::DynamoDB::Table"),),
    "aws_kinesis_resource_policy": (_resource("policy", "AWS::Kinesis::Stream"),),
    "aws_backup_vault_policy": (_resource("policy", "AWS::Backup::BackupVault"),),
    "aws_codeartifact_domain_permissions_policy": (
        _resource("policy_document", "AWS::CodeArtifact::Domain"),
    ),
    "aws_codeartifact_repository_permissions_policy": (_resource("policy_document", None),),
    "aws_api_gateway_rest_api_policy": (_resource("policy", "AWS::ApiGateway::RestApi"),),
    "aws_api_gateway_rest_api": (_resource("policy", "AWS::ApiGateway::RestApi"),),
    "aws_cloudwatch_event_bus_policy": (_resource("policy", None),),
    "aws_cloudwatch_log_resource_policy": (_resource("policy_document", None),),
    "aws_cloudwatch_log_destination_policy": (_resource("access_policy", None),),
    "aws_glue_resource_policy": (_resource("policy", None),),
    "aws_iot_policy": (PolicyArgument("policy", _IDENTITY),),
    "aws_media_store_container_policy": (_resource("policy", None),),
    "aws_networkfirewall_resource_policy": (_resource("policy", None),),
    "aws_organizations_resource_policy": (_resource("content", None),),
    # an SCP by default; `type` may make it an RCP, or no IAM policy at all (`ORGANIZATIONS`)
    "aws_organizations_policy": (PolicyArgument("content", PolicyType.SERVICE_CONTROL),),
    "aws_schemas_registry_policy": (_resource("policy", None),),
    "aws_vpc_endpoint": (_resource("policy", None),),
    "aws_vpc_endpoint_policy": (_resource("policy", None),),
}

ORGANIZATIONS_POLICY = "aws_organizations_policy"
"""Its `type` says what `content` is (`policy.guardrails.organizations_policy_type`); Terraform's
default is `SERVICE_CONTROL_POLICY`."""

# Permission resources with plain arguments, read as a one-statement resource policy.
LAMBDA_PERMISSIONS = frozenset({"aws_lambda_permission"})

# Attachments: (resource type, argument naming the attached policy's ARN).
ATTACHMENTS: Mapping[str, tuple[str, ...]] = {
    "aws_iam_role_policy_attachment": ("policy_arn",),
    "aws_iam_user_policy_attachment": ("policy_arn",),
    "aws_iam_group_policy_attachment": ("policy_arn",),
    "aws_iam_policy_attachment": ("policy_arn",),
    "aws_iam_role_policy_attachments_exclusive": ("policy_arns",),
    "aws_iam_role": ("managed_policy_arns",),
}

# Permissions boundaries: a boundary only limits, so adding one grants nothing, but removing or
# replacing one may grant more: resource types with one (its document is read, as a
# PERMISSIONS_BOUNDARY, when the file defines the policy it names).
BOUNDARIES = frozenset({"aws_iam_role", "aws_iam_user"})
BOUNDARY_ARGUMENT = "permissions_boundary"
