"""Helpers of the template tests: a CloudFormation template with one Lambda role, its inline
policy's statements given as YAML lines (indented 14 spaces, as under `Statement:`)."""

from __future__ import annotations


def role_template(role: str, statements: str, *, head: str = "", more: str = "") -> str:
    """A template: `head` (sections before `Resources`: parameters, conditions), the role
    `role` whose inline policy `app` holds `statements`, then `more` (other resources)."""
    return f"""\
AWSTemplateFormatVersion: "2010-09-09"
{head}Resources:
  {role}:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {{Service: lambda.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: app
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
{statements}{more}"""
