#!/usr/bin/env bash
# Peer benchmark harness for mailpit (github.com/axllent/mailpit): SMTP ingest + HTTP search API.
#
# Usage:
#   internal/bench/peer/mailpit.sh install            # go install through the Go module proxy (if missing)
#   internal/bench/peer/mailpit.sh start [DBFILE]     # start on loopback with a FRESH database file
#                                            # (KEEP_DB=1: reuse DBFILE as is)
#   internal/bench/peer/mailpit.sh stop               # stop the instance started above (by its PID only)
#   internal/bench/peer/mailpit.sh bench              # full measurement (install, ingest 10k x K=1/K=4,
#                                            # search latency, optional 100k), raw logs in $WORK/results
#
# Environment (defaults):
#   WORK=./.peers  MAILPIT_VERSION=v1.27.11  SMTP=127.0.0.1:11025  HTTP=127.0.0.1:18025
#   SEED=42  N_SMALL=10000  N_BIG=100000 (0 = skip)  BIG_K=4  SEARCH_REPS=20
#   BUDGET_S=900 (the 100k stage is skipped if its projected time would exceed what is left)
#
# Only loopback addresses are used. Scratch goes to $WORK (default ./.peers in the current directory).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
WORK="${WORK:-$PWD/.peers}"
MAILPIT_VERSION="${MAILPIT_VERSION:-v1.27.11}"
SMTP="${SMTP:-127.0.0.1:11025}"
HTTP="${HTTP:-127.0.0.1:18025}"
BIN="$WORK/bin/mailpit"
PIDFILE="$WORK/mailpit.pid"
SEED="${SEED:-42}"
N_SMALL="${N_SMALL:-10000}"
N_BIG="${N_BIG:-100000}"
BIG_K="${BIG_K:-4}"
SEARCH_REPS="${SEARCH_REPS:-20}"
BUDGET_S="${BUDGET_S:-900}"
RES="$WORK/results"

