#!/usr/bin/env bash
# Install the real servers the test-suite starts on loopback (see DESIGN.md,
# "Real components in tests"): Prometheus, Alertmanager, Pushgateway, Redis and
# PostgreSQL 15, all from Debian's packages; Chromium, which opens the
# dashboard preview headless; and docker-compose, which validates
# deploy/docker-compose.yml (`docker-compose config` needs no Docker engine).
#
# Idempotent: installs only what is missing, runs `apt-get update` at most once,
# and never starts (or leaves running) any service.  Without root it only reports
# what is missing and exits 0: the affected tests then skip locally and fail
# under CI=true.
set -euo pipefail

PG_BIN_DIR="${POSTGRES_BIN_DIR:-/usr/lib/postgresql/15/bin}"

# "package|binary" pairs: the package is installed when the binary is missing.
COMPONENTS=(
    "prometheus|/usr/bin/prometheus"
    "prometheus-alertmanager|/usr/bin/prometheus-alertmanager"
    "prometheus-pushgateway|/usr/bin/prometheus-pushgateway"
    "redis-server|/usr/bin/redis-server"
    "postgresql-15|${PG_BIN_DIR}/initdb"
    "chromium|/usr/bin/chromium"
    "docker-compose|/usr/bin/docker-compose"
)

missing=()
for entry in "${COMPONENTS[@]}"; do
    pkg="${entry%%|*}"
    binary="${entry#*|}"
    if [[ ! -x "${binary}" ]]; then
        missing+=("${pkg}")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "install-test-deps: all test components present."
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    echo "install-test-deps: NOTE: missing test components: ${missing[*]}" >&2
    echo "install-test-deps: not root, so not installing them. As root run:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "install-test-deps: tests needing them skip locally and FAIL under CI=true." >&2
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-test-deps: apt-get not found; install manually: ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Keep package maintainer scripts from starting services (the PostgreSQL package
# would otherwise create and start a cluster on 5432, redis-server a daemon on
# 6379).  Tests start their own instances; an existing policy-rc.d is respected.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e "${policy}" ]]; then
    printf '#!/bin/sh\n# installed temporarily by install-test-deps.sh\nexit 101\n' >"${policy}"
    chmod 0755 "${policy}"
    created_policy=1
fi
cleanup() {
    if [[ ${created_policy} -eq 1 ]]; then
        rm -f "${policy}"
    fi
}
trap cleanup EXIT

echo "install-test-deps: installing ${missing[*]}"
apt-get update
apt-get install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"

status=0
for entry in "${COMPONENTS[@]}"; do
    binary="${entry#*|}"
    if [[ ! -x "${binary}" ]]; then
        echo "install-test-deps: still missing after install: ${binary}" >&2
        status=1
    fi
done
exit ${status}
