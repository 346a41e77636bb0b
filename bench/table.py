"""Prints bench/freeradius.sh's table from the runs' radload --json files.

usage: table.py RUNS_DIR "SCENARIOS" "CONCURRENCY"

Each run is RUNS_DIR/<scenario>-c<c>-r<round>-<F|R>.json, with, for runs
while slapd was up, a .ldap file beside it (searches, binds and slapd's CPU
ticks during the run). Per scenario and concurrency the table gives, for
FreeRADIUS (F) and radiusd (R), the median requests per second, the ratio
R/F, the median p99 latency, the timeouts and unexpected replies summed over
the rounds, and the median server CPU. Exit status 1 if any run had an
unexpected or invalid reply.
"""

import glob
import json
import os
import statistics
import sys

LABELS = {
    "password": "(a) PAP, users file",
    "code": "(b) TOTP code only",
    "code-replay": "(b') code only, both with a replay record",
    "password-code": "(c) password+TOTP, file",
    "ldap": "(d) LDAP search+bind",
    "ldap-code": "(e) LDAP + TOTP",
    "ldap-code-replay": "(e') LDAP + TOTP, both with a replay record",
}
CLOCK_TICKS = 100

# Where FreeRADIUS 3.2.1 (Debian) does not do the same work as radiusd.
FREERADIUS_NOTES = {
    "password": "F: bcrypt under a global lock (crypt(3), no crypt_r)",
    "code": "F: current step only, no replay protection",
    "code-replay": "F: current step only, replay record in SQLite (rlm_sql, WAL, synchronous NORMAL)",
    "password-code": "F: current step only, no replay protection; bcrypt under a global lock",
    "ldap-code": "F: current step only, no replay protection",
    "ldap-code-replay": "F: current step only, replay record in SQLite (rlm_sql, WAL, synchronous NORMAL)",
}


def runs(d, scenario, c, side):
    out = []
    for path in sorted(glob.glob(os.path.join(d, f"{scenario}-c{c}-r*-{side}.json"))):
        r = json.load(open(path))
        ldap = path[: -len(".json")] + ".ldap"
        if os.path.exists(ldap):
            r["ldap"] = json.load(open(ldap))
        out.append(r)
    return out


def summary(rs):
    if not rs:
        return None
    med = statistics.median
    n = sum(max(r["requests"], 1) for r in rs)
    s = {
        "rps": med(r["requests_per_second"] for r in rs),
        "each": [r["requests_per_second"] for r in rs],
        "p99": med(r["latency_ms"]["p99"] for r in rs),
        "timeouts": sum(r["timeouts"] for r in rs),
        "wrong": sum(r["unexpected"] + r["invalid"] for r in rs),
        "cpu": med(r.get("server_process", {}).get("cpu_percent_of_one_core", 0) for r in rs),
        "starved": max(r.get("starved_percent", 0) for r in rs),
    }
    if all("ldap" in r for r in rs):
        s["searches"] = sum(r["ldap"]["searches"] for r in rs) / n
        s["binds"] = sum(r["ldap"]["binds"] for r in rs) / n
        s["slapd_cpu"] = med(
            100 * r["ldap"]["slapd_cpu_ticks"] / CLOCK_TICKS / max(r["elapsed_seconds"], 1e-9) for r in rs
        )
    return s


def notes(f, r, scenario):
    out = [FREERADIUS_NOTES[scenario]] if scenario in FREERADIUS_NOTES else []
    for name, s in (("F", f), ("R", r)):
        if s["starved"] >= 1:
            out.append(f"{name} starved {s['starved']:.0f}%")
        if "searches" in s and scenario.startswith("ldap"):
            out.append(f"{name} {s['searches']:.2f} searches + {s['binds']:.2f} binds/req, slapd {s['slapd_cpu']:.0f}%")
    return "; ".join(out)


def main():
    d, scenarios, concurrency = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
    print("| scenario | c | FreeRADIUS req/s | radiusd req/s | radiusd/FreeRADIUS | p99 ms F | p99 ms R "
          "| timeouts F | timeouts R | unexpected F | unexpected R | CPU F | CPU R | notes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    bad = False
    for scenario in scenarios:
        for c in concurrency:
            f, r = summary(runs(d, scenario, c, "F")), summary(runs(d, scenario, c, "R"))
            if f is None or r is None:
                continue
            bad = bad or f["wrong"] > 0 or r["wrong"] > 0
            ratio = r["rps"] / f["rps"] if f["rps"] else float("inf")
            print(f"| {LABELS.get(scenario, scenario)} | {c} | {f['rps']:,.0f} | {r['rps']:,.0f} | {ratio:.2f} "
                  f"| {f['p99']:.2f} | {r['p99']:.2f} | {f['timeouts']} | {r['timeouts']} | {f['wrong']} | {r['wrong']} "
                  f"| {f['cpu']:.0f}% | {r['cpu']:.0f}% | {notes(f, r, scenario)} |")
    if bad:
        print("\nSome runs had unexpected or invalid replies: the figures of those rows do not compare like for like.")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
