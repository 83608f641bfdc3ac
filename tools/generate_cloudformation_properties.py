"""Generate `policy_guard/sources/cloudformation_properties.py` from the CloudFormation resource
schemas that cfn-lint ships (a development-time input only: policy-guard never imports cfn-lint).

Every property of every resource type (nested properties and list items included) whose name
contains "Polic" and whose schema admits an object or a string is a *candidate*; each candidate
must be classified below, either as an IAM policy document (identity, resource or trust, with
the resource it belongs to) or as something else with the reason. An unclassified candidate
stops the generator, so a new schema release that adds a policy-bearing property cannot be
missed silently: re-run after `pip install cfn-lint==X` and classify what it reports.

    python tools/generate_cloudformation_properties.py   # needs cfn-lint installed
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata, resources
from pathlib import Path
from typing import Any

OUTPUT = (
    Path(__file__).resolve().parent.parent / "policy_guard/sources/cloudformation_properties.py"
)
REGION = "us-east-1"  # the provider schemas of the largest region

IDENTITY, RESOURCE, TRUST = "identity", "resource", "trust"

# (resource type, property path with `*` for list items) -> (policy kind, resource it governs)
IAM: dict[tuple[str, str], tuple[str, str | None]] = {
    ("AWS::IAM::Group", "Policies/*/PolicyDocument"): (IDENTITY, None),
    ("AWS::IAM::GroupPolicy", "PolicyDocument"): (IDENTITY, None),
    ("AWS::IAM::ManagedPolicy", "PolicyDocument"): (IDENTITY, None),
    ("AWS::IAM::Policy", "PolicyDocument"): (IDENTITY, None),
    ("AWS::IAM::Role", "Policies/*/PolicyDocument"): (IDENTITY, None),
    ("AWS::IAM::Role", "AssumeRolePolicyDocument"): (TRUST, "AWS::IAM::AssumeRolePolicyDocument"),
    ("AWS::IAM::RolePolicy", "PolicyDocument"): (IDENTITY, None),
    ("AWS::IAM::User", "Policies/*/PolicyDocument"): (IDENTITY, None),
    ("AWS::IAM::UserPolicy", "PolicyDocument"): (IDENTITY, None),
    ("AWS::SSO::PermissionSet", "InlinePolicy"): (IDENTITY, None),
    ("AWS::RolesAnywhere::Profile", "SessionPolicy"): (IDENTITY, None),
    ("AWS::EKS::PodIdentityAssociation", "Policy"): (IDENTITY, None),
    ("AWS::Transfer::User", "Policy"): (IDENTITY, None),
    ("AWS::AIOps::InvestigationGroup", "InvestigationGroupPolicy"): (RESOURCE, None),
    ("AWS::APS::ResourcePolicy", "PolicyDocument"): (RESOURCE, None),
    ("AWS::ApiGateway::DomainNameV2", "Policy"): (RESOURCE, None),
    ("AWS::ApiGateway::RestApi", "Policy"): (RESOURCE, "AWS::ApiGateway::RestApi"),
    ("AWS::Backup::BackupVault", "AccessPolicy"): (RESOURCE, "AWS::Backup::BackupVault"),
    ("AWS::Backup::LogicallyAirGappedBackupVault", "AccessPolicy"): (RESOURCE, None),
    ("AWS::Bedrock::KnowledgeBasePolicy", "PolicyDocument"): (RESOURCE, None),
    ("AWS::Bedrock::ResourcePolicy", "PolicyDocument"): (RESOURCE, None),
    ("AWS::BedrockAgentCore::ResourcePolicy", "Policy"): (RESOURCE, None),
    ("AWS::CloudTrail::ResourcePolicy", "ResourcePolicy"): (RESOURCE, None),
    ("AWS::CodeArtifact::Domain", "PermissionsPolicyDocument"): (
        RESOURCE,
        "AWS::CodeArtifact::Domain",
    ),
    ("AWS::CodeArtifact::Repository", "PermissionsPolicyDocument"): (RESOURCE, None),
    ("AWS::Comprehend::DocumentClassifier", "ModelPolicy"): (RESOURCE, None),
    ("AWS::Comprehend::EntityRecognizer", "ModelPolicy"): (RESOURCE, None),
    ("AWS::DSQL::Cluster", "PolicyDocument"): (RESOURCE, None),
    (
        "AWS::DynamoDB::GlobalTable",
        "Replicas/*/ReplicaStreamSpecification/ResourcePolicy/PolicyDocument",
    ): (RESOURCE, "AWS::DynamoDB::Stream"),
    ("AWS::DynamoDB::GlobalTable", "Replicas/*/ResourcePolicy/PolicyDocument"): (
        RESOURCE,
        "AWS::DynamoDB::Table",
    ),
    ("AWS::DynamoDB::Table", "ResourcePolicy/PolicyDocument"): (RESOURCE, "AWS::DynamoDB::Table"),
    ("AWS::DynamoDB::Table", "StreamSpecification/ResourcePolicy/PolicyDocument"): (
        RESOURCE,
        "AWS::DynamoDB::Stream",
    ),
    ("AWS::EC2::VPCEndpoint", "PolicyDocument"): (RESOURCE, None),
    ("AWS::ECR::PublicRepository", "RepositoryPolicyText"): (RESOURCE, None),
    ("AWS::ECR::RegistryPolicy", "PolicyText"): (RESOURCE, None),
    ("AWS::ECR::Repository", "RepositoryPolicyText"): (RESOURCE, None),
    ("AWS::ECR::RepositoryCreationTemplate", "RepositoryPolicy"): (
        RESOURCE,
        None,
    ),
    ("AWS::EFS::FileSystem", "FileSystemPolicy"): (RESOURCE, "AWS::EFS::FileSystem"),
    ("AWS::Elasticsearch::Domain", "AccessPolicies"): (RESOURCE, None),
    ("AWS::OpenSearchService::Domain", "AccessPolicies"): (
        RESOURCE,
        "AWS::OpenSearchService::Domain",
    ),
    ("AWS::EventSchemas::RegistryPolicy", "Policy"): (RESOURCE, None),
    ("AWS::Events::EventBus", "Policy"): (RESOURCE, None),
    ("AWS::EventsV2::ResourcePolicy", "PolicyDocument"): (RESOURCE, None),
    ("AWS::FSx::S3AccessPointAttachment", "S3AccessPoint/Policy"): (RESOURCE, None),
    ("AWS::KMS::Key", "KeyPolicy"): (RESOURCE, "AWS::KMS::Key"),
    ("AWS::KMS::ReplicaKey", "KeyPolicy"): (RESOURCE, "AWS::KMS::Key"),
    ("AWS::Kinesis::ResourcePolicy", "ResourcePolicy"): (RESOURCE, "AWS::Kinesis::Stream"),
    ("AWS::Lambda::ResourcePolicy", "PolicyDocument"): (RESOURCE, "AWS::Lambda::Function"),
    ("AWS::Lex::ResourcePolicy", "Policy"): (RESOURCE, None),
    ("AWS::Logs::DeliveryDestination", "DeliveryDestinationPolicy/DeliveryDestinationPolicy"): (
        RESOURCE,
        None,
    ),
    ("AWS::Logs::Destination", "DestinationPolicy"): (RESOURCE, None),
    ("AWS::Logs::LogGroup", "ResourcePolicyDocument"): (RESOURCE, None),
    ("AWS::Logs::ResourcePolicy", "PolicyDocument"): (RESOURCE, None),
    ("AWS::MSK::ClusterPolicy", "Policy"): (RESOURCE, None),
    ("AWS::MediaPackageV2::ChannelPolicy", "Policy"): (RESOURCE, None),
    ("AWS::MediaPackageV2::OriginEndpointPolicy", "Policy"): (RESOURCE, None),
    ("AWS::MediaStore::Container", "Policy"): (RESOURCE, None),
    ("AWS::MediaTailor::ChannelPolicy", "Policy"): (RESOURCE, None),
    ("AWS::ODB::OdbNetwork", "KmsPolicyDocument"): (RESOURCE, None),
    ("AWS::ODB::OdbNetwork", "ManagedServices/KmsAccess/KmsPolicyDocument"): (RESOURCE, None),
    ("AWS::ODB::OdbNetwork", "ManagedServices/S3Access/S3PolicyDocument"): (RESOURCE, None),
    ("AWS::ODB::OdbNetwork", "ManagedServices/StsAccess/StsPolicyDocument"): (RESOURCE, None),
    ("AWS::ODB::OdbNetwork", "S3PolicyDocument"): (RESOURCE, None),
    ("AWS::ODB::OdbNetwork", "StsPolicyDocument"): (RESOURCE, None),
    ("AWS::OSIS::Pipeline", "ResourcePolicy/Policy"): (RESOURCE, None),
    ("AWS::Oam::Sink", "Policy"): (RESOURCE, None),
    ("AWS::Omics::SequenceStore", "S3AccessPolicy"): (RESOURCE, None),
    ("AWS::PaymentCryptography::Key", "Policy"): (RESOURCE, None),
    ("AWS::RUM::AppMonitor", "ResourcePolicy/PolicyDocument"): (RESOURCE, None),
    ("AWS::Redshift::Cluster", "NamespaceResourcePolicy"): (RESOURCE, None),
    ("AWS::RedshiftServerless::Namespace", "NamespaceResourcePolicy"): (RESOURCE, None),
    ("AWS::S3::AccessPoint", "Policy"): (RESOURCE, "AWS::S3::AccessPoint"),
    ("AWS::S3::BucketPolicy", "PolicyDocument"): (RESOURCE, "AWS::S3::Bucket"),
    ("AWS::S3::MultiRegionAccessPointPolicy", "Policy"): (
        RESOURCE,
        None,
    ),
    ("AWS::S3Express::AccessPoint", "Policy"): (RESOURCE, "AWS::S3Express::AccessPoint"),
    ("AWS::S3Express::BucketPolicy", "PolicyDocument"): (
        RESOURCE,
        "AWS::S3Express::DirectoryBucket",
    ),
    ("AWS::S3Files::FileSystemPolicy", "Policy"): (RESOURCE, None),
    ("AWS::S3ObjectLambda::AccessPointPolicy", "PolicyDocument"): (RESOURCE, None),
    ("AWS::S3Outposts::AccessPoint", "Policy"): (RESOURCE, "AWS::S3Outposts::AccessPoint"),
    ("AWS::S3Outposts::BucketPolicy", "PolicyDocument"): (RESOURCE, "AWS::S3Outposts::Bucket"),
    ("AWS::S3Tables::TableBucketPolicy", "ResourcePolicy"): (
        RESOURCE,
        "AWS::S3Tables::TableBucket",
    ),
    ("AWS::S3Tables::TablePolicy", "ResourcePolicy"): (RESOURCE, "AWS::S3Tables::Table"),
    ("AWS::S3Vectors::VectorBucketPolicy", "Policy"): (RESOURCE, None),
    ("AWS::SMSVOICE::ResourcePolicy", "PolicyDocument"): (RESOURCE, None),
    ("AWS::SNS::TopicInlinePolicy", "PolicyDocument"): (RESOURCE, "AWS::SNS::Topic"),
    ("AWS::SNS::TopicPolicy", "PolicyDocument"): (RESOURCE, "AWS::SNS::Topic"),
    ("AWS::SQS::QueueInlinePolicy", "PolicyDocument"): (RESOURCE, "AWS::SQS::Queue"),
    ("AWS::SQS::QueuePolicy", "PolicyDocument"): (RESOURCE, "AWS::SQS::Queue"),
    ("AWS::SSM::ResourcePolicy", "Policy"): (RESOURCE, None),
    ("AWS::SageMaker::ModelPackageGroup", "ModelPackageGroupPolicy"): (RESOURCE, None),
    ("AWS::SecretsManager::ResourcePolicy", "ResourcePolicy"): (
        RESOURCE,
        "AWS::SecretsManager::Secret",
    ),
    ("AWS::VpcLattice::AuthPolicy", "Policy"): (RESOURCE, None),
    ("AWS::VpcLattice::ResourcePolicy", "Policy"): (RESOURCE, None),
    ("AWS::XRay::ResourcePolicy", "PolicyDocument"): (RESOURCE, None),
}

# Candidates that are not IAM policy documents, grouped by why.
NOT_IAM: dict[str, tuple[str, ...]] = {
    "a policy language of its own (Cedar, IoT, Guard, OpenSearch Serverless, RAM templates, "
    "network policies)": (
        "AWS::EC2::ClientVpnEndpoint AuthorizationPolicy/PolicyDocument",
        "AWS::EC2::VerifiedAccessEndpoint PolicyDocument",
        "AWS::EC2::VerifiedAccessGroup PolicyDocument",
        "AWS::IoT::Policy PolicyDocument",
        "AWS::Config::OrganizationConfigRule OrganizationCustomPolicyRuleMetadata/PolicyText",
        "AWS::Config::ConfigRule Source/CustomPolicyDetails/PolicyText",
        "AWS::OpenSearchServerless::AccessPolicy Policy",
        "AWS::OpenSearchServerless::LifecyclePolicy Policy",
        "AWS::OpenSearchServerless::SecurityPolicy Policy",
        "AWS::RAM::Permission PolicyTemplate",
        "AWS::NetworkManager::CoreNetwork PolicyDocument",
    ),
    "a data, lifecycle, delivery, filter or browser setting written as JSON": (
        "AWS::ECR::Repository LifecyclePolicy/LifecyclePolicyText",
        "AWS::ECR::RepositoryCreationTemplate LifecyclePolicy",
        "AWS::MediaStore::Container LifecyclePolicy",
        "AWS::Logs::AccountPolicy PolicyDocument",
        "AWS::Logs::LogGroup DataProtectionPolicy",
        "AWS::SNS::Topic ArchivePolicy",
        "AWS::SNS::Topic DataProtectionPolicy",
        "AWS::SNS::Subscription DeliveryPolicy",
        "AWS::SNS::Subscription FilterPolicy",
        "AWS::SNS::Subscription RedrivePolicy",
        "AWS::SNS::Subscription ReplayPolicy",
        "AWS::SQS::Queue RedriveAllowPolicy",
        "AWS::SQS::Queue RedrivePolicy",
        "AWS::SSM::Parameter Policies",
        "AWS::StorageGateway::NFSFileShare NotificationPolicy",
        "AWS::StorageGateway::SMBFileShare NotificationPolicy",
        "AWS::WorkSpacesWeb::BrowserSettings BrowserPolicy",
        "AWS::CloudHSM::Cluster BackupPolicy",
    ),
    "an ARN or an HTTP header value": (
        "AWS::Events::ApiDestination ArnForPolicy",
        "AWS::Events::Connection ArnForPolicy",
        "AWS::CloudFront::ResponseHeadersPolicy "
        "ResponseHeadersPolicyConfig/SecurityHeadersConfig/ReferrerPolicy/ReferrerPolicy",
    ),
}
# Any other candidate must be an enumeration or a plain setting: checked by this rule (its
# schema is a string with `enum`, or the name is a setting name), else the generator stops.
_SETTING = re.compile(
    r"(Security|Tls|TLSSecurity|Ssl|Protocol|ViewerProtocol|OriginProtocol|Deletion|UpdateReplace"
    r"|ImagePull|Dns|Excess|Termination|Protection|Import|Snapshot|Routing|Fill|Selection|Rate"
    r"|Caching|Execution|Answer|UserContext|Https|Permission|Update|Multitrack|Failure|Safeguard"
    r"|Default|DataDeletion|StreamException|WebAppEndpoint|ReputationEntity|Propagation)\w*Polic"
)

# Resource types whose policy is not one property: read by the source's own code.
SPECIAL = {
    "AWS::Events::EventBusPolicy": "one statement in `Statement` (or the older Action/Principal)",
    "AWS::Lambda::Permission": "one statement from Action, Principal, SourceArn, SourceAccount",
    "AWS::Lambda::LayerVersionPermission": "one statement from Action, Principal, OrganizationId",
    "AWS::Organizations::Policy": "`Content` of a service or resource control policy",
}


def _resolve(value: Any, definitions: dict[str, Any]) -> Any:
    seen: set[str] = set()
    while isinstance(value, dict) and "$ref" in value and value["$ref"] not in seen:
        seen.add(value["$ref"])
        value = definitions.get(value["$ref"].rsplit("/", 1)[-1], {})
    return value


def _candidates(schema: Any, definitions: dict[str, Any], path: tuple[str, ...], depth: int = 0):  # type: ignore[no-untyped-def]
    schema = _resolve(schema, definitions)
    if not isinstance(schema, dict) or depth > 12:
        return
    for name, raw in (schema.get("properties") or {}).items():
        value = _resolve(raw, definitions)
        if not isinstance(value, dict):
            continue
        here = (*path, name)
        kinds = value.get("type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "Polic" in name and not re.search(
            r"(Id|Arn|Arns|Name|Type|Label|Language|Runtime|Scope|Hash|Status|Description"
            r"|Version|RevisionId|Number)$",
            name,
        ):
            structured = "object" in kinds and value.get("properties")
            if not structured and ("object" in kinds or "string" in kinds or None in kinds):
                yield "/".join(here), value
        yield from _candidates(value, definitions, here, depth + 1)
        if "items" in value:
            yield from _candidates(value["items"], definitions, (*here, "*"), depth + 1)


def main() -> int:
    version = metadata.version("cfn-lint")
    schemas = resources.files("cfnlint") / "data" / "schemas"
    providers = json.loads((schemas / "providers" / f"{REGION}.json").read_text())
    schema_date = json.loads((schemas / "version.json").read_text()).get("schema_date", "?")
    unclassified, not_iam = [], {e for entries in NOT_IAM.values() for e in entries}
    found: dict[tuple[str, str], tuple[str, str | None]] = {}
    for type_name, digest in sorted(providers.items()):
        schema = json.loads((schemas / "resources" / f"{digest}.json").read_text())
        for path, value in _candidates(schema, schema.get("definitions", {}), ()):
            key = (type_name, path)
            if key in IAM:
                found[key] = IAM[key]
            elif (
                f"{type_name} {path}" in not_iam
                or value.get("enum")
                or _SETTING.search(path.rsplit("/", 1)[-1])
            ):
                continue
            else:
                unclassified.append(f"{type_name} {path}")
    missing = sorted(set(IAM) - set(found))
    from policy_guard.policy.resource_types import RESOURCE_TYPES

    unknown = [t for _, t in IAM.values() if t is not None and t not in RESOURCE_TYPES]
    assert not unknown, f"not a resource type of the public-access check: {unknown}"
    if unclassified or missing:
        for line in unclassified:
            print(f"unclassified: {line}", file=sys.stderr)
        for type_name, path in missing:
            print(f"not in the schemas any more: {type_name} {path}", file=sys.stderr)
        return 1
    lines = [
        '"""Where CloudFormation templates hold IAM policy documents. GENERATED by',
        "tools/generate_cloudformation_properties.py from the resource schemas of cfn-lint "
        f"{version}",
        f"(provider schemas of {REGION}, dated {schema_date}); do not edit by hand.",
        "",
        "`POLICY_PROPERTIES` maps a resource type to its policy-bearing properties: the property",
        "path (`*` a list item), the policy kind (identity, resource, trust) and, for resource",
        "policies, the resource type the policy governs when it is one the checks know.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        f'CFN_LINT_VERSION = "{version}"',
        f'SCHEMA_DATE = "{schema_date}"',
        "",
        "POLICY_PROPERTIES: dict[str, tuple[tuple[str, str, str | None], ...]] = {",
    ]
    by_type: dict[str, list[tuple[str, str, str | None]]] = {}
    for (type_name, path), (kind, governed) in sorted(found.items()):
        by_type.setdefault(type_name, []).append((path, kind, governed))
    for type_name, entries in by_type.items():
        lines.append(f"    {type_name!r}: (")
        lines.extend(f"        {entry!r}," for entry in entries)
        lines.append("    ),")
    lines.append("}")
    lines.append("")
    lines.append("# Resource types whose policy is built from several properties (see the source).")
    lines.append("SPECIAL_TYPES: dict[str, str] = {")
    lines.extend(f"    {k!r}: {v!r}," for k, v in SPECIAL.items())
    lines.append("}")
    OUTPUT.write_text("\n".join(lines).replace("'", '"') + "\n")
    print(f"{len(found)} properties of {len(by_type)} resource types -> {OUTPUT.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
