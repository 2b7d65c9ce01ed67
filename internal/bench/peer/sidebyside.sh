#!/usr/bin/env bash
# Side-by-side: mailpit and inboxkit (SQLite, PostgreSQL) on one generated
# corpus, in alternating rounds (mailpit, SQLite, PostgreSQL, then again),
# so every ratio compares runs made minutes apart on the same machine.
#
# Usage (from the module root):
#   internal/bench/peer/sidebyside.sh            # N=10000 ROUNDS=2
#   N=100000 ROUNDS=1 internal/bench/peer/sidebyside.sh
#
# Environment: N, ROUNDS, SEED=42, K=4 (mailpit's SMTP connections),
# STORES="sqlite postgres", DSN (PostgreSQL), WORK=./.peers (scratch).
# Needs python3, curl, jq and Go; mailpit is built with go install on
# first use (mailpit.sh install). Prints one table of medians with ratios.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
N="${N:-10000}"
ROUNDS="${ROUNDS:-2}"
SEED="${SEED:-42}"
K="${K:-4}"
STORES="${STORES:-sqlite postgres}"
export WORK="${WORK:-$PWD/.peers}"
export SEED
DSN="${DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}"
CORPUS="$WORK/corpus-$N"
OUT="$WORK/sidebyside-$N-$(date +%Y%m%d-%H%M%S).jsonl"
mkdir -p "$WORK/results" "$WORK/bin"

if [[ ! -f "$CORPUS/manifest.json" ]]; then
  python3 "$HERE/gen_and_send.py" eml -n "$N" --seed "$SEED" --out "$CORPUS" >/dev/null
fi
"$HERE/mailpit.sh" install
go build -o "$WORK/bin/inboxkit-peer" "$HERE"

for round in $(seq 1 "$ROUNDS"); do
  "$HERE/mailpit.sh" start "$WORK/db/mailpit-r$round.db"
  pid="$(cat "$WORK/mailpit.pid")"
  ticks0="$(awk '{print $14+$15}' "/proc/$pid/stat")"
  python3 "$HERE/gen_and_send.py" send --from-dir "$CORPUS" --smtp 127.0.0.1:11025 -k "$K" \
      --json-out "$WORK/results/send.json" >&2
  ticks1="$(awk '{print $14+$15}' "/proc/$pid/stat")"
  python3 - "$WORK/results/send.json" "$ticks0" "$ticks1" "$(getconf CLK_TCK)" "$round" <<'PY' >>"$OUT"
import json, sys
d = json.load(open(sys.argv[1]))
cpu = (float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[4])
n = d.get("sent") or d.get("n") or d.get("messages")
print(json.dumps({"label": "r" + sys.argv[5], "system": "mailpit", "mode": "ingest", "messages": n,
                  "msgs_per_s": d["msgs_per_s"], "cpu_s": round(cpu, 2), "cpu_us_per_msg": round(cpu / n * 1e6, 1)}))
PY
  python3 "$HERE/search_bench.py" --http 127.0.0.1:18025 --manifest "$CORPUS/manifest.json" --label "r$round" |
    python3 -c 'import json,sys
for l in sys.stdin:
    d=json.loads(l); d.pop("samples_ms",None); d.update(system="mailpit", mode="search"); print(json.dumps(d))' >>"$OUT"
  "$HERE/mailpit.sh" stop
  for store in $STORES; do
    "$WORK/bin/inboxkit-peer" -corpus "$CORPUS" -store "$store" -dsn "$DSN" -path "$WORK/db/inboxkit-r$round.db" \
        -label "r$round" >>"$OUT"
  done
done

python3 - "$OUT" "$N" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
systems = [s for s in ["mailpit", "inboxkit-sqlite", "inboxkit-postgres"] if any(r["system"] == s for r in rows)]
def med(system, mode, field, query=None):
    v = [r[field] for r in rows if r["system"] == system and r["mode"] == mode and r.get("query_name", None) == query and r.get(field) is not None]
    return statistics.median(v) if v else None
metrics = [("ingest msg/s", "ingest", "msgs_per_s", None, True), ("CPU µs per message", "ingest", "cpu_us_per_msg", None, False),
           ("of which PostgreSQL server", "ingest", "server_cpu_us_per_msg", None, False)]
for q in ["rare", "frequent", "from"]:
    metrics += [(f"search p50 {q} (ms)", "search", "p50_ms", q, False), (f"search p95 {q} (ms)", "search", "p95_ms", q, False)]
print(f"\nN={sys.argv[2]}, medians of {len({r['label'] for r in rows})} alternating round(s); ratio = how many times better than mailpit")
print("| | " + " | ".join(systems) + " |")
print("|---" * (len(systems) + 1) + "|")
for name, mode, field, q, higher in metrics:
    base = med("mailpit", mode, field, q)
    cells = []
    for s in systems:
        v = med(s, mode, field, q)
        if v is None:
            cells.append("–"); continue
        cell = f"{v:,.1f}"
        if s != "mailpit" and base:
            ratio = v / base if higher else base / v if v else float("inf")
            cell += f" ({ratio:.2f}×)"
        cells.append(cell)
    print(f"| {name} | " + " | ".join(cells) + " |")
print(f"\nraw results: {sys.argv[1]}")
PY
