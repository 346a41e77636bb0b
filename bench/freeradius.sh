#!/usr/bin/env bash
# Side by side: FreeRADIUS 3.2 (Debian's package) and radiusd from this tree,
# on the same machine, the same users, the same slapd and the same load
# generator (cmd/radload). See bench/README.md.
#
#   bench/freeradius.sh
#
# Environment:
#   RUN (8s)                     length of each run
#   ROUNDS (3)                   runs per server, scenario and concurrency (the table gives medians)
#   CONCURRENCY ("8 32 128")     radload workers
#   SCENARIOS ("password code password-code ldap ldap-code"; also code-replay and
#                                ldap-code-replay: (b) and (e) with FreeRADIUS keeping a
#                                replay record in SQLite, as radiusd does)
#   CODE_USERS (200000)          users per concurrency for "code": at least req/s × RUN (one fresh code
#                                per user and time step), or the run starves
#   PWCODE_USERS (20000)         the same for "password-code"
#   LDAP_USERS (60000)           the same for "ldap-code"; slapd holds LDAP_USERS per concurrency
#   WARMUP (1s)                  an unmeasured run on each server after it starts, at the largest c
#   SETTLE (1)                   seconds of pause before each run
#   BCRYPT_COST (4)              of the users' shared password hash, on both servers
#   LOG_LEVEL (info)             radiusd's log.level (info: one decision line per request)
#   THREADS_START (32), THREADS_MAX (128)   FreeRADIUS thread pool (and rlm_ldap pool)
#   LDAP_POOL (unset)            radiusd's directory.ldap.pool_size (unset: its default, 16)
#   RADIUSD (unset)              a radiusd binary to use instead of building ./cmd/radiusd
#   RADIUSD_GOGC (unset)         GOGC for radiusd only (unset: Go's default, 100)
#   KEEP (0)                     1 keeps the work directory
#
# It installs freeradius, freeradius-ldap, freeradius-utils, slapd and
# ldap-utils if they are missing, without starting their system services.
# Every server runs as a child of this script on 127.0.0.1 with random ports
# and is killed by pid at the end; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RUN:-8s} ROUNDS=${ROUNDS:-3} CONCURRENCY=${CONCURRENCY:-"8 32 128"}
SCENARIOS=${SCENARIOS:-"password code password-code ldap ldap-code"}
CODE_USERS=${CODE_USERS:-200000} PWCODE_USERS=${PWCODE_USERS:-20000} LDAP_USERS=${LDAP_USERS:-60000}
BCRYPT_COST=${BCRYPT_COST:-4} LOG_LEVEL=${LOG_LEVEL:-info} KEEP=${KEEP:-0}
WARMUP=${WARMUP:-1s} SETTLE=${SETTLE:-1} LDAP_POOL=${LDAP_POOL:-}
THREADS_START=${THREADS_START:-32} THREADS_MAX=${THREADS_MAX:-128}
FRESH_AFTER=35 # seconds before radiusd accepts a range's codes again (the next step, see README)
templates=bench/freeradius

