#!/usr/bin/env bash
# The README's test command: set up what cargo cannot fetch, then run every test in release mode (the
# integration tests run real models on real images; release keeps them fast).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --release --locked "$@"
