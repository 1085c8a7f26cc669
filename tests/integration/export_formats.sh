#!/bin/bash
# export_formats.sh — `scanq export` and GET /api/v1/scans/{id}/export, as
# a user runs them on real scans through the queue: a vulnerability scan
# (nmap's vuln scripts) of a loopback HTTP server with the Apache
# byterange bug, and a portscan with service detection of a banner full of
# commas and quotes.  Each format is checked by a reader nobody here
# wrote: SARIF 2.1.0 against the official OASIS schema (ajv) and by
# Microsoft's SARIF multitool; DefectDojo's Generic Findings JSON against
# the schema written from their field list; the CSV read back by Python's
# csv module; JSON Lines by Python's json.  Every format names each
# finding by the same fingerprint, two exports of a scan are identical, a
# rerun of the scan gives the same fingerprints, and the API's body is the
# CLI's.  Bad input (unknown format, no format, no such scan) is one line
# and writes nothing.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null SCANQ_WORKER_HEARTBEAT=1
command -v nmap >/dev/null || fail "nmap is not installed (make deps-test installs it)"
command -v python3 >/dev/null || fail "python3 is not installed (make deps-test installs it)"
EX="$REPO/tests/export"
if [ ! -d "$EX/node_modules/ajv-draft-04" ] || [ ! -d "$EX/node_modules/@microsoft/sarif-multitool" ]; then
	(cd "$EX" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in tests/export failed"
fi

listen_http "$T/http" "Apache/2.2.8 (Unix)" "scanq fixture"
listen_banner "$T/ssh" 'SSH-2.0-OpenSSH_9.2p1 Debian "quoted, with commas",
'
H=$(cat "$T/http") B=$(cat "$T/ssh")
vuln=$(q submit vuln 127.0.0.1 --ports "$H" --time-limit 300) || fail "submit vuln"
ports=$(q submit portscan 127.0.0.1 --ports "$B,$H" --options '{"detect":true,"banner":true}') || fail "submit portscan"
q worker --once --name export >"$T/worker.log" 2>&1 || fail "worker: $(tail -n 5 "$T/worker.log")"
is_status "$vuln" completed && is_status "$ports" completed \
	|| fail "scans are $(status "$vuln") and $(status "$ports"): $(tail -n 5 "$T/worker.log")"

for id in "$vuln" "$ports"; do
	for f in sarif defectdojo csv jsonl; do
		q export "$id" --format "$f" >"$T/$id.$f" 2>"$T/err" || fail "export $id --format $f: $(cat "$T/err")"
		[ -s "$T/$id.$f" ] || fail "export $id --format $f is empty"
	done
done
ok "scanq export writes every format for both scans"

# SARIF: the official schema, then Microsoft's multitool (its errors are
# lines with ": error "; it exits 0 either way).
for id in "$vuln" "$ports"; do
	node "$EX/validate.js" "$EX/sarif-schema-2.1.0.json" "$T/$id.sarif" >"$T/v" 2>&1 \
		|| fail "SARIF of scan $id against the 2.1.0 schema: $(head -5 "$T/v")"
	(cd "$EX" && timeout 300 npx --no-install sarif-multitool validate "$T/$id.sarif") >"$T/mt" 2>&1 \
		|| fail "sarif-multitool did not run: $(tail -5 "$T/mt")"
	grep -q 'Analysis completed successfully' "$T/mt" || fail "sarif-multitool: $(tail -5 "$T/mt")"
	grep ': error ' "$T/mt" && fail "sarif-multitool found errors in scan $id's SARIF"
done
ok "SARIF is valid against the official 2.1.0 schema and for Microsoft's sarif-multitool"

# A reader of a known-bad document fails, so the checks above can fail.
echo '{"version":"2.1.0","runs":[{"tool":{"driver":{}},"results":[]}]}' >"$T/bad.sarif"
node "$EX/validate.js" "$EX/sarif-schema-2.1.0.json" "$T/bad.sarif" >/dev/null 2>&1 && fail "the schema check passed a SARIF without a driver name"
echo '{"findings":[{"title":"x","severity":"Severe","description":"d"}]}' >"$T/bad.dojo"
node "$EX/validate.js" "$EX/defectdojo-generic.schema.json" "$T/bad.dojo" >/dev/null 2>&1 && fail "the DefectDojo schema passed severity Severe"
ok "the validators reject known-bad documents"

for id in "$vuln" "$ports"; do
	node "$EX/validate.js" "$EX/defectdojo-generic.schema.json" "$T/$id.defectdojo" >"$T/v" 2>&1 \
		|| fail "DefectDojo JSON of scan $id: $(head -5 "$T/v")"
done
ok "DefectDojo Generic Findings JSON is valid against the schema of their documented fields"

# Every format, read by Python, names the same findings by the same
# fingerprints as `scanq findings --json`; the CVE travels in each.
cat >"$T/check.py" <<'PY'
import csv, json, sys
base = sys.argv[1]
want = {f["fingerprint"]: f for f in json.load(open(base + ".findings"))}
assert want and all(len(k) == 32 for k in want), "findings --json lacks fingerprints"
sarif = json.load(open(base + ".sarif"))
got = {r["partialFingerprints"]["scanqFingerprint/v1"]: r for r in sarif["runs"][0]["results"]}
assert set(got) == set(want), ("sarif", set(got) ^ set(want))
dojo = json.load(open(base + ".defectdojo"))
got = {f["unique_id_from_tool"]: f for f in dojo["findings"]}
assert set(got) == set(want), ("defectdojo", set(got) ^ set(want))
for fp, f in want.items():
    if f["cve"]:
        assert got[fp]["cve"] == f["cve"][0], ("defectdojo cve", got[fp], f)
    assert got[fp]["severity"].lower() == f["severity"], ("severity", got[fp], f)
with open(base + ".csv", newline="") as fh:
    raw = fh.read()
assert raw.endswith("\r\n") and "\n" not in raw.replace("\r\n", ""), "csv rows must end with CRLF"
rows = list(csv.DictReader(raw.splitlines(keepends=True), strict=True))
assert {r["fingerprint"] for r in rows} == set(want) and len(rows) == len(want), "csv fingerprints"
for r in rows:
    f = want[r["fingerprint"]]
    assert r["title"] == f["title"] and r["target"] == f["target"], ("csv", r, f)
    assert r["cve"] == " ".join(f["cve"]), ("csv cve", r, f)
    assert json.loads(r["detail"]) == f["detail"], ("csv detail", r["detail"], f["detail"])
lines = [json.loads(l) for l in open(base + ".jsonl")]
assert {l["fingerprint"] for l in lines} == set(want) and len(lines) == len(want), "jsonl"
print(len(want), sum(1 for f in want.values() if f["cve"]))
PY
for id in "$vuln" "$ports"; do
	q findings "$id" --json --limit 1000000 >"$T/$id.findings" || fail "findings $id --json"
	out=$(python3 "$T/check.py" "$T/$id" 2>&1) || fail "scan $id: $out"
	echo "scan $id: $out (findings, with a CVE)"
done
python3 "$T/check.py" "$T/$vuln" | awk '{exit !($2 >= 1)}' || fail "the vuln scan exported no finding with a CVE"
grep -q '"CVE-2011-3192"' "$T/$vuln.sarif" && grep -q '"cve":"CVE-2011-3192"' "$T/$vuln.defectdojo" \
	&& grep -q 'CVE-2011-3192' "$T/$vuln.csv" || fail "CVE-2011-3192 is missing from an export"
# The banner's quotes and commas sit in a CSV field that the reader above
# gave back intact (its detail equals the finding's).
grep -q 'quoted, with commas' "$T/$ports.csv" || fail "the CSV lacks the banner with quotes and commas"
ok "SARIF, DefectDojo, CSV (read by Python's csv) and JSON Lines carry the same fingerprints and CVEs"

# The same scan exported twice: the same bytes.  A rerun of the portscan:
# the same fingerprints for the same open ports and products.
for f in sarif defectdojo csv jsonl; do
	q export "$ports" --format "$f" | cmp -s - "$T/$ports.$f" || fail "a second $f export of scan $ports differs"
done
again=$(q submit portscan 127.0.0.1 --ports "$B,$H" --options '{"detect":true,"banner":true}') || fail "submit again"
q worker --once --name export2 >"$T/worker2.log" 2>&1 && is_status "$again" completed || fail "rerun: $(status "$again")"
q export "$again" --format jsonl | python3 -c 'import json,sys; print("\n".join(sorted(json.loads(l)["fingerprint"] for l in sys.stdin)))' >"$T/fp2"
python3 -c 'import json,sys; print("\n".join(sorted(json.loads(l)["fingerprint"] for l in open(sys.argv[1]))))' "$T/$ports.jsonl" >"$T/fp1"
[ -s "$T/fp1" ] && cmp -s "$T/fp1" "$T/fp2" || fail "a rerun changed the fingerprints: $(diff "$T/fp1" "$T/fp2")"
ok "exporting a scan twice gives identical documents; a rerun gives identical fingerprints"

q export "$ports" --format sarif --output "$T/out/file.sarif" 2>"$T/err" && fail "export into a missing folder succeeded"
[ ! -e "$T/out/file.sarif.tmp" ] || fail "a failed --output left a temporary file"
q export "$ports" --format csv --output "$T/file.csv" && cmp -s "$T/file.csv" "$T/$ports.csv" || fail "--output FILE"
ok "--output writes the file whole, or nothing"

# Bad input: one line, exit 2 (usage) or 1 (no such scan), nothing written.
before=$(sql "SELECT count(*) FROM scans")/$(sql "SELECT count(*) FROM findings")
out=$(q export "$ports" --format xml 2>&1); rc=$?
[ "$rc" = 2 ] && [ "$(echo "$out" | grep -c .)" -le 2 ] && echo "$out" | grep -q "unknown format 'xml'" \
	|| fail "unknown format: exit $rc: $out"
out=$(q export "$ports" 2>&1); rc=$?
[ "$rc" = 2 ] && echo "$out" | grep -q -- '--format is required' || fail "no format: exit $rc: $out"
out=$(q export 999999 --format csv 2>&1); rc=$?
[ "$rc" = 1 ] && [ "$out" = "error: no scan 999999" ] || fail "no such scan: exit $rc: $out"
[ "$(sql "SELECT count(*) FROM scans")/$(sql "SELECT count(*) FROM findings")" = "$before" ] || fail "bad input changed the database"
ok "bad input (unknown format, no format, no such scan) is one line and changes nothing"

start_serve --workers 0
for f in sarif defectdojo csv jsonl; do
	[ "$(req GET "/api/v1/scans/$ports/export?format=$f")" = 200 ] || fail "GET export $f: $(cat "$dir/body")"
	cmp -s "$dir/body" "$T/$ports.$f" || fail "the API's $f differs from the CLI's"
	grep -qi "^content-disposition: attachment; filename=\"scanq-scan-$ports\." "$dir/headers" || fail "no file name: $(cat "$dir/headers")"
done
[ "$(req GET "/api/v1/scans/$ports/export?format=xml")" = 400 ] && grep -q "unknown format" "$dir/body" || fail "api xml: $(cat "$dir/body")"
[ "$(req GET "/api/v1/scans/$ports/export")" = 400 ] && grep -q "format is required" "$dir/body" || fail "api no format"
[ "$(req GET "/api/v1/scans/999999/export?format=csv")" = 404 ] || fail "api no such scan"
ok "GET /api/v1/scans/{id}/export streams the CLI's document as a download; bad input is 400/404"

# Triage marks, not hides: one finding of the portscan's baseline accepted,
# another a false positive.  The baseline's export is its newest complete
# run ($again); the SARIF stays valid for both validators.
mapfile -t fps < <(q export "$again" --format jsonl | python3 -c 'import json,sys; [print(json.loads(l)["fingerprint"]) for l in sys.stdin]')
[ "${#fps[@]}" -ge 2 ] || fail "the portscan has fewer than two findings"
q finding accept "${fps[0]}" --reason "known lab service, see ticket 7" >/dev/null || fail "accept"
q finding false-positive "${fps[1]}" --reason "the test's own listener" >/dev/null || fail "false-positive"
BID=$(q findings --json | python3 -c 'import json,sys; print([f["baseline_id"] for f in json.load(sys.stdin) if f["fingerprint"] == sys.argv[1]][0])' "${fps[0]}")
for f in sarif defectdojo csv jsonl; do
	q export --baseline "$BID" --format "$f" >"$T/b.$f" 2>"$T/err" || fail "export --baseline $f: $(cat "$T/err")"
	q export "$again" --format "$f" | cmp -s - "$T/b.$f" || fail "export --baseline is not the newest run's ($f)"
	[ "$(req GET "/api/v1/findings/export?format=$f&baseline=$BID")" = 200 ] || fail "GET findings/export $f: $(cat "$dir/body")"
	cmp -s "$dir/body" "$T/b.$f" || fail "the API's baseline $f differs from the CLI's"
done
node "$EX/validate.js" "$EX/sarif-schema-2.1.0.json" "$T/b.sarif" >"$T/v" 2>&1 || fail "SARIF with suppressions: $(head -5 "$T/v")"
(cd "$EX" && timeout 300 npx --no-install sarif-multitool validate "$T/b.sarif") >"$T/mt" 2>&1 \
	&& grep -q 'Analysis completed successfully' "$T/mt" && ! grep -q ': error ' "$T/mt" || fail "sarif-multitool: $(tail -5 "$T/mt")"
node "$EX/validate.js" "$EX/defectdojo-generic.schema.json" "$T/b.defectdojo" >"$T/v" 2>&1 || fail "DefectDojo: $(head -5 "$T/v")"
python3 - "$T/b" "${fps[0]}" "${fps[1]}" <<'PY' || fail "the triage marks in the exports"
import csv, json, sys
base, acc, fp = sys.argv[1:4]
res = {r["partialFingerprints"]["scanqFingerprint/v1"]: r for r in json.load(open(base + ".sarif"))["runs"][0]["results"]}
sa, sf = res[acc]["suppressions"], res[fp]["suppressions"]
assert sa == [{"kind": "external", "status": "accepted", "justification": "known lab service, see ticket 7", "properties": {"state": "accepted"}}], sa
assert sf[0]["kind"] == "external" and sf[0]["justification"] == "the test's own listener", sf
assert all("suppressions" not in r for k, r in res.items() if k not in (acc, fp)), "an untriaged result is suppressed"
dojo = {f["unique_id_from_tool"]: f for f in json.load(open(base + ".defectdojo"))["findings"]}
assert dojo[acc]["risk_accepted"] is True and dojo[acc]["active"] is False and "false_p" not in dojo[acc], dojo[acc]
assert dojo[fp]["false_p"] is True and dojo[fp]["active"] is False, dojo[fp]
assert all(f["active"] for k, f in dojo.items() if k not in (acc, fp)), "an untriaged finding is not active"
rows = {r["fingerprint"]: r for r in csv.DictReader(open(base + ".csv", newline=""), strict=True)}
assert rows[acc]["state"] == "accepted" and rows[fp]["state"] == "false_positive", rows
assert all(r["state"] == "open" for k, r in rows.items() if k not in (acc, fp)), rows
lines = {j["fingerprint"]: j for j in map(json.loads, open(base + ".jsonl"))}
assert lines[acc]["state"] == "accepted" and lines[fp]["state"] == "false_positive", lines
PY
out=$(q export --baseline 999 --format csv 2>&1); [ $? = 1 ] && [ "$out" = "error: baseline 999 has no complete run" ] || fail "no baseline: $out"
out=$(q export "$again" --baseline "$BID" --format csv 2>&1); [ $? = 2 ] || fail "scan and baseline: $out"
[ "$(req GET "/api/v1/findings/export?format=csv")" = 400 ] || fail "findings/export without a baseline"
[ "$(req GET "/api/v1/findings/export?format=csv&schedule=nope")" = 404 ] || fail "findings/export of no schedule"
ok "accepted and false-positive findings are marked in every export (SARIF suppressions still valid), by scan, baseline and API"
