#!/usr/bin/env bash
# Smoke tests, run inside the provisioned guest by scripts/test-deploy.
set -euo pipefail
systemctl is-active postgresql@15-main pgbouncer collectd supervisor nftables
supervisorctl status
