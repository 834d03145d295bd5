#!/usr/bin/env bash
# Coexistence check: run Odoo's own loyalty test suites with and without asd_aba_loyalty.
#   scripts/odoo_suites.sh ODOO_PATH PYTHON [MODE...]
# ODOO_PATH: an Odoo 18.0 source tree (odoo-bin, addons/); PYTHON: an interpreter with Odoo's
# requirements (plus websocket-client for the tours). MODEs (default: stock addon-off addon-on):
#   stock      point_of_sale, pos_loyalty, sale_loyalty; the addon is not installed
#   addon-off  + asd_aba_loyalty, asd_aba_loyalty.use_rust_engine = False (the legacy engine)
#   addon-on   + asd_aba_loyalty, asd_aba_loyalty.use_rust_engine = True and every pos.config at
#              rust_engine_rollout_percentage = 100 (needs `import aba_loyalty_core` in PYTHON)
# Why: the addon overrides loyalty and POS code that Odoo's own tests cover. A test that passes
# without the addon and fails with it is a regression we ship, unless it is an intended
# difference listed (one test id per line, `#` comments; `addon-on: test_id` for one mode only)
# in odoo_addon/asd_aba_loyalty/tests/intended_differences.txt.
#
# Each mode gets a fresh database in its own PostgreSQL (scripts/pg.sh): one `-i` with demo data
# and no tests, then the mode's settings are written, then one test run without -i/-u, so every
# selected test (python tests and pos_loyalty's browser tours) runs against the fully loaded
# registry, addon included. Odoo would run the `at_install` tests (sale_loyalty has a few) while
# loading their module, before the addon's code is loaded; here they run with the post_install
# ones, in every mode alike (ABA_SUITES_AT_INSTALL=0: leave them out).
#
# Output: per mode the tests run / failed / errors / skipped and timings, then per addon mode the
# tests failing only with the addon. Exit status: 0 when every addon-only failure is allowed;
# 1 when one is not, or an install or a test run broke down; 2 on a usage/setup error.
# Env: ABA_SUITE_TAGS    test tags (default /loyalty,/sale_loyalty,/pos_loyalty)
#      ABA_SUITES_JSON   write the machine-readable summary there
#      ABA_SUITES_BASELINE  a JSON summary from an earlier run whose `stock` mode is the baseline
#                        when `stock` is not among the MODEs
#      ABA_SUITES_AT_INSTALL=0  leave the at_install tests out (see above)
#      ABA_SUITES_NO_BROWSER=1  run without a Chrome/Chromium (the tours are then skipped)
#      ABA_ODOO_PG_PORT  (default: a free port); ABA_ODOO_KEEP=1 keeps the databases and logs
#      (the logs alone are kept when the check fails).
set -euo pipefail
# One brace group: bash reads all of it before running, so editing this file during a run (they
# take an hour or more) cannot change the run.
{
usage="usage: odoo_suites.sh ODOO_PATH PYTHON [stock|addon-off|addon-on ...]"
odoo=${1:?$usage}
python=${2:?$usage}
shift 2
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(stock addon-off addon-on)
for mode in "${modes[@]}"; do
    case "$mode" in stock | addon-off | addon-on) ;; *) echo "$usage" >&2; exit 2 ;; esac
done
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
odoo=$(cd "$odoo" && pwd)
[ -f "$odoo/odoo-bin" ] || { echo "no odoo-bin in $odoo" >&2; exit 2; }
tags=${ABA_SUITE_TAGS:-/loyalty,/sale_loyalty,/pos_loyalty}
allow="$ROOT/odoo_addon/asd_aba_loyalty/tests/intended_differences.txt"

# Odoo looks for these names on PATH (odoo/tests/common.py, _find_executable) and *skips* the
# tours silently when none is found: refuse to produce a baseline without them.
browser=""
for b in google-chrome chromium chromium-browser google-chrome-stable; do
    browser=$(command -v "$b" 2>/dev/null) && break
done
if [ -z "$browser" ] && [ "${ABA_SUITES_NO_BROWSER:-0}" != 1 ]; then
    echo "odoo_suites.sh: no chromium/google-chrome on PATH (the tours would be skipped);" \
        "install one or set ABA_SUITES_NO_BROWSER=1" >&2
    exit 2
fi
"$python" -c 'import websocket' 2>/dev/null \
    || { echo "odoo_suites.sh: $python lacks websocket-client (needed by the tours)" >&2; exit 2; }
# Without the native module, or with one whose major.minor differs from the legacy engine's, the
# addon falls back to the legacy engine: addon-on would silently test addon-off again.
native_check='
import sys
sys.path.insert(0, sys.argv[1])
import aba_loyalty_core as native
from aba_loyalty_lib.aba_legacy_engine import __version__ as legacy
if native.__version__.split(".")[:2] != legacy.split(".")[:2]:
    sys.exit("aba_loyalty_core %s does not match the legacy engine %s" % (native.__version__, legacy))
