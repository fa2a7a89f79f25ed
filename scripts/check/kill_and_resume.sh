#!/usr/bin/env bash
# Kills a step-limited training run with kill -9 at a random moment, resumes it with
# `seqlab train --resume`, and checks that it ends with the numbers of a run that was never
# interrupted: the same steps, the same final validation loss to the last digit, and the same
# training loss, validation loss, gradient norm and learning rate on every row of metrics.csv.
#
#   scripts/check/kill_and_resume.sh                    # 2 x 128 LSTM, 300 steps, dropout 0.1
#   STEPS=200 HIDDEN=256 scripts/check/kill_and_resume.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
text=${TEXT:-$root/data/tinyshakespeare.txt}
steps=${STEPS:-300}
hidden=${HIDDEN:-128}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=(--task char-lm --text "$text" --model lstm --layers 2 --hidden "$hidden" --dropout 0.1
      --schedule cosine --warmup 20 --max-steps "$steps" --val-every 50 --checkpoint-every 10
      --seed 7 --threads 2)

start=$(python3 -c "import time; print(time.time())")
./seqlab train "${args[@]}" --out "$work/whole" >/dev/null
took=$(python3 -c "import time; print(round(time.time() - $start, 1))")
echo "uninterrupted run: $steps steps in ${took%.*} s"

# A moment between 30% and 90% of the run's duration.
delay=$(python3 -c "import random; print(round($took * random.uniform(0.3, 0.9), 1))")
./seqlab train "${args[@]}" --out "$work/killed" >/dev/null 2>&1 &
sleep "$delay"
pid=$(pgrep -f -- "--out $work/killed" | xargs -r ps -o pid=,comm= -p | awk '$2 == "java" {print $1}')
kill -9 $pid
wait 2>/dev/null || true
at=$(wc -l < "$work/killed/metrics.csv")
echo "killed (kill -9) after ${delay} s, with $((at - 1)) rows in metrics.csv"

./seqlab train --resume "$work/killed" | grep -E "^resuming|finished"

python3 - "$work/whole" "$work/killed" <<'PY'
import csv, json, sys
whole, killed = sys.argv[1], sys.argv[2]
a, b = (json.load(open(f"{d}/result.json")) for d in (whole, killed))
for key in ("steps", "val_loss", "best_val_loss", "train_loss"):
    print(f"{key:14} uninterrupted {a[key]!r:24} killed+resumed {b[key]!r}")
    assert a[key] == b[key], key
rows = [list(csv.reader(open(f"{d}/metrics.csv"))) for d in (whole, killed)]
assert len(rows[0]) == len(rows[1]), "row counts differ"
for x, y in zip(*rows):
    assert [x[i] for i in (0, 2, 3, 4, 5)] == [y[i] for i in (0, 2, 3, 4, 5)], (x, y)
print(f"metrics.csv: all {len(rows[0]) - 1} rows agree (step, train_loss, val_loss, grad_norm, lr)")
print("OK: the killed and resumed run ends exactly as the uninterrupted one")
PY
