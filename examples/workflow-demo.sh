#!/usr/bin/env bash
# policy-guard's git workflow in a throw-away repository: commit a policy, change it twice, and
# let `policy-guard` (no arguments: the changes since HEAD) compare each change with HEAD.
#   bash examples/workflow-demo.sh      (needs git and an installed policy-guard)
set -uo pipefail
demo="$(mktemp -d)"
trap 'rm -rf "$demo"' EXIT
cd "$demo" || exit 2
git init --quiet
git config user.name demo && git config user.email demo@example.com
git config commit.gpgsign false

mkdir iam
cat > iam/app.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadData",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::example-data", "arn:aws:s3:::example-data/*"]
    }
  ]
}
JSON
git add iam/app.json && git commit --quiet --no-verify --message "the reviewed policy"

echo "== 1. a narrowing (s3:ListBucket removed): no new access, exit 0"
cat > iam/app.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadData",
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::example-data/*"
    }
  ]
}
JSON
policy-guard
echo "exit code: $?"
echo

echo "== 2. a new statement with s3:Delete*: new access, exit 1"
cat > iam/app.json <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadData",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::example-data", "arn:aws:s3:::example-data/*"]
    },
    {
      "Sid": "CleanUp",
      "Effect": "Allow",
      "Action": "s3:Delete*",
      "Resource": "arn:aws:s3:::example-data*"
    }
  ]
}
JSON
policy-guard
status=$?
echo "exit code: $status"
exit "$status"
