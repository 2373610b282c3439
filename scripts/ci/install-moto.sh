#!/usr/bin/env bash
# moto's server mode: the local stand-in for STS, IAM, Organizations and CloudTrail that the
# AWS end-to-end tests (test/aws/) start on 127.0.0.1. Installs only when it is missing.
set -euo pipefail
if command -v moto_server >/dev/null 2>&1; then
  exit 0
fi
python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
command -v moto_server >/dev/null 2>&1 || { echo "moto_server is not on PATH after installing moto" >&2; exit 1; }