'
for mode in "${modes[@]}"; do
    if [ "$mode" = addon-on ] && ! (cd /tmp && "$python" -c "$native_check" \
            "$ROOT/odoo_addon/asd_aba_loyalty"); then
        echo "odoo_suites.sh: addon-on needs a matching aba_loyalty_core importable by $python" \
            "(maturin build, then pip install the wheel)" >&2
        exit 2
    fi
done

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=${ABA_ODOO_PG_PORT:-$(free_port)}
work=$(mktemp -d /tmp/aba-odoo-suites-XXXXXX)
chmod 755 "$work"
logs="$work/logs"
mkdir -p "$logs"
status=1
cleanup() {
    bash "$ROOT/scripts/pg.sh" stop "$work/pg"
    if [ "${ABA_ODOO_KEEP:-0}" = 1 ]; then
        echo "odoo_suites.sh: kept $work" >&2
    elif [ "$status" -ne 0 ]; then
        rm -rf "$work/pg" "$work/data"
        echo "odoo_suites.sh: logs kept in $logs" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
dsn=$(bash "$ROOT/scripts/pg.sh" start "$work/pg" "$port")
# Odoo refuses to connect as `postgres`: a dedicated role.
psql "$dsn" -qAtc "CREATE ROLE odoo LOGIN SUPERUSER" >/dev/null

# odoo-bin, with the at_install tests moved to the suite Odoo runs once the registry is loaded
# (or dropped: ABA_SUITES_AT_INSTALL=0; see the header). Left alone, Odoo without -i/-u runs them
# while loading each module, before the modules that depend on it: sale_loyalty's then break on
# the NOT NULL columns of sale_stock, which is installed but not loaded yet.
cat >"$work/odoo_run.py" <<'EOF'
import os
import sys

os.environ["TZ"] = "UTC"  # as odoo-bin, before `time` is used
odoo_path = sys.argv.pop(1)
sys.path.insert(0, odoo_path)
sys.argv[0] = os.path.join(odoo_path, "odoo-bin")
import odoo  # noqa: E402
from odoo.tools import config  # noqa: E402

_parse_config = config.parse_config


def parse_config(*args, **kwargs):
    result = _parse_config(*args, **kwargs)
    if config["test_enable"]:
        from odoo.tests import loader

        make_suite = loader.make_suite
        with_at_install = os.environ.get("ABA_SUITES_AT_INSTALL", "1") != "0"

        def make_suite_post(module_names, position="at_install"):
            suite = make_suite(module_names, position)
            if position != "post_install":
                return type(suite)([])
            if with_at_install:
                tests = [*make_suite(module_names, "at_install"), *suite]
                suite = type(suite)(sorted(tests, key=lambda t: t.test_sequence))
            return suite

        loader.make_suite = make_suite_post
    return result


config.parse_config = parse_config
odoo.cli.main()
EOF

odoo_bin() { (cd "$odoo" && "$python" "$work/odoo_run.py" "$odoo" "$@"); }

run_mode() {
    local mode=$1 db="aba_suites_${1//-/_}" modules=point_of_sale,pos_loyalty,sale_loyalty t0 rc
    local meta="$logs/$mode.meta"
    [ "$mode" = stock ] || modules+=,asd_aba_loyalty
    local common=(--addons-path="$odoo/addons,$odoo/odoo/addons,$ROOT/odoo_addon"
        --db_host=127.0.0.1 --db_port="$port" --db_user=odoo -d "$db"
        --data-dir="$work/data" --http-port=0 --max-cron-threads=0 --without-demo=
        --stop-after-init)
    : >"$meta"
    echo "== [$mode] install $modules (demo data) into $db" >&2
    t0=$SECONDS
    set +e
    odoo_bin "${common[@]}" -i "$modules" --log-level=warn >"$logs/$mode.install.log" 2>&1
    rc=$?
    set -e
    echo "install_rc=$rc" >>"$meta"
    echo "install_seconds=$((SECONDS - t0))" >>"$meta"
    if [ "$rc" -ne 0 ]; then
        echo "== [$mode] install FAILED (exit $rc), see $logs/$mode.install.log" >&2
        tail -20 "$logs/$mode.install.log" >&2
        return 0
    fi
    if [ "$mode" = addon-on ]; then
        psql "${dsn%/postgres}/$db" -v ON_ERROR_STOP=1 -qAt >/dev/null <<'SQL'
INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date)
VALUES ('asd_aba_loyalty.use_rust_engine', 'True', 1, 1, now(), now())
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, write_date = now();
UPDATE pos_config SET rust_engine_rollout_percentage = 100;
SQL
    fi
    if [ "$mode" != stock ]; then
        echo "use_rust_engine=$(psql "${dsn%/postgres}/$db" -qAtc \
            "SELECT coalesce((SELECT value FROM ir_config_parameter
               WHERE key = 'asd_aba_loyalty.use_rust_engine'), '(unset)')")" >>"$meta"
        echo "rollout=$(psql "${dsn%/postgres}/$db" -qAtc \
            "SELECT coalesce(string_agg(DISTINCT rust_engine_rollout_percentage::text, ','), '-')
               FROM pos_config")" >>"$meta"
    fi
    echo "== [$mode] run tests $tags" >&2
    t0=$SECONDS
    set +e
    # Screenshots of failed tours: with the logs (Odoo's default, /tmp/odoo_tests/DB, is shared
    # with every other run using the same database name).
    odoo_bin "${common[@]}" --test-enable --test-tags "$tags" --log-level=info \
        --screenshots="$logs/screenshots" >"$logs/$mode.test.log" 2>&1
    rc=$?
    set -e
    echo "test_rc=$rc" >>"$meta"
    echo "test_seconds=$((SECONDS - t0))" >>"$meta"
    grep -E "odoo.tests.result: .* when loading database" "$logs/$mode.test.log" >&2 || true
}

