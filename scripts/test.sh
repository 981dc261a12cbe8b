#!/usr/bin/env bash
# Runs every test of cxmap: the Rust workspace against SQLite and PostgreSQL, the Python parity
# tests against PM4Py, and the browser tests in Debian's Chromium. Needs cargo, python3, node/npm;
# installs the Python and npm packages it needs into .cxmap-test/ and web/node_modules.
# A PostgreSQL is used at $CXMAP_TEST_PG, or a throwaway one is started (scripts/pg-test-env.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# shellcheck source=scripts/pg-test-env.sh
source scripts/pg-test-env.sh

step() { printf '\n==> %s\n' "$*"; }

step "Python environment (PM4Py for parity tests, aiosmtpd as the tests' SMTP server)"
venv=.cxmap-test/venv
if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check \
    -r tests-py/requirements.txt -r crates/server/tests/support/requirements.txt
# Tests start `python3` helpers (the SMTP server): they get the venv's.
export PATH="$root/$venv/bin:$PATH"

step "cargo build (the cxmap binary used by the CLI, Python and browser tests)"
cargo build --locked -p cxmap-cli
export CXMAP_BIN="$root/target/debug/cxmap"

step "cargo test --workspace (SQLite and PostgreSQL behaviour suites, API, CLI)"
cargo test --locked --workspace --no-fail-fast

step "Python tests (cxmap analyze vs PM4Py)"
"$venv/bin/python" -m pytest -q tests-py

for dir in web tests-e2e; do
    if [[ -f $dir/package.json ]]; then
        step "browser tests in $dir (playwright-core + Debian chromium)"
        (cd "$dir" && npm ci --no-audit --no-fund)
        if [[ $dir == web ]]; then
            step "web/dist matches web/src (the binary embeds the committed build)"
            (cd web && npm run check-dist)
        fi
        (cd "$dir" && npm test)
    fi
done

step "all test suites passed"
