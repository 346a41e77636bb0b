#!/usr/bin/env bash
# Two radiusd nodes sharing one PostgreSQL: bare TOTP codes with replay
# records, the load split evenly over both nodes, at total concurrency
# 8, 32 and 128, ROUNDS times each. Prints one line per run with the total
# requests per second, the worse p99 of the two nodes, timeouts, and the
# database statements (round trips) per accepted code, counted by
# pg_stat_statements.
#
#   scripts/bench-pg.sh
#
# Environment: ROUNDS (3), RUN (8s per run), USERS (per node and run,
# 15000), SYNC (radiusd's store.synchronous: full, the default for postgres,
# or normal, which sets synchronous_commit = off for radiusd's sessions),
# COMMIT_DELAY (PostgreSQL's commit_delay in µs, default 0), KEEP (1 keeps the
# work directory).
# PostgreSQL comes from Debian's postgresql package; the cluster runs in a
# temporary directory on a random loopback port and is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} RUN=${RUN:-8s} USERS=${USERS:-15000} SYNC=${SYNC:-full} COMMIT_DELAY=${COMMIT_DELAY:-0}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "needs PostgreSQL: sudo apt-get install -y postgresql" >&2; exit 1; }
work=$(mktemp -d /tmp/radiusd-benchpg.XXXXXX)
chmod 0755 "$work"
echo "work dir: $work" >&2
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -d "$work/pg/data" ] && asdb "$pgbin/pg_ctl" -D "$work/pg/data" -m fast stop >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
asdb() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }

go build -o "$work/radiusd" ./cmd/radiusd
go build -o "$work/radload" ./cmd/radload

# PostgreSQL with its default durability (fsync on), on this machine's disk.
pgport=$((20000 + RANDOM % 20000))
mkdir -p "$work/pg"
[ "$(id -u)" = 0 ] && chown nobody "$work/pg"
asdb "$pgbin/initdb" -D "$work/pg/data" -A trust -U radiusd -E UTF8 >/dev/null
asdb "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/log" -w start -o \
  "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=256MB -c commit_delay=$COMMIT_DELAY -c shared_preload_libraries=pg_stat_statements" >/dev/null
asdb "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U radiusd radiusd
psql() { asdb "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U radiusd -d radiusd -Atq "$@"; }
psql -c "CREATE EXTENSION pg_stat_statements"
statements() { psql -c "SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'"; }

secret=bench-secret-0123456789abcdefghij
printf %s "$secret" >"$work/client.secret"
node_ports=($((pgport + 1)) $((pgport + 2)))
for n in 0 1; do
  mkdir -p "$work/node$n"
  cat >"$work/node$n/radiusd.yaml" <<YAML
listen: ["127.0.0.1:${node_ports[$n]}"]
clients:
  - { name: bench, networks: ["127.0.0.1/32"], secret_file: ../client.secret, mode: otp-only }
store:
  driver: postgres
  dsn: "postgres://radiusd@127.0.0.1:$pgport/radiusd?sslmode=disable"
  key_file: ../radiusd.key
  pool_size: 16
  synchronous: $SYNC
directory: { backend: file, file: ../users.yaml }
lockout: { max_failures: 0, duration: 1m }
log: { level: info, format: text }
YAML
done

rounds_users=$((3 * 2 * USERS)) # per round: three concurrencies × two nodes
echo "== $rounds_users users, PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}'), store.synchronous=$SYNC, commit_delay=$COMMIT_DELAY" >&2
"$work/radload" gen-users --count "$rounds_users" --seed bench --csv "$work/users.csv" --users-yaml "$work/users.yaml"
time "$work/radiusd" user import --config "$work/node0/radiusd.yaml" "$work/users.csv" >&2

for n in 0 1; do
  "$work/radiusd" serve --config "$work/node$n/radiusd.yaml" 2>>"$work/node$n.log" &
  pids+=($!)
done
for n in 0 1; do
  for _ in $(seq 50); do
    "$work/radload" run --server "127.0.0.1:${node_ports[$n]}" --secret-file "$work/client.secret" \
      --scenario status --max-requests 1 --timeout 200ms --strict >/dev/null 2>&1 && break
    sleep 0.2
  done
done

run() { # concurrency range
  local c=$1 range=$2 loads=() before after
  psql -c "SELECT pg_stat_statements_reset()" >/dev/null
  before=$(statements)
  for n in 0 1; do
    "$work/radload" run --server "127.0.0.1:${node_ports[$n]}" --secret-file "$work/client.secret" --seed bench \
      --scenario code --concurrency $((c / 2)) --duration "$RUN" \
      --first-user $(((range * 2 + n) * USERS)) --users "$USERS" \
      --server-pid "${pids[$n]}" --json >"$work/run$n.json" &
    loads+=($!)
  done
  wait "${loads[@]}"
  after=$(statements)
  python3 - "$c" "$((after - before))" "$work/run0.json" "$work/run1.json" <<'PY'
import json, sys
c, statements = sys.argv[1], int(sys.argv[2])
rs = [json.load(open(p)) for p in sys.argv[3:]]
rps = sum(r["requests_per_second"] for r in rs)
acc = sum(r["accepts"] for r in rs)
p99 = max(r["latency_ms"]["p99"] for r in rs)
cpu = [r.get("server_process", {}).get("cpu_percent_of_one_core", 0) for r in rs]
print(f"two nodes  c={c:<4} {rps:>8.0f} req/s  p99 {p99:6.2f} ms  timeouts {sum(r['timeouts'] for r in rs)}  "
      f"unexpected {sum(r['unexpected'] for r in rs)}  starved {max(r.get('starved_percent', 0) for r in rs):.0f}%  "
      f"node cpu {cpu[0]:.0f}%/{cpu[1]:.0f}%  db statements per accept {statements / max(acc, 1):.2f}", flush=True)
PY
}

for round in $(seq "$ROUNDS"); do
  echo "== round $round" >&2
  [ "$round" -gt 1 ] && sleep 95 # every user's codes are fresh again after three time steps
  i=0
  for c in 8 32 128; do run "$c" "$i"; i=$((i + 1)); done
done
