#!/usr/bin/env bash
# A repository for the action's self-test: one policy at the base commit, then a commit that adds
# `s3:DeleteBucket` (new access). Usage: make-fixture-repository.sh DIRECTORY
set -euo pipefail
dir="$1"
mkdir -p "$dir/iam"
cd "$dir"
git init --quiet
git config user.email "fixture@example.com"
git config user.name "fixture"
write() {
  printf '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Action": [%s], "Resource": "arn:aws:s3:::example-bucket"}\n  ]\n}\n' "$1" > iam/app.json
}
write '"s3:GetBucketLocation"'
git add iam/app.json
git commit --quiet -m "base"
write '"s3:GetBucketLocation", "s3:DeleteBucket"'
git commit --quiet -am "widen"