log() { printf '[mailpit.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

install_mailpit() {
  if [[ -x "$BIN" ]] && "$BIN" version --no-release-check 2>/dev/null | grep -q "$MAILPIT_VERSION"; then
    return 0
  fi
  mkdir -p "$WORK/bin"
  log "installing mailpit $MAILPIT_VERSION via the Go module proxy"
  # The version is stamped like upstream's Dockerfile does; CGO is not needed (modernc.org/sqlite).
  # The web UI bundle (server/ui/dist) is not in the module zip; SMTP + /api/v1 work without it.
  if ! CGO_ENABLED=0 GOBIN="$WORK/bin" go install \
      -ldflags "-X github.com/axllent/mailpit/config.Version=$MAILPIT_VERSION" \
      "github.com/axllent/mailpit@$MAILPIT_VERSION" 2>"$WORK/install.err"; then
    log "go install failed:"; cat "$WORK/install.err" >&2; return 1
  fi
  "$BIN" version --no-release-check >&2
}

pid_alive() { [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

start_mailpit() {
  local db="${1:-$WORK/db/mailpit-$(date +%s).db}"
  install_mailpit
  if pid_alive; then log "already running (pid $(cat "$PIDFILE")); stop it first"; return 1; fi
  mkdir -p "$(dirname "$db")"
  # fresh database file, unless KEEP_DB=1 (re-measure search on an already ingested DB)
  [[ "${KEEP_DB:-0}" == 1 ]] || rm -f "$db" "$db-wal" "$db-shm"
  # --max 0: keep every message (the default of 500 prunes, which would falsify the measurement).
  "$BIN" --database "$db" --smtp "$SMTP" --listen "$HTTP" --max 0 \
      --disable-version-check --smtp-disable-rdns --quiet \
      --log-file "$WORK/mailpit.log" >/dev/null 2>&1 &
  echo $! >"$PIDFILE"
  echo "$db" >"$WORK/mailpit.dbpath"
  for _ in $(seq 1 100); do
    if curl -fsS "http://$HTTP/readyz" >/dev/null 2>&1; then
      log "started pid $(cat "$PIDFILE") db=$db smtp=$SMTP http=$HTTP"; return 0
    fi
    pid_alive || { log "mailpit exited at start:"; tail -20 "$WORK/mailpit.log" >&2 || true; return 1; }
    sleep 0.1
  done
  log "not ready after 10s"; return 1
}

stop_mailpit() {
  [[ -f "$PIDFILE" ]] || return 0
  local pid; pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    log "stopped pid $pid"
  fi
  rm -f "$PIDFILE"
}

# "rss_kb hwm_kb cpu_s" of the running mailpit (hwm = peak RSS, cpu = user+sys seconds).
proc_stats() {
  local pid; pid="$(cat "$PIDFILE")"
  local rss hwm ticks hz
  rss="$(ps -o rss= -p "$pid" | tr -d ' ')"
  hwm="$(awk '/VmHWM/{print $2}' "/proc/$pid/status")"
  ticks="$(awk '{print $14+$15}' "/proc/$pid/stat")"
  hz="$(getconf CLK_TCK)"
  echo "$rss $hwm $(awk -v t="$ticks" -v h="$hz" 'BEGIN{printf "%.2f", t/h}')"
}

db_bytes() {
  local db; db="$(cat "$WORK/mailpit.dbpath")"
  du -cb "$db" "$db-wal" "$db-shm" 2>/dev/null | tail -1 | cut -f1
}

# ingest LABEL N K  -> appends a JSON line to $RES/ingest.jsonl
ingest_run() {
  local label="$1" n="$2" k="$3"
  local before after
  before="$(proc_stats)"
  python3 "$HERE/gen_and_send.py" send --from-dir "$WORK/corpus-$n" --smtp "$SMTP" -k "$k" \
      --json-out "$RES/ingest-$label.json" >&2
  after="$(proc_stats)"
  local total; total="$(curl -fsS "http://$HTTP/api/v1/messages?limit=1" | jq .total)"
  python3 - "$RES/ingest-$label.json" "$before" "$after" "$total" "$(db_bytes)" "$label" <<'PY' >>"$RES/ingest.jsonl"
import json, sys
d = json.load(open(sys.argv[1]))
b = sys.argv[2].split(); a = sys.argv[3].split()
d.update(label=sys.argv[6], mailpit_total=int(sys.argv[4]), db_bytes=int(sys.argv[5]),
         mailpit_rss_kb=int(a[0]), mailpit_peak_rss_kb=int(a[1]),
         mailpit_cpu_s=round(float(a[2]) - float(b[2]), 2),
         loadavg_after=open("/proc/loadavg").read().split()[:3])
print(json.dumps(d))
PY
  tail -1 "$RES/ingest.jsonl" >&2
}

search_run() {
  local label="$1" n="$2"
  python3 "$HERE/search_bench.py" --http "$HTTP" --manifest "$WORK/corpus-$n/manifest.json" \
      --reps "$SEARCH_REPS" --label "$label" >>"$RES/search.jsonl"
  local st; st="$(proc_stats)"
  echo "{\"label\": \"$label\", \"after_search_rss_kb\": ${st%% *}, \"db_bytes\": $(db_bytes)," \
       "\"loadavg_after\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$RES/search.jsonl"
  tail -4 "$RES/search.jsonl" >&2
}

ensure_corpus() {
  local n="$1"
  if [[ ! -f "$WORK/corpus-$n/manifest.json" ]]; then
    log "generating corpus n=$n seed=$SEED"
    python3 "$HERE/gen_and_send.py" eml -n "$n" --seed "$SEED" --out "$WORK/corpus-$n" >&2
  fi
}

bench() {
  local t0=$SECONDS
  install_mailpit
  mkdir -p "$RES"; : >"$RES/ingest.jsonl"; : >"$RES/search.jsonl"
  trap stop_mailpit EXIT
  ensure_corpus "$N_SMALL"
  {
    echo "date: $(date -Is)"; echo "host: $(nproc) cores, $(free -g | awk '/Mem/{print $2}') GiB"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)"
    echo "mailpit: $("$BIN" version --no-release-check 2>&1 | head -1)"
    echo "python: $(python3 --version 2>&1)"; echo "go: $(go version)"
    echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)  (other work on the machine skews timings)"
  } >"$RES/env.txt"

  for k in 1 4; do
    start_mailpit "$WORK/db/n$N_SMALL-k$k.db"
    ingest_run "n$N_SMALL-k$k" "$N_SMALL" "$k"
    [[ $k == 4 ]] && search_run "n$N_SMALL" "$N_SMALL"
    stop_mailpit
  done

  if [[ "$N_BIG" -gt 0 ]]; then
    # Project the 100k stage from the K=4 10k rate (x1.5 slack for DB growth + search).
    local rate elapsed projected
    rate="$(python3 -c 'import json,sys;print([json.loads(l) for l in open(sys.argv[1])][-1]["msgs_per_s"])' "$RES/ingest.jsonl")"
    elapsed=$((SECONDS - t0))
    projected="$(python3 -c "print(int($N_BIG/$rate*1.5 + 120))")"
    if (( elapsed + projected > BUDGET_S )); then
      log "skipping n=$N_BIG: projected ${projected}s, ${elapsed}s used of ${BUDGET_S}s"
      echo "{\"label\": \"n$N_BIG\", \"skipped\": true, \"projected_s\": $projected}" >>"$RES/ingest.jsonl"
    else
      ensure_corpus "$N_BIG"
      start_mailpit "$WORK/db/n$N_BIG-k$BIG_K.db"
      ingest_run "n$N_BIG-k$BIG_K" "$N_BIG" "$BIG_K"
      search_run "n$N_BIG" "$N_BIG"
      stop_mailpit
    fi
  fi
  log "done in $((SECONDS - t0))s; results in $RES"
}

case "${1:-}" in
  install) install_mailpit ;;
  start) shift; start_mailpit "$@" ;;
  stop) stop_mailpit ;;
  bench) bench ;;
  *) sed -n '2,15p' "$0"; exit 2 ;;
esac
