#!/usr/bin/env bash
# Measures radiusd with radload on this machine and prints one line per run
# (see docs/performance.md). Everything runs on 127.0.0.1 and every run is
# bounded in time.
#
#   scripts/bench.sh                 the table: scenarios × concurrency 8/32/128, 3 rounds
#   scripts/bench.sh soak [DURATION] mixed traffic at SOAK_RATE req/s (default 10m): every
#                                    answer checked, resident memory and goroutines
#                                    at the start and the end
#   scripts/bench.sh ab REV [N]      bare codes at c=32: REV's radiusd and the working
#                                    tree's, alternately, N times each (default 3)
#
# Environment: ROUNDS (3), RUN (8s per run), USERS (per range, 80000),
# BCRYPT_COST (4, for the password+code scenario), SYNC (normal|full),
# SOAK_RATE (2000).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} RUN=${RUN:-8s} USERS=${USERS:-80000} BCRYPT_COST=${BCRYPT_COST:-4} SYNC=${SYNC:-normal}
work=$(mktemp -d /tmp/radiusd-bench.XXXXXX)
echo "work dir: $work" >&2
go build -o "$work/radiusd" ./cmd/radiusd
go build -o "$work/radload" ./cmd/radload
port=$((20000 + RANDOM % 20000))
secret=bench-secret-0123456789abcdefghij
printf %s "$secret" >"$work/client.secret"
printf %s 'bench-password' >"$work/pw.txt"
total=$((USERS * 3 + 3 * 6000 + 3 * 10000)) # ranges: code ×3, duplicates ×3, password+code ×3

config() { # mode
  cat >"$work/radiusd.yaml" <<YAML
listen: ["127.0.0.1:$port"]
clients:
  - name: bench
    networks: ["127.0.0.1/32"]
    secret_file: client.secret
    mode: $1
store: { path: data/radiusd.db, key_file: data/radiusd.key, synchronous: $SYNC }
directory: { backend: file, file: users.yaml }
lockout: { max_failures: 0, duration: 1m }
log: { level: info, format: text }
metrics: { listen: "127.0.0.1:$((port + 1))" }
YAML
}

start() { # mode
  config "$1"
  "$work/radiusd" serve --config "$work/radiusd.yaml" 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 50); do
    "$work/radload" run --server "127.0.0.1:$port" --secret-file "$work/client.secret" \
      --scenario status --max-requests 1 --timeout 200ms --strict >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "radiusd did not start; see $work/server.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; }

load() { # label scenario concurrency first-user users [extra…]
  local label=$1 scen=$2 c=$3 first=$4 n=$5; shift 5
  "$work/radload" run --server "127.0.0.1:$port" --secret-file "$work/client.secret" --seed bench \
    --scenario "$scen" --concurrency "$c" --duration "$RUN" --first-user "$first" --users "$n" \
    --server-pid "$pid" --json "$@" >"$work/run.json"
  python3 - "$label" "$c" "$work/run.json" <<'PY'
import json, sys
label, c, path = sys.argv[1], sys.argv[2], sys.argv[3]
r = json.load(open(path))
l, s = r["latency_ms"], r.get("server_process", {})
print(f"{label:<22} c={c:<4} {r['requests_per_second']:>9.0f} req/s  p50 {l['p50']:6.2f} ms  p99 {l['p99']:6.2f} ms  "
      f"timeouts {r['timeouts']}  unexpected {r['unexpected']}  starved {r.get('starved_percent', 0):.0f}%  "
      f"server cpu {s.get('cpu_percent_of_one_core', 0):.0f}%  rss {s.get('rss_end_kb', 0)//1024} MiB", flush=True)
PY
}

echo "== users: $total, bcrypt cost $BCRYPT_COST, synchronous=$SYNC" >&2
"$work/radload" gen-users --count "$total" --seed bench --csv "$work/users.csv" \
  --users-yaml "$work/users.yaml" --password-file "$work/pw.txt" --bcrypt-cost "$BCRYPT_COST"
config otp-only
"$work/radiusd" user import --config "$work/radiusd.yaml" "$work/users.csv" >&2