echo "odoo_suites.sh: modes ${modes[*]}; tags $tags; browser ${browser:-none}; logs $logs" >&2
for mode in "${modes[@]}"; do
    run_mode "$mode"
done

set +e
ABA_SUITES_JSON=${ABA_SUITES_JSON:-} ABA_SUITES_BASELINE=${ABA_SUITES_BASELINE:-} \
    "$python" - "$logs" "$allow" "$tags" "${modes[@]}" <<'EOF'
"""Summarise the runs' logs; exit 1 on an addon-only failure not in the allow-list."""
import json
import os
import re
import sys

logs, allow_path, tags, modes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) \S+ "
                  r"(?P<logger>[\w.]+): (?P<msg>.*)$")
RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
STATS = re.compile(r"^(\w+): (\d+) tests ")
HOLDER = re.compile(r"^(\w+) \((?:odoo\.addons\.)?(\w+)\.tests\.[\w.]*?(\w+)\)$")


def test_id(logger, desc):
    """`module.Class.method` from the logger (the test's python module) and the description."""
    desc = desc.strip()
    holder = HOLDER.match(desc)  # setUpClass (odoo.addons.mod.tests.file.Class) and the like
    if holder:
        return "%s.%s.%s" % (holder[2], holder[3], holder[1])
    if desc.startswith("Subtest "):
        desc = desc[len("Subtest "):].split(" ", 1)[0]
    desc = desc.split(" ", 1)[0]
    parts = logger.split(".")
    module = parts[2] if parts[:2] == ["odoo", "addons"] and len(parts) > 2 else logger
    return "%s.%s" % (module, desc)


def parse(mode):
    meta = {}
    try:
        with open(os.path.join(logs, mode + ".meta")) as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                meta[key] = int(value) if value.lstrip("-").isdigit() else value
    except FileNotFoundError:
        pass
    out = {"meta": meta, "run": None, "failed": None, "errors": None, "failing": {},
           "skipped": [], "per_module": {}, "other_errors": [], "install_errors": []}
    install_log = os.path.join(logs, mode + ".install.log")
    if os.path.exists(install_log):
        with open(install_log, errors="replace") as f:
            out["install_errors"] = [m["msg"][:300] for m in map(LINE.match, f)
                                     if m and m["level"] in ("ERROR", "CRITICAL")][:50]
    test_log = os.path.join(logs, mode + ".test.log")
    if not os.path.exists(test_log):
        return out
    with open(test_log, errors="replace") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            level, logger, msg = m["level"], m["logger"], m["msg"]
            kind = msg.split(":", 1)[0]
            if level in ("ERROR", "CRITICAL") and kind in ("FAIL", "ERROR"):
                tid = test_id(logger, msg.split(":", 1)[1])
                out["failing"].setdefault(tid, set()).add(kind)
            elif logger == "odoo.tests.result" and RESULT.search(msg):
                failed, errors, run = map(int, RESULT.search(msg).groups())
                out.update(failed=failed, errors=errors, run=run)
            elif logger == "odoo.tests.stats" and STATS.match(msg):
                module, count = STATS.match(msg).groups()
                out["per_module"][module] = int(count)
            elif level == "INFO" and msg.startswith("skipped "):
                out["skipped"].append(test_id(logger, msg[len("skipped "):].split(" : ", 1)[0]))
            elif level in ("ERROR", "CRITICAL") and len(out["other_errors"]) < 50:
                out["other_errors"].append("%s: %s" % (logger, msg[:300]))
    out["failing"] = {tid: sorted(kinds) for tid, kinds in sorted(out["failing"].items())}
    return out


