#!/bin/bash
# The monitoring that ships in contrib/: the alert rules pass `promtool
# check rules`, and `promtool test rules` (tests/prometheus/) shows each
# alert firing on series that should fire it and silent on those that
# should not; each runbook_url names a section of docs/OPERATIONS.md; and
# every metric the rules and the Grafana dashboard query is one that a
# running `scanq serve` really exposes on /metrics.
source "$(dirname "$0")/lib.sh"
repo=$(cd "$(dirname "$0")/../.." && pwd)
rules="$repo/contrib/prometheus/alerts.yml"
dash="$repo/contrib/grafana/scanq.json"
command -v promtool >/dev/null || fail "promtool is missing (apt-get install prometheus)"

promtool check rules "$rules" || fail "promtool check rules"
promtool test rules "$repo/tests/prometheus/alerts.test.yml" || fail "promtool test rules"
for a in ScannerWorkerStuck ScannerQueueBacklog ScanqScanFailureRate ScanqDown ScanqLeaseRecoveries; do
	grep -q "^      - alert: $a\$" "$rules" || fail "no alert $a"
	grep -q "alertname: $a\$" "$repo/tests/prometheus/alerts.test.yml" || fail "no promtool test of $a"
done
ok "promtool: rules check out, every alert tested"

# Runbook links: GitHub-style anchors of the headings of OPERATIONS.md.
anchors=$(sed -n 's/^#\{1,4\} //p' "$repo/docs/OPERATIONS.md" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9 \n-' | tr ' ' '-')
n=0
for link in $(sed -n 's/^ *runbook_url: *//p' "$rules"); do
	case $link in docs/OPERATIONS.md#*) ;; *) fail "runbook_url outside docs/OPERATIONS.md: $link" ;; esac
	echo "$anchors" | grep -qx "${link#*#}" || fail "no section for $link"
	n=$((n + 1))
done
[ "$n" -ge 5 ] || fail "only $n runbook links"
ok "$n runbook links, each to a section of OPERATIONS.md"

# The metric names exposed: # TYPE lines (a histogram's series carry
# _bucket, _sum and _count), after one request so the HTTP counters exist.
start_serve --workers 1
req GET /healthz >/dev/null
[ "$(req GET /metrics)" = 200 ] || fail "GET /metrics"
exposed=$(sed -n 's/^# TYPE \([a-z_:]*\) \(.*\)/\1 \2/p' "$T/body" | while read -r name type; do
	echo "$name"
	[ "$type" = histogram ] && printf '%s\n' "${name}_bucket" "${name}_sum" "${name}_count"
done)
[ -n "$exposed" ] || fail "no metrics: $(head -c 300 "$T/body")"
used=$( { grep -o 'scanq_[a-z][a-z_]*' "$rules"; grep -o 'scanq_[a-z][a-z_]*' "$dash"; } | sort -u)
[ "$(echo "$used" | wc -l)" -ge 10 ] || fail "too few metrics used: $used"
for m in $used; do
	echo "$exposed" | grep -qx "$m" || fail "$m is used by contrib/ but /metrics does not expose it"
done
# Labels the queries select on are labels the metrics carry.
grep -q 'scanq_workers{state="active"}' "$T/body" && grep -q 'scanq_scans{status="pending"}' "$T/body" \
	&& grep -q 'scanq_http_requests_total{route="healthz",code="200"}' "$T/body" || fail "labels"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["panels"] and d["uid"]' "$dash" \
	|| fail "the dashboard is not JSON with panels"
ok "$(echo "$used" | wc -l) metrics used by the rules and the dashboard, all exposed"
kill "$SERVE_PID"
echo PASS