install_packages() {
  local need=()
  command -v freeradius >/dev/null || need+=(freeradius)
  [ -e /usr/lib/freeradius/rlm_ldap.so ] || need+=(freeradius-ldap)
  command -v radclient >/dev/null || need+=(freeradius-utils)
  [ -x /usr/sbin/slapd ] || need+=(slapd)
  command -v ldapsearch >/dev/null || need+=(ldap-utils)
  [ ${#need[@]} -eq 0 ] && return 0
  echo "== installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  local policy=/usr/sbin/policy-rc.d made=0
  # policy-rc.d exiting 101 keeps the packages from starting their daemons.
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    made=1
  fi
  local rc=0
  { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; } || rc=$?
  if [ "$made" = 1 ]; then rm -f "$policy"; fi
  return "$rc"
}
install_packages

work=$(mktemp -d /tmp/radiusd-bench-fr.XXXXXX)
echo "work dir: $work" >&2
fpid="" rpid="" slapd=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
  for p in $fpid $rpid $slapd; do kill "$p" 2>/dev/null || true; done
  for p in $fpid $rpid $slapd; do wait "$p" 2>/dev/null || true; done
  [ "$KEEP" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${RADIUSD:-}" ]; then cp "$RADIUSD" "$work/radiusd"; else go build -o "$work/radiusd" ./cmd/radiusd; fi
go build -o "$work/radload" ./cmd/radload
rport=$((20000 + RANDOM % 10000)) fport=$((30000 + RANDOM % 10000)) lport=$((40000 + RANDOM % 10000))
secret=bench-secret-0123456789abcdefghij password=bench-password
printf %s "$secret" >"$work/client.secret"
printf %s "$password" >"$work/pw.txt"
printf %s service-password >"$work/ldap.password"
read -ra cs <<<"$CONCURRENCY"
nc=${#cs[@]}

# Users, in this order: "code" (and "password"), "password-code" (both in
# the users files), "ldap-code" (and "ldap", in slapd). Each scenario that
# spends codes has one range of SIZE users per concurrency, used by both
# servers, and a warm-up range of SIZE/4.
span() { echo $(($1 * nc + $1 / 4)); }
pw_base=$(span "$CODE_USERS")
ldap_base=$((pw_base + $(span "$PWCODE_USERS")))
total=$((ldap_base + $(span "$LDAP_USERS")))
[ "$total" -le 1000000 ] || { echo "$total users: at most 1 000 000; lower CODE_USERS, PWCODE_USERS or LDAP_USERS" >&2; exit 2; }
echo "== $total users ($ldap_base in files, $((total - ldap_base)) in slapd), bcrypt cost $BCRYPT_COST" >&2
"$work/radload" gen-users --count "$total" --seed bench --csv "$work/users.csv" --password-file "$work/pw.txt" >&2
"$work/radload" gen-users --count "$ldap_base" --seed bench --users-yaml "$work/users.yaml" \
  --password-file "$work/pw.txt" --bcrypt-cost "$BCRYPT_COST" >&2
hash=$(awk '/password_hash/ {gsub(/"/, "", $2); print $2; exit}' "$work/users.yaml")
grep -v '^#' "$work/users.csv" >"$work/users.rows"

# users_files scenario first count: the users FreeRADIUS's files module
# (authorize-SCENARIO: the same bcrypt hash as Crypt-Password, and the TOTP
# secret) and radiusd's file directory (users-SCENARIO.yaml) load for a
# scenario: only its own range, so that start-up stays short.
users_files() {
  local s=$1 a=$2 b=$(($2 + $3))
  awk -F, -v h="$hash" -v a="$a" -v b="$b" -v n="$ldap_base" 'NR > a && NR <= b {
    if (NR <= n) printf "%s\tCrypt-Password := '\''%s'\'', TOTP-Secret := '\''%s'\''\n\n", $1, h, $2
    else printf "%s\tTOTP-Secret := '\''%s'\''\n\n", $1, $2 }' "$work/users.rows" >"$work/authorize-$s"
  if [ "$b" -le "$ldap_base" ]; then # users.yaml: two header lines, then three lines per user
    awk -v a="$a" -v b="$b" 'NR <= 2 || (NR > 2 + 3 * a && NR <= 2 + 3 * b)' "$work/users.yaml" >"$work/users-$s.yaml"
  fi
}

# slapd: back-mdb, the LDAP users with an {SSHA} hash of the same password,
# a service account, cn=Monitor to count operations; no logging.
start_slapd() {
  mkdir "$work/db"
  cat >"$work/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload back_monitor
pidfile $work/slapd.pid
loglevel 0
database monitor
access to * by * read
database mdb
maxsize 4294967296
suffix "dc=example,dc=org"
directory $work/db
index objectClass,uid eq
access to attrs=userPassword by anonymous auth by * none
access to * by * read
CONF
  local h svc
  h=$(slappasswd -s "$password") svc=$(slappasswd -s service-password)
  python3 - "$work/users.csv" "$h" "$svc" "$ldap_base" >"$work/data.ldif" <<'PY'
import csv, sys
path, h, svc, first = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
base = "dc=example,dc=org"
print(f"dn: {base}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n")
for ou in ("people", "services"):
    print(f"dn: ou={ou},{base}\nobjectClass: organizationalUnit\nou: {ou}\n")
print(f"dn: cn=radiusd,ou=services,{base}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\n"
      f"cn: radiusd\nuserPassword: {svc}\n")
rows = [r for r in csv.reader(open(path)) if r and not r[0].startswith("#")]
for n in (r[0] for r in rows[first:]):
    print(f"dn: uid={n},ou=people,{base}\nobjectClass: inetOrgPerson\nuid: {n}\ncn: {n}\nsn: {n}\nuserPassword: {h}\n")
PY
  /usr/sbin/slapadd -q -f "$work/slapd.conf" -l "$work/data.ldif"
  /usr/sbin/slapd -f "$work/slapd.conf" -h "ldap://127.0.0.1:$lport/" -d 0 2>"$work/slapd.log" &
  slapd=$!
  for _ in $(seq 100); do ops Bind >/dev/null 2>&1 && break; sleep 0.1; done
  ops Bind >/dev/null || { echo "slapd did not start; see $work/slapd.log" >&2; exit 1; }
  # The four queries around a run are operations too: measure them once.
  local s0 b0 s1 b1
  s0=$(ops Search) b0=$(ops Bind) s1=$(ops Search) b1=$(ops Bind)
  extra_s=$((s1 - s0)) extra_b=$((b1 - b0))
}
# ops prints how many operations of a kind (Search, Bind) slapd has completed.
ops() {
  ldapsearch -x -LLL -H "ldap://127.0.0.1:$lport" -b "cn=$1,cn=Operations,cn=Monitor" -s base \
    monitorOpCompleted | awk '/^monitorOpCompleted:/ {print $2}'
}
case " $SCENARIOS " in *" ldap"*) start_slapd ;; esac

# Scenario table: FreeRADIUS site and modules; radiusd mode, directory and
# store; radload scenario and arguments; first user; whether runs spend codes.
declare -A f_mods r_mode r_dir r_store l_args base spends
f_mods[password]="files pap always" r_mode[password]=password-only r_dir[password]=file r_store[password]=empty
l_args[password]="--scenario password --password-file $work/pw.txt" base[password]=0 spends[password]=0
f_mods[code]="files totp always" r_mode[code]=otp-only r_dir[code]=file r_store[code]=full
l_args[code]="--scenario code --steps-back 0 --steps-ahead 0" base[code]=0 spends[code]=1
f_mods[password-code]="files totp pap always" r_mode[password-code]=password+otp r_dir[password-code]=file
r_store[password-code]=full base[password-code]=$pw_base spends[password-code]=1
l_args[password-code]="--scenario password-code --password-file $work/pw.txt --steps-back 0 --steps-ahead 0"
f_mods[ldap]="ldap always" r_mode[ldap]=password-only r_dir[ldap]=ldap r_store[ldap]=empty
l_args[ldap]="--scenario password --password-file $work/pw.txt" base[ldap]=$ldap_base spends[ldap]=0
f_mods[ldap-code]="files totp ldap always" r_mode[ldap-code]=password+otp r_dir[ldap-code]=ldap
r_store[ldap-code]=full base[ldap-code]=$ldap_base spends[ldap-code]=1
l_args[ldap-code]="--scenario password-code --password-file $work/pw.txt --steps-back 0 --steps-ahead 0"
# (b') and (e'): (b) and (e) with FreeRADIUS keeping a replay record in SQLite
# (rlm_sql); the same users and ranges as (b) and (e), so codes are fresh again
# only after FRESH_AFTER.
f_mods[code-replay]="files totp sql expr always" r_mode[code-replay]=otp-only r_dir[code-replay]=file
r_store[code-replay]=full l_args[code-replay]=${l_args[code]} base[code-replay]=0 spends[code-replay]=1
f_mods[ldap-code-replay]="files totp sql expr ldap always" r_mode[ldap-code-replay]=password+otp
r_dir[ldap-code-replay]=ldap r_store[ldap-code-replay]=full base[ldap-code-replay]=$ldap_base
spends[ldap-code-replay]=1 l_args[ldap-code-replay]=${l_args[ldap-code]}
declare -A ranges=([code-replay]=code [ldap-code-replay]=ldap-code) # scenarios that share another's users and codes
size() { # scenario: users per run
  case $1 in
  password | code | code-replay) echo "$CODE_USERS" ;; password-code) echo "$PWCODE_USERS" ;;
  ldap) echo $((LDAP_USERS * nc)) ;; ldap-code | ldap-code-replay) echo "$LDAP_USERS" ;;
  esac
}
for s in $SCENARIOS; do
  [ -n "${r_mode[$s]:-}" ] || { echo "unknown scenario $s" >&2; exit 2; }
  n=$(size "$s")
  [ "${spends[$s]}" = 1 ] && n=$(span "$n")
  users_files "$s" "${base[$s]}" "$n"
