#!/usr/bin/env bash
# Long fuzz run of tests/fuzz.rs (issue 10): the proptest harness that `cargo test` runs with a small
# budget, here in rounds of FUZZ_CASES cases per target until MINUTES have passed. Each round draws new
# random inputs (proptest seeds from the OS); a failing case is shrunk and kept by proptest in its
# regression file under proptest-regressions/, replayed first by every later run (commit it as a
# regression test). Prints one line per round and a summary with the number of executions and failures.
#
#   bash scripts/fuzz.sh [MINUTES]      (env: FUZZ_CASES per target and round, default 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
export FUZZ_CASES=${FUZZ_CASES:-2000}
export LIVENESS_MODELS=${LIVENESS_MODELS:-../shared/models}
cargo test --release --locked --test fuzz --no-run >/dev/null 2>&1
targets=$(cargo test --release --locked --test fuzz -- --list 2>/dev/null | grep -c ': test$')
end=$(( $(date +%s) + MINUTES * 60 ))
round=0 executions=0 failed=0
while [ "$(date +%s)" -lt "$end" ]; do
    round=$(( round + 1 ))
    log=$(mktemp)
    if cargo test --release --locked --test fuzz >"$log" 2>&1; then
        verdict=ok
    else
        verdict=FAILED
        failed=$(( failed + 1 ))
        cp "$log" "fuzz-failure-round$round.log"
    fi
    executions=$(( executions + targets * FUZZ_CASES ))
    echo "round $round: $targets targets x $FUZZ_CASES cases -> $verdict ($(grep -o 'finished in [0-9.]*s' "$log" | tail -1))"
    rm -f "$log"
done
echo "fuzz: $round rounds, about $executions executions, $failed failed rounds in $MINUTES min; load: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$failed" = 0 ]
