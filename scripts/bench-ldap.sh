#!/usr/bin/env bash
# Measures radiusd in password+otp mode against a real slapd holding 10 000
# users (see docs/performance.md), with radload on the same machine: one line
# per run, with the LDAP operations per request counted by slapd itself
# (cn=Monitor). slapd logs nothing: its stats log would halve its speed.
#
#   scripts/bench-ldap.sh
#
# Variants, interleaved: "search+bind" (nothing uses groups: one user search
# and one bind per request) and "with groups" (a replies rule for a
# 10 000-member groupOfNames: a group search as well).
# Environment: ROUNDS (3), MAX (requests per run, 8000; at most USERS),
# USERS (10000), CACHE_TTL (directory.ldap.cache_ttl, 0s).
# Each user has three fresh codes per time step, so runs are bounded by
# request count and every round waits for new codes. Everything is on
# 127.0.0.1 and bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3} MAX=${MAX:-8000} USERS=${USERS:-10000} CACHE_TTL=${CACHE_TTL:-0s}
[ -x /usr/sbin/slapd ] || { echo "needs slapd: apt-get install -y slapd ldap-utils" >&2; exit 1; }
work=$(mktemp -d /tmp/radiusd-bench-ldap.XXXXXX)
echo "work dir: $work" >&2
go build -o "$work/radiusd" ./cmd/radiusd
go build -o "$work/radload" ./cmd/radload
rport=$((20000 + RANDOM % 20000)) lport=$((40000 + RANDOM % 20000))
secret=bench-secret-0123456789abcdefghij password=bench-password
printf %s "$secret" >"$work/client.secret"
printf %s "$password" >"$work/pw.txt"
printf %s service-password >"$work/ldap.password"

"$work/radload" gen-users --count "$USERS" --seed bench --csv "$work/users.csv" --password-file "$work/pw.txt" >&2

# slapd: mdb with the indexes the filters need, one 10 000-member group.
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
maxsize 1073741824
suffix "dc=example,dc=org"
directory $work/db
index objectClass,uid,member eq
access to attrs=userPassword by anonymous auth by * none
access to * by * read
CONF
hash=$(slappasswd -s "$password") svchash=$(slappasswd -s service-password)
python3 - "$work/users.csv" "$hash" "$svchash" >"$work/data.ldif" <<'PY'
import csv, sys
path, h, svc = sys.argv[1:]
base = "dc=example,dc=org"
print(f"dn: {base}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n")
for ou in ("people", "groups", "services"):
    print(f"dn: ou={ou},{base}\nobjectClass: organizationalUnit\nou: {ou}\n")
print(f"dn: cn=radiusd,ou=services,{base}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\n"
      f"cn: radiusd\nuserPassword: {svc}\n")
names = [row[0] for row in csv.reader(open(path)) if row and not row[0].startswith("#") and row[0] != "user"]
for n in names:
    print(f"dn: uid={n},ou=people,{base}\nobjectClass: inetOrgPerson\nuid: {n}\ncn: {n}\nsn: {n}\nuserPassword: {h}\n")
print(f"dn: cn=vpn-users,ou=groups,{base}\nobjectClass: groupOfNames\ncn: vpn-users")
for n in names:
    print(f"member: uid={n},ou=people,{base}")
print()
PY
/usr/sbin/slapadd -q -f "$work/slapd.conf" -l "$work/data.ldif"
/usr/sbin/slapd -f "$work/slapd.conf" -h "ldap://127.0.0.1:$lport/" -d 0 2>"$work/slapd.log" &
slapd=$!
trap 'kill $slapd 2>/dev/null || true' EXIT

config() { # variant
  local replies=""
  [ "$1" = "with groups" ] && replies='replies: [{ group: vpn-users, attributes: [{ name: Class, value: vpn-users }] }]'
  cat >"$work/radiusd.yaml" <<YAML
listen: ["127.0.0.1:$rport"]
clients:
  - name: bench
    networks: ["127.0.0.1/32"]
    secret_file: client.secret
    mode: password+otp
store: { path: data/radiusd.db, key_file: data/radiusd.key }
directory:
  backend: ldap
  ldap:
    urls: ["ldap://127.0.0.1:$lport"]
    bind_dn: "cn=radiusd,ou=services,dc=example,dc=org"
    bind_password_file: ldap.password
    base_dn: "ou=people,dc=example,dc=org"
    groups: { search: group_of_names, base_dn: "ou=groups,dc=example,dc=org" }
    cache_ttl: $CACHE_TTL
lockout: { max_failures: 0, duration: 1m }
$replies
YAML
}
config search+bind
"$work/radiusd" user import --config "$work/radiusd.yaml" "$work/users.csv" >&2

start() { # variant
  config "$1"
  "$work/radiusd" serve --config "$work/radiusd.yaml" 2>>"$work/server.log" &
  pid=$!
  for _ in $(seq 50); do
    "$work/radload" run --server "127.0.0.1:$rport" --secret-file "$work/client.secret" \
      --scenario status --max-requests 1 --timeout 200ms --strict >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "radiusd did not start; see $work/server.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" || true; }

# ops prints how many operations of a kind (Search, Bind) slapd has completed.
ops() {
  ldapsearch -x -LLL -H "ldap://127.0.0.1:$lport" -b "cn=$1,cn=Operations,cn=Monitor" -s base \
    monitorOpCompleted | awk '/^monitorOpCompleted:/ {print $2}'
}
for _ in $(seq 50); do ops Bind >/dev/null 2>&1 && break; sleep 0.1; done
# The four queries around a run are operations too: measure them once.
s0=$(ops Search) b0=$(ops Bind) s1=$(ops Search) b1=$(ops Bind)
extra_s=$((s1 - s0)) extra_b=$((b1 - b0))

load() { # variant concurrency first-user
  local s0 b0
  s0=$(ops Search) b0=$(ops Bind)
  "$work/radload" run --server "127.0.0.1:$rport" --secret-file "$work/client.secret" --seed bench \
    --scenario password-code --password-file "$work/pw.txt" --concurrency "$2" --max-requests "$MAX" \
    --duration 20s --first-user "$3" --users $((USERS / 3)) --server-pid "$pid" --json >"$work/run.json"
  python3 - "$1" "$2" "$work/run.json" "$(( $(ops Search) - s0 - extra_s ))" "$(( $(ops Bind) - b0 - extra_b ))" <<'PY'
import json, sys
variant, c, path, srch, bind = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
r = json.load(open(path))
l, s, n = r["latency_ms"], r.get("server_process", {}), max(r["requests"], 1)
print(f"ldap {variant:<12} c={c:<4} {r['requests_per_second']:>7.0f} req/s  p50 {l['p50']:6.2f} ms  p99 {l['p99']:6.2f} ms  "
      f"timeouts {r['timeouts']}  unexpected {r['unexpected']}  searches/req {srch/n:.2f}  binds/req {bind/n:.2f}  "
      f"server cpu {s.get('cpu_percent_of_one_core', 0):.0f}%", flush=True)
PY
}

first=1
for round in $(seq "$ROUNDS"); do
  for variant in search+bind "with groups"; do
    echo "== round $round, $variant" >&2
    [ "$first" = 1 ] || sleep 95 # every user's codes are fresh again after three time steps
    first=0
    start "$variant"
    # each concurrency its own third of the users: 3 fresh codes each
    for i in 0 1 2; do load "$variant" $((8 * 4 ** i)) $((i * USERS / 3)); done
    stop
  done
done
