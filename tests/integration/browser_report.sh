#!/bin/bash
# browser_report.sh — the HTML report (`scanq export --format html`, GET
# /api/v1/scans/{id}/export?format=html), as a user gets it: two scans of
# loopback listeners, one port closed in between and a banner carrying
# `<script>`; one finding accepted.  The report is opened in headless
# Chromium (tests/browser/report.test.js): its severity counts, suppressed
# count and changes are the API's, the accepted finding is marked
# suppressed, the banner's script is text and never runs, the print style
# applies; the scan page's download menu saves it.  A chain's root gets
# the chain's report; --pdf prints it through Chromium, or says in one line
# that it cannot and writes nothing; bad input is one line and no file.
# Screenshots go to test-logs/browser/.
source "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export SCANQ_CONFIG=/dev/null

three_ports
scan() { scan_once portscan 127.0.0.1 --ports "$A,$B" --options '{"detect":true,"banner":true}'; }
banner_on "$A" "SSH-2.0-<script>window.pwned=1</script>
"
banner_on "$B" "220 (vsFTPd 3.0.3)
"; pb=$last
s1=$(scan)
kill "$pb"; wait "$pb" 2>/dev/null
s2=$(scan)
FA=$(sql "SELECT fingerprint FROM finding_states WHERE port = $A")
q finding accept "$FA" --reason 'lab box <b>7</b>' >/dev/null || fail "accept"
ok "two scans ($s1, then $s2 without port $B); port $A's finding accepted"

# The CLI's report: scanned strings escaped, the accepted one marked.
q export "$s2" --format html --output "$T/r.html" 2>"$T/err" || fail "export html: $(cat "$T/err")"
grep -qi '<script' "$T/r.html" && fail "the report holds a raw <script>"
grep -q '&lt;script&gt;window.pwned=1&lt;/script&gt;' "$T/r.html" || fail "the banner is not in the report as text"
grep -q 'lab box &lt;b&gt;7&lt;/b&gt;' "$T/r.html" || fail "the triage reason is not escaped"
grep -q '@media print' "$T/r.html" || fail "no print style"
grep -Eq '<(link|img|iframe)|src=|https?://' "$T/r.html" && fail "the report refers to something outside itself"
grep -q "tr class=\"finding suppressed\" data-fingerprint=\"$FA\"" "$T/r.html" || fail "the accepted finding is not marked suppressed"
ok "the report escapes every scanned string, links nothing, prints, and marks the accepted finding suppressed"

# The API's is the CLI's (but for the time it was written), with a
# policy that lets no script run.
start_serve --workers 0
[ "$(req GET "/api/v1/scans/$s2/export?format=html")" = 200 ] || fail "GET export html: $(cat "$T/body")"
grep -qi '^Content-Type: text/html; charset=utf-8' "$T/headers" || fail "content type: $(cat "$T/headers")"
grep -qi "^Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'" "$T/headers" || fail "no CSP"
grep -qi "filename=\"scanq-scan-$s2.html\"" "$T/headers" || fail "file name: $(cat "$T/headers")"
strip() { sed 's|<dt>Report written</dt><dd>[^<]*</dd>||' "$1"; }
[ "$(strip "$T/body")" = "$(strip "$T/r.html")" ] || fail "the API's report differs from the CLI's"
ok "GET ?format=html is the CLI's report, served with a script-free Content-Security-Policy"

# Bad input: one line, exit status 2 (1 for a missing scan), no file.
# EXPECT_ENV (VAR=VALUE words) is the environment of scanq alone.
expect_bad() {	# EXIT TEXT ARGS...
	local want=$1 text=$2 rc; shift 2
	env ${EXPECT_ENV:-} "$S" --db "$DB" export "$@" >"$T/out" 2>"$T/err"; rc=$?
	[ "$rc" = "$want" ] || fail "export $*: exit $rc, not $want"
	grep -q "$text" "$T/err" || fail "export $*: $(cat "$T/err")"
	[ "$(grep -c '^error:' "$T/err")" = 1 ] || fail "export $*: not one error line: $(cat "$T/err")"
	[ -e "$T/bad.out" ] || [ -e "$T/bad.out.tmp" ] && fail "export $* wrote a file"
	return 0
}
expect_bad 2 "unknown format 'htm'" "$s2" --format htm --output "$T/bad.out"
expect_bad 1 "no scan 99999" 99999 --format html --output "$T/bad.out"
expect_bad 2 "pdf needs --output" "$s2" --pdf
expect_bad 2 "use --format html, not 'csv'" "$s2" --pdf --format csv --output "$T/bad.out"
EXPECT_ENV=SCANQ_CHROMIUM=/nonexistent expect_bad 1 "cannot render a PDF: SCANQ_CHROMIUM=/nonexistent" "$s2" --pdf --output "$T/bad.out"
EXPECT_ENV=PATH=/nonexistent expect_bad 1 "cannot render a PDF: Chromium is not installed" "$s2" --pdf --output "$T/bad.out"
[ "$(req GET "/api/v1/scans/$s2/export?format=htm")" = 400 ] && grep -q "unknown format 'htm'" "$T/body" \
	|| fail "API, unknown format: $(cat "$T/body")"
[ "$(req GET "/api/v1/scans/99999/export?format=html")" = 404 ] || fail "API, no such scan"
ok "bad input: an unknown format, no such scan, --pdf without --output, with csv, without Chromium"

# --pdf with Chromium: a PDF, written whole.
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is missing (apt-get install chromium)"
q export "$s2" --pdf --output "$T/r.pdf" 2>"$T/err" || fail "export --pdf: $(cat "$T/err")"
[ "$(head -c 5 "$T/r.pdf")" = "%PDF-" ] || fail "--pdf wrote no PDF"
[ -e "$T/r.pdf.tmp" ] && fail "--pdf left its temporary file"
mkdir -p "$ART" && cp "$T/r.pdf" "$ART/report.pdf"
ok "--pdf prints the report through headless Chromium ($(wc -c <"$T/r.pdf") bytes, kept as $ART/report.pdf)"

# A chain's root: the report of the whole chain, the stages' findings in it.
root=$(q submit portscan 127.0.0.1 --ports "$A" --then portscan) || fail "submit chain"
q worker --once --name once >>"$T/worker.log" 2>&1	# the root, which queues the stage
stage=$(sql "SELECT id FROM scans WHERE parent_id = $root")
[ -n "$stage" ] && q worker --once --name once >>"$T/worker.log" 2>&1
is_status "$root" completed && [ -n "$stage" ] && is_status "$stage" completed || fail "chain $root did not complete"
q export "$root" --format html --output "$T/chain.html" 2>"$T/err" || fail "chain export: $(cat "$T/err")"
grep -q "<h1 id=\"title\">scanq report: portscan chain $root</h1>" "$T/chain.html" || fail "not a chain's report"
grep -q "portscan $stage (completed)" "$T/chain.html" || fail "the stage is not listed"
n=$(sql "SELECT count(*) FROM findings WHERE scan_id IN ($root, $stage)")
grep -q "id=\"n-findings\">$n<" "$T/chain.html" || fail "the chain's report does not count its $n findings"
ok "a chain's root gets the chain's report: $n findings of scans $root and $stage"

# In the browser: the numbers against the API, the script that never ran.
export SCANQ_WEB_DIR="$REPO/web"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
start_serve --workers 0
browser_test report SCANQ_SCAN="$s2" SCANQ_REPORT="$T/r.html" SCANQ_FP="$FA"
ok "the report in Chromium: the API's numbers, the script as text, the print style; the scan page's download menu"
