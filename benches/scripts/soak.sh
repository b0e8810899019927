#!/usr/bin/env bash
# Soak run (issue 12): `zkaudit hammer` writes at a target rate and verifies
# checkpoints and proofs while the server is SIGKILLed every KILL_EVERY
# seconds and restarted at once; at the end every acknowledged entry is read
# back (hammer fails if one is missing) and `zkaudit log fsck` checks the
# stored log. Usage: benches/scripts/soak.sh [DURATION_S] [RATE] [KILL_EVERY_S]
set -euo pipefail
duration=${1:-180}; rate=${2:-300}; every=${3:-60}
bin=${ZKAUDIT_BIN:-target/release/zkaudit}
dir=$(mktemp -d); data=$dir/data; port=${SOAK_PORT:-18090}
serve() { "$bin" serve --data "$data" --listen "127.0.0.1:$port" >>"$dir/serve.log" 2>&1 & echo $! >"$dir/pid"; }
serve; sleep 2
"$bin" hammer --server "http://127.0.0.1:$port" --key "$data/dev-authority.key" \
  --rate "$rate" --duration "$duration" --acknowledged "$dir/acknowledged.jsonl" >"$dir/hammer.out" 2>"$dir/hammer.err" &
hammer=$!
kills=0; started=$(date +%s)
while kill -0 "$hammer" 2>/dev/null; do
  sleep 1
  if (( $(date +%s) - started >= (kills + 1) * every && $(date +%s) - started < duration )); then
    kill -9 "$(cat "$dir/pid")"; kills=$((kills + 1)); serve
  fi
done
wait "$hammer" && status=0 || status=$?
cat "$dir/hammer.out"
echo "kills: $kills (SIGKILL every $every s), hammer exit status: $status"
kill "$(cat "$dir/pid")"; sleep 1
"$bin" log fsck --data "$data" 2>/dev/null
echo "files in $dir"
exit "$status"
