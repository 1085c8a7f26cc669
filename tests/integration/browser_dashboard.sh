#!/bin/bash
# browser_dashboard.sh — the dashboard, the UI's first page, and GET
# /api/v1/dashboard behind it: two scans of loopback listeners with one
# port closed in between (a gone change, a fixed finding), a scan left
# pending, a schedule that did not fire.  The API's answer is checked
# against the database; then headless Chromium (tests/browser/
# dashboard.test.js) checks the page against the API: the chart's bars
# (open findings by severity, 30 days), the changes of 24 h and 7 days,
# the queue health, the late schedule, the newest findings, and the scan
# list's findings and changes columns; the scan page's fixes (summary
# numbers rounded, scanq's own shard options hidden, the schedule by name
# with a link) and the list's marks of shards and split parents; the
# Webhooks card holds a long URL at 1,400 px.  Screenshots go to
# test-logs/browser/.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

three_ports
scan() { scan_once portscan 127.0.0.1 --ports "$A,$B"; }
banner_on "$A" "SSH-2.0-OpenSSH_9.2p1
"
banner_on "$B" "220 (vsFTPd 3.0.3)
"; pb=$last
s1=$(scan)
kill "$pb"; wait "$pb" 2>/dev/null
s2=$(scan)
# For the scan page and the list: a schedule's scan, a chain (its options
# hold the stage's internal shard_* settings), a split scan and its shards.
q schedule add nightly --cron "0 2 * * *" portscan 127.0.0.1 --ports "$A" >/dev/null || fail "schedule add"
q schedule run-now nightly >/dev/null || fail "run-now"
sched=$(sql "SELECT max(id) FROM scans WHERE schedule_id IS NOT NULL")
q worker --once --name once >>"$T/worker.log" 2>&1
is_status "$sched" completed || fail "the schedule's scan $sched is $(status "$sched")"
chain=$(q submit portscan 127.0.0.1 --ports "$A" --then portscan) || fail "submit chain"
q worker --once --name once >>"$T/worker.log" 2>&1
[ -n "$(sql "SELECT id FROM scans WHERE parent_id = $chain")" ] && q worker --once --name once >>"$T/worker.log" 2>&1
split=$(SCANQ_FLOW_SHARD_ADDRESSES=2 q submit portscan 127.0.0.0/30 --ports "$A") || fail "submit split"
[ "$(sql "SELECT count(*) FROM scans WHERE parent_id = $split")" = 2 ] || fail "not split in 2"
for _ in 1 2; do
	sql_is "SELECT count(*) FROM scans WHERE parent_id = $split AND status = 'pending'" 0 \
		|| q worker --once --name once >>"$T/worker.log" 2>&1
done
is_status "$split" completed || fail "split scan $split is $(status "$split")"
# A TLS check of an expired certificate: its finding names its fix.
make_cert old localhost expired
tls_server "$T/tls" -cert "$T/old.crt" -key "$T/old.key"
tls=$(q submit tls 127.0.0.1 --ports "$(cat "$T/tls")") || fail "submit tls"
q worker --once --name once >>"$T/worker.log" 2>&1
is_status "$tls" completed || fail "tls scan $tls is $(status "$tls")"
pending=$(q submit portscan 127.0.0.1 --ports "$A") || fail "submit pending"
[ "$(sql "SELECT state FROM finding_states WHERE port = $B")" = fixed ] || fail "port $B is not fixed"
# A schedule planned an hour ago and due ten minutes ago that no serve can
# fire (this serve cannot read the zone database): late.
SCANQ_TEST_CLOCK="$(now_ms),$(( $(now_ms) - 3600000 )),1" q schedule add late1 --cron "*/50 * * * *" portscan 127.0.0.1 >/dev/null \
	|| fail "add late1"
sql "UPDATE schedules SET next_run_at = $(( $(now_ms) - 600000 )) WHERE name = 'late1'" >/dev/null
# A webhook with a long URL (the Webhooks card must hold it at 1400 px).
q webhook add "http://127.0.0.1:9/$(printf 'hook%.0s' {1..40})" >/dev/null || fail "webhook add"
ok "scans $s1 and $s2 (port $B closed in between), $pending pending, schedule late1 late, a webhook"

export SCANQ_WEB_DIR="$REPO/web"
TZDIR=$T/nozones start_serve --workers 0
wait_for 10 "the scheduler to try late1" grep -q 'schedule cannot be planned.*late1' "$dir/serve.log"
[ "$(req GET /api/v1/dashboard)" = 200 ] || fail "GET /api/v1/dashboard: $(cat "$T/body")"
cp "$T/body" "$T/dash.json"
python3 - "$T/dash.json" "$(sql "SELECT count(*) FROM finding_states WHERE state IN ('open', 'reopened')")" \
	"$(sql "SELECT count(*) FROM scan_changes WHERE change_type = 'gone'")" "$(sql "SELECT max(id) FROM finding_states WHERE state IN ('open', 'reopened')")" \
	"$(sql "SELECT count(*) FROM scan_events WHERE to_status = 'completed'")" <<'PY' || fail "the dashboard's numbers: $(cat "$T/dash.json")"
import json, sys
d = json.load(open(sys.argv[1])); open_now, gone, newest, done = (int(x) for x in sys.argv[2:6])
days = d["open_findings"]["days"]
assert len(days) == 30, len(days)
assert sum(d["open_findings"]["now"].values()) == open_now, (d["open_findings"]["now"], open_now)
assert days[-1] == dict(d["open_findings"]["now"], day=days[-1]["day"]), days[-1]
assert sum(days[0][k] for k in ("critical", "high", "medium", "low", "info")) == 0, days[0]
assert d["changes"]["last_24h"]["gone"] == gone >= 1 and d["changes"]["last_7d"]["gone"] == gone, d["changes"]
assert d["newest_findings"][0]["id"] == newest, d["newest_findings"]
assert all(f["state"] in ("open", "reopened") for f in d["newest_findings"])
assert d["queue"]["pending"] == 1 and d["queue"]["completed_last_hour"] == done, (d["queue"], done)
assert [s["name"] for s in d["late_schedules"]] == ["late1"] and d["late_schedules_total"] == 1, d["late_schedules"]
PY
ok "GET /api/v1/dashboard agrees with the database: open now and by day, changes, newest, queue, late schedules"

browser_test dashboard SCANQ_SCAN="$s2" SCANQ_SCHED_SCAN="$sched" SCANQ_CHAIN="$chain" SCANQ_SPLIT="$split" SCANQ_TLS="$tls"
ok "the dashboard in Chromium shows the API's numbers; the scan list's findings and changes columns"
