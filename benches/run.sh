#!/usr/bin/env bash
# Installs the reference tools the benchmark compares against, then runs it.
#   bash benches/run.sh            # prints the tables of docs/performance.md
#   ARGON2_NATIVE=/path/to/argon2 bash benches/run.sh
#                                  # adds a reference argon2 built from source
#                                  # with -march=native (docs/performance.md)
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v argon2 >/dev/null || need+=(argon2)
command -v oathtool >/dev/null || need+=(oathtool)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import pyotp' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pyotp
cargo bench --bench unlock
cargo bench --bench merge
cargo bench --bench agent