def load_allow():
    """{mode or None: test ids}: `MODE: test_id` lines hold for that mode alone, bare ones for
    every addon mode (a flag-on difference listed bare would hide a flag-off regression)."""
    allowed = {}
    if os.path.exists(allow_path):
        with open(allow_path) as f:
            for number, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if not line:
                    continue
                mode, sep, tid = line.rpartition(": ")
                if sep and mode not in ("addon-off", "addon-on"):
                    sys.exit("%s:%d: unknown mode %r" % (allow_path, number, mode))
                allowed.setdefault(mode or None, set()).add(tid.strip())
    return allowed


def is_allowed(tid, allowed, mode):
    ids = allowed.get(None, set()) | allowed.get(mode, set())
    return tid in ids or tid.split(".", 1)[-1] in ids


results = {mode: parse(mode) for mode in modes}
baseline, baseline_from = results.get("stock"), "this run" if "stock" in results else None
if baseline is None and os.environ.get("ABA_SUITES_BASELINE"):
    with open(os.environ["ABA_SUITES_BASELINE"]) as f:
        baseline = json.load(f)["modes"].get("stock")
    baseline_from = os.environ["ABA_SUITES_BASELINE"] if baseline else None
allowed = load_allow()
broken, unexpected = [], {}
print("%-10s %6s %6s %6s %7s %9s %9s" % ("mode", "run", "failed", "errors", "skipped",
                                        "install_s", "tests_s"))
for mode, r in results.items():
    meta = r["meta"]
    print("%-10s %6s %6s %6s %7d %9s %9s" % (
        mode, r["run"], r["failed"], r["errors"], len(r["skipped"]),
        meta.get("install_seconds", "-"), meta.get("test_seconds", "-")))
    if meta.get("install_rc", 0) != 0:
        broken.append("%s: install failed (exit %s)" % (mode, meta["install_rc"]))
    elif r["run"] is None:
        broken.append("%s: the test run ended without a result line (exit %s)"
                      % (mode, meta.get("test_rc")))
    elif r["run"] == 0:
        broken.append("%s: no test ran (tags %s)" % (mode, tags))
for mode, r in results.items():
    print("\n[%s] %s" % (mode, ", ".join("%s=%s" % kv for kv in r["meta"].items())))
    print("  odoo.tests.stats entries per module: %s" % (r["per_module"] or "-"))
    for tid, kinds in r["failing"].items():
        print("  %-5s %s" % ("/".join(kinds), tid))
    if r["skipped"]:
        print("  skipped: %s" % ", ".join(sorted(set(r["skipped"]))))
    if mode == "stock":
        continue
    if baseline is None:
        print("  no stock baseline: addon-only failures not computed")
        broken.append("%s: no stock baseline" % mode)
        continue
    only = sorted(set(r["failing"]) - set(baseline["failing"]))
    fixed = sorted(set(baseline["failing"]) - set(r["failing"]))
    r["addon_only"] = only
    r["addon_only_not_allowed"] = [t for t in only if not is_allowed(t, allowed, mode)]
    r["fixed_by_addon"] = fixed
    print("  failing only with the addon (vs stock from %s): %d" % (baseline_from, len(only)))
    for tid in only:
        print("    %s%s" % (tid, "  (intended)" if is_allowed(tid, allowed, mode) else ""))
    if fixed:
        print("  failing in stock but not here: %s" % ", ".join(fixed))
    if r["addon_only_not_allowed"]:
        unexpected[mode] = r["addon_only_not_allowed"]
if os.environ.get("ABA_SUITES_JSON"):
    with open(os.environ["ABA_SUITES_JSON"], "w") as f:
        json.dump({"tags": tags, "baseline": baseline_from,
                   "allow_list": {mode or "every addon mode": sorted(ids)
                                  for mode, ids in allowed.items()},
                   "modes": results, "broken": broken, "unexpected": unexpected},
                  f, indent=2, sort_keys=True)
for problem in broken:
    print("BROKEN: " + problem)
for mode, tids in unexpected.items():
    print("NOT ALLOWED (%s): %d addon-only failure(s)" % (mode, len(tids)))
sys.exit(1 if broken or unexpected else 0)
EOF
status=$?
set -e
[ "$status" -eq 0 ] && echo "odoo_suites.sh: OK" >&2 || echo "odoo_suites.sh: FAILED" >&2
exit "$status"
}
