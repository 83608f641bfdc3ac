"""The resource types of CheckNoPublicAccess, and the services whose actions each one's resource
policy can grant. A module of its own so that the configuration can check the types it names
without loading the engine."""

from __future__ import annotations

from collections.abc import Mapping

RESOURCE_TYPES: Mapping[str, tuple[str, ...]] = {
    # The `--resource-type` values of CheckNoPublicAccess, in AWS's order, and the service
    # prefixes of the actions each type's resource policy can grant.
    "AWS::DynamoDB::Table": ("dynamodb",),
    "AWS::DynamoDB::Stream": ("dynamodb",),
    "AWS::EFS::FileSystem": ("elasticfilesystem",),
    "AWS::OpenSearchService::Domain": ("es",),
    "AWS::Kinesis::Stream": ("kinesis",),
    "AWS::Kinesis::StreamConsumer": ("kinesis",),
    "AWS::KMS::Key": ("kms",),
    "AWS::Lambda::Function": ("lambda",),
    "AWS::S3::Bucket": ("s3",),
    "AWS::S3::AccessPoint": ("s3",),
    "AWS::S3Express::DirectoryBucket": ("s3express",),
    "AWS::S3::Glacier": ("glacier",),
    "AWS::S3Outposts::Bucket": ("s3-outposts",),
    "AWS::S3Outposts::AccessPoint": ("s3-outposts",),
    "AWS::SecretsManager::Secret": ("secretsmanager",),
    "AWS::SNS::Topic": ("sns",),
    "AWS::SQS::Queue": ("sqs",),
    "AWS::IAM::AssumeRolePolicyDocument": ("sts",),
    "AWS::S3Tables::TableBucket": ("s3tables",),
    "AWS::ApiGateway::RestApi": ("execute-api",),
    "AWS::CodeArtifact::Domain": ("codeartifact",),
    "AWS::Backup::BackupVault": ("backup",),
    "AWS::CloudTrail::Dashboard": ("cloudtrail",),
    "AWS::CloudTrail::EventDataStore": ("cloudtrail",),
    "AWS::S3Tables::Table": ("s3tables",),
    "AWS::S3Express::AccessPoint": ("s3express",),
}