if [ "${1:-}" = ab ]; then
  # Build REV beside the working tree; each binary gets its own store with
  # every user imported, so run i can use the same fresh users for both.
  rev=${2:?usage: scripts/bench.sh ab REV [N]} n=${3:-3}
  git archive --prefix=base/ "$rev" | tar -x -C "$work"
  (cd "$work/base" && go build -o "$work/radiusd-base" ./cmd/radiusd)
  mkdir -p "$work/b"
  cp "$work/client.secret" "$work/users.yaml" "$work/b/"
  cp "$work/radiusd.yaml" "$work/b/radiusd.yaml" # its paths resolve inside b/
  "$work/radiusd-base" user import --config "$work/b/radiusd.yaml" "$work/users.csv" >&2
  [ $((n * USERS)) -le "$total" ] || { echo "not enough users for $n runs" >&2; exit 1; }
  for i in $(seq 0 $((n - 1))); do
    for side in base head; do
      if [ $side = base ]; then bin="$work/radiusd-base" cfg="$work/b/radiusd.yaml"; else bin="$work/radiusd" cfg="$work/radiusd.yaml"; fi
      "$bin" serve --config "$cfg" 2>>"$work/server-$side.log" &
      pid=$!
      for _ in $(seq 50); do
        "$work/radload" run --server "127.0.0.1:$port" --secret-file "$work/client.secret" \
          --scenario status --max-requests 1 --timeout 200ms --strict >/dev/null 2>&1 && break
        sleep 0.2
      done
      load "code $side" code 32 $((i * USERS)) "$USERS"
      stop
    done
  done
  exit 0
fi

if [ "${1:-}" = soak ]; then
  start otp-only
  "$work/radload" run --server "127.0.0.1:$port" --secret-file "$work/client.secret" --seed bench \
    --scenario mixed --rate "${SOAK_RATE:-2000}" --concurrency 64 --duration "${2:-10m}" --users "$total" \
    --metrics-url "http://127.0.0.1:$((port + 1))/metrics" --server-pid "$pid" --rss-series --json >"$work/soak.json"
  stop
  python3 - "$work/soak.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); s = r["server_process"]; series = s["rss_series_kb"]; m = r["metrics"]; p = r["rate"]
print(f"soak: {r['requests']} requests in {r['elapsed_seconds']:.0f} s, {r['requests_per_second']:.0f} req/s "
      f"(target {p['target_per_second']:g}, missed {p['missed']}, late {p['late']}), timeouts {r['timeouts']}, unexpected {r['unexpected']}")
for k in r["mixed"]:
    print(f"  {k['kind']:<16} {k['requests']:>8} requests, expect {k['expect']:<14} wrong {k['wrong_answers']}  timeouts {k['timeouts']}")
print(f"latency p50 {r['latency_ms']['p50']:.2f} ms  p99 {r['latency_ms']['p99']:.2f} ms  max {r['latency_ms']['max']:.2f} ms")
print(f"goroutines start {m['go_goroutines_start']:.0f}, end {m['go_goroutines_end']:.0f}; "
      f"resident MiB start {m['process_resident_memory_bytes_start']/2**20:.0f}, end {m['process_resident_memory_bytes_end']/2**20:.0f}")
n = len(series); q = max(1, n // 10)
print("rss MiB by tenth of the run:", [round(series[min(i, n - 1)] / 1024) for i in range(0, n, q)])
print(f"rss MiB first minute max {max(series[:60])/1024:.0f}, last minute max {max(series[-60:])/1024:.0f}, VmHWM {s['vm_hwm_kb']/1024:.0f}")
PY
  exit 0
fi

start otp-only
for round in $(seq "$ROUNDS"); do
  echo "== round $round" >&2
  [ "$round" -gt 1 ] && sleep 95 # every user's codes are fresh again after three time steps
  for i in 0 1 2; do
    c=$((8 * 4 ** i))
    load "code (replay records)" code "$c" $((i * USERS)) "$USERS"
  done
  for c in 8 32 128; do load "status-server" status "$c" 0 1; done
  for c in 8 32 128; do load "reject (wrong code)" reject "$c" 0 1000; done
  for i in 0 1 2; do
    load "duplicate replies" duplicate $((8 * 4 ** i)) $((3 * USERS + i * 6000)) 6000
  done
done
stop
start password+otp
for i in 0 1 2; do
  load "password+code" password-code $((8 * 4 ** i)) $((3 * USERS + 18000 + i * 10000)) 10000 --password-file "$work/pw.txt"
done
stop