done

rconfig() { # scenario → radiusd config file
  local s=$1 cfg="$work/radiusd-$1.yaml" dir policy="" pool=""
  [ -n "$LDAP_POOL" ] && pool="
    pool_size: $LDAP_POOL"
  if [ "${r_dir[$s]}" = ldap ]; then
    dir="directory:
  backend: ldap
  ldap:
    urls: [\"ldap://127.0.0.1:$lport\"]
    bind_dn: \"cn=radiusd,ou=services,dc=example,dc=org\"
    bind_password_file: $work/ldap.password
    base_dn: \"ou=people,dc=example,dc=org\"$pool"
  else
    dir="directory: { backend: file, file: $work/users-$s.yaml }"
  fi
  # Users not enrolled (the empty store) need no second factor under opt-in.
  [ "${r_store[$s]}" = empty ] && policy="policy: { enforce: opt-in }"
  cat >"$cfg" <<YAML
listen: ["127.0.0.1:$rport"]
clients:
  - name: bench
    networks: ["127.0.0.1/32"]
    secret_file: $work/client.secret
    mode: ${r_mode[$s]}
store: { path: $work/store-${r_store[$s]}/radiusd.db, key_file: $work/store-${r_store[$s]}/radiusd.key, synchronous: normal }
$dir
$policy
lockout: { max_failures: 0, duration: 1m }
log: { level: $LOG_LEVEL, format: text }
YAML
  echo "$cfg"
}

fconfig() { # scenario: write the FreeRADIUS config directory for it
  local d="$work/freeradius" m
  rm -rf "$d"
  cp -a /etc/freeradius/3.0 "$d"
  rm -rf "$d"/mods-enabled/* "$d"/sites-enabled/*
  mkdir -p "$work/freeradius-log" "$work/freeradius-run"
  subst() {
    sed -e "s|@WORK@|$work|g" -e "s|@PORT@|$fport|g" -e "s|@LDAP_PORT@|$lport|g" -e "s|@SECRET@|$secret|g" \
      -e "s|@THREADS_START@|$THREADS_START|g" -e "s|@THREADS_MAX@|$THREADS_MAX|g" "$1"
  }
  subst "$templates/radiusd.conf" >"$d/radiusd.conf"
  subst "$templates/clients.conf" >"$d/clients.conf"
  for m in ${f_mods[$1]}; do subst "$templates/mods/$m" >"$d/mods-enabled/$m"; done
  sed -i "s|@SCENARIO@|$1|g" "$d/mods-enabled/"*
  subst "$templates/sites/$1" >"$d/sites-enabled/default"
  cp "$templates/replay-schema.sql" "$d/replay-schema.sql"
}

# ready port pid log: wait until the server answers Status-Server.
ready() {
  for _ in $(seq 600); do
    kill -0 "$2" 2>/dev/null || { echo "server $2 exited; see $3" >&2; tail -20 "$3" >&2; exit 1; }
    "$work/radload" run --server "127.0.0.1:$1" --secret-file "$work/client.secret" \
      --scenario status --max-requests 1 --timeout 200ms --strict >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server $2 did not answer within 2 minutes; see $3" >&2
  exit 1
}
start_servers() { # scenario
  fconfig "$1"
  freeradius -f -d "$work/freeradius" >>"$work/freeradius.out" 2>&1 &
  fpid=$!
  GOGC=${RADIUSD_GOGC:-${GOGC:-}} "$work/radiusd" serve --config "$(rconfig "$1")" 2>>"$work/radiusd.log" &
  rpid=$!
  ready "$fport" "$fpid" "$work/freeradius-log/radius.log"
  ready "$rport" "$rpid" "$work/radiusd.log"
}
stop_servers() {
  kill "$fpid" "$rpid"
  wait "$fpid" || true
  wait "$rpid" || true
  fpid="" rpid=""
}

# radiusd keeps the codes each user has used: a range is used again only
# FRESH_AFTER seconds after its last run on radiusd.
declare -A last_use
wait_fresh() { # key
  local t=${last_use[$1]:-}
  [ -n "$t" ] || return 0
  local left=$((t + FRESH_AFTER - SECONDS))
  [ "$left" -gt 0 ] || return 0
  echo "   waiting ${left}s for fresh codes" >&2
  sleep "$left"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# radload_run side scenario c first-user users duration out: one radload run
# against FreeRADIUS (F) or radiusd (R), its JSON report in out, and with
# slapd up the LDAP operations and slapd CPU of the run in out's .ldap.
radload_run() {
  local side=$1 s=$2 c=$3 first=$4 n=$5 duration=$6 out=$7 port=$rport pid=$rpid
  [ "$side" = F ] && port=$fport pid=$fpid
  local s0=0 b0=0 t0=0
  if [ -n "$slapd" ]; then s0=$(ops Search) b0=$(ops Bind) t0=$(cpu_ticks "$slapd"); fi
  # shellcheck disable=SC2086 # l_args holds several words
  "$work/radload" run --server "127.0.0.1:$port" --secret-file "$work/client.secret" --seed bench \
    ${l_args[$s]} --concurrency "$c" --duration "$duration" --first-user "$first" --users "$n" \
    --server-pid "$pid" --json >"$out"
  if [ -n "$slapd" ]; then
    printf '{"searches": %d, "binds": %d, "slapd_cpu_ticks": %d}\n' $(($(ops Search) - s0 - extra_s)) \
      $(($(ops Bind) - b0 - extra_b)) $(($(cpu_ticks "$slapd") - t0)) >"${out%.json}.ldap"
  fi
}

load() { # server(F|R) scenario c round first-user users
  local out="$work/runs/$2-c$3-r$4-$1.json"
  sleep "$SETTLE"
  radload_run "$1" "$2" "$3" "$5" "$6" "$RUN" "$out"
  python3 - "$1" "$2" "$3" "$4" "$out" <<'PY'
import json, sys
side, s, c, rnd, path = sys.argv[1:]
r = json.load(open(path)); l = r["latency_ms"]; p = r.get("server_process", {})
name = "FreeRADIUS" if side == "F" else "radiusd"
print(f"  {s:<14} c={c:<4} round {rnd}  {name:<10} {r['requests_per_second']:>8.0f} req/s  p99 {l['p99']:7.2f} ms  "
      f"timeouts {r['timeouts']}  unexpected {r['unexpected']}  starved {r.get('starved_percent', 0):.0f}%  "
      f"cpu {p.get('cpu_percent_of_one_core', 0):.0f}%", file=sys.stderr, flush=True)
PY
}

# warm_up scenario: WARMUP of the scenario on each server at the largest
# concurrency, on the warm-up range (the first server's start-up, caches and
# pools are not measured).
warm_up() {
  local s=$1 n first c=${cs[$((nc - 1))]}
  n=$(size "$s") first=${base[$s]}
  if [ "${spends[$s]}" = 1 ]; then
    first=$((first + nc * n)) n=$((n / 4))
    wait_fresh "${ranges[$s]:-$s}-warm"
  fi
  radload_run F "$s" "$c" "$first" "$n" "$WARMUP" "$work/warm.json"
  radload_run R "$s" "$c" "$first" "$n" "$WARMUP" "$work/warm.json"
  last_use[${ranges[$s]:-$s}-warm]=$SECONDS
}

mkdir "$work/runs"
for s in $SCENARIOS; do
  if [ "${spends[$s]}" = 1 ]; then # enrol every user once, in the store these scenarios share
    "$work/radiusd" user import --config "$(rconfig "$s")" "$work/users.csv" >&2
    break
  fi
done
started=$SECONDS
for round in $(seq "$ROUNDS"); do
  for s in $SCENARIOS; do
    echo "== round $round: $s" >&2
    start_servers "$s"
    warm_up "$s"
    for i in "${!cs[@]}"; do
      c=${cs[$i]} n=$(size "$s") first=${base[$s]}
      if [ "${spends[$s]}" = 1 ]; then
        first=$((first + i * n))
        wait_fresh "${ranges[$s]:-$s}-$i"
      fi
      # Interleaved, the first server alternating by round: F R, R F, F R…
      order="F R"
      [ $((round % 2)) = 0 ] && order="R F"
      for side in $order; do load "$side" "$s" "$c" "$round" "$first" "$n"; done
      last_use[${ranges[$s]:-$s}-$i]=$SECONDS
    done
    stop_servers
  done
done
echo "== runs took $((SECONDS - started)) s" >&2

# The machine, the versions and the table.
{
  echo "machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
  echo "freeradius: $(freeradius -v 2>&1 | head -1)"
  echo "slapd: $(/usr/sbin/slapd -VV 2>&1 | head -1 | sed 's/^@(#) //')"
  echo "go: $(go version)"
  if [ -n "${RADIUSD:-}" ]; then
    echo "radiusd: $RADIUSD ($("$work/radiusd" version 2>&1 | head -1))"
  else
    echo "radiusd: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+changes')"
  fi
  echo "runs: $ROUNDS × $RUN per server, scenario and concurrency; FreeRADIUS threads $THREADS_START/$THREADS_MAX; radiusd log.level $LOG_LEVEL"
  echo
} | tee "$work/summary.txt"
status=0
python3 bench/table.py "$work/runs" "$SCENARIOS" "$CONCURRENCY" >"$work/table.md" || status=1
tee -a "$work/summary.txt" <"$work/table.md"
drops=$(grep -c -i -E "drop|error" "$work/freeradius-log/radius.log" || true)
[ "$drops" = 0 ] || echo "FreeRADIUS logged $drops error or drop lines: see $work/freeradius-log/radius.log (KEEP=1)"
exit $status
