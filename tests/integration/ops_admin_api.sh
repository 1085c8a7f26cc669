#!/bin/bash
# The admin API: the role matrix of every new endpoint (no token, a bad
# token, viewer, operator, admin), bad input refused with nothing changed,
# tokens that expire or are revoked stop working at once, every operator
# action in the audit trail with its token's name — and serve's automatic
# maintenance repairing a broken invariant by itself, logged with counts.
source "$(dirname "$0")/lib.sh"

admin=$(q token create --role admin --name boss) || fail "admin token"
oper=$(q token create --role operator --name ops) || fail "operator token"
view=$(q token create --role viewer --name eyes) || fail "viewer token"
bad="sq_1_0000000000000000000000000000000000000000000000000000000000000000"

# A broken invariant for the maintenance to find: completed, no finished_at.
broken=$(q submit test-ok 127.0.0.1)
sql "UPDATE scans SET status='completed', attempt=1 WHERE id=$broken" || fail "setup"
start_serve --workers 1
wait_for 20 "the automatic stuck clear" grep -q 'msg="stuck scans repaired"' "$dir/serve.log"
grep 'msg="stuck scans repaired"' "$dir/serve.log" | grep -q "finished_without_time=1" \
	|| fail "maintenance log lacks the count: $(grep stuck "$dir/serve.log")"
[ -n "$(sql "SELECT finished_at FROM scans WHERE id=$broken")" ] || fail "finished_at not repaired"
q audit | grep -q "maintenance *stuck clear" || fail "the automatic clear is not in the audit trail"
ok "serve's maintenance leader repairs a broken invariant by itself and logs the counts"

H=(-H "Content-Type: application/json")
auth() { case $1 in none) ;; bad) echo "-H"; echo "Authorization: Bearer $bad" ;;
	*) echo "-H"; echo "Authorization: Bearer $2" ;; esac; }
# matrix METHOD PATH BODY OK_CODE: none/bad 401, viewer/operator 403, admin OK_CODE
matrix() {
	local m=$1 p=$2 body=$3 want=$4 who code
	for who in none bad viewer operator; do
		local tok=""
		case $who in viewer) tok=$view ;; operator) tok=$oper ;; esac
		mapfile -t a < <(auth "$who" "$tok")
		code=$(req "$m" "$p" "${a[@]}" "${H[@]}" ${body:+-d "$body"})
		case $who in
		none|bad) [ "$code" = 401 ] || fail "$m $p as $who: $code" ;;
		*) [ "$code" = 403 ] || fail "$m $p as $who: $code" ;;
		esac
	done
	code=$(req "$m" "$p" -H "Authorization: Bearer $admin" "${H[@]}" ${body:+-d "$body"})
	[ "$code" = "$want" ] || fail "$m $p as admin: $code $(cat "$dir/body")"
}
matrix GET /api/v1/admin/stuck "" 200
grep -q '"categories"' "$dir/body" || fail "stuck report body"
matrix POST /api/v1/admin/stuck/clear '{"dry_run":true}' 200
grep -q '"dry_run":true' "$dir/body" || fail "stuck clear body: $(cat "$dir/body")"
matrix POST /api/v1/admin/prune '{"dry_run":true,"days_to_keep":30}' 200
matrix GET /api/v1/admin/tokens "" 200
matrix POST /api/v1/admin/tokens '{"role":"viewer","name":"short","expires_in_hours":1}' 201
short=$(json_field token); short_id=$(json_field id)
[ -n "$short" ] && [ -n "$short_id" ] || fail "token create body: $(cat "$dir/body")"
RFC='"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"'
grep -Eq "\"expires_at\":$RFC" "$dir/body" || fail "token create: expires_at not RFC 3339: $(cat "$dir/body")"
matrix GET /api/v1/admin/audit "" 200
grep -Eq "\"at\":$RFC" "$dir/body" && ! grep -Eq '"at":[0-9]' "$dir/body" || fail "audit times: $(cat "$dir/body")"
matrix POST "/api/v1/admin/tokens/$short_id/revoke" "" 200
matrix POST /api/v1/admin/reset '{"force":true}' 200
ok "role matrix: every admin endpoint answers 401 without or with a bad token, 403 to viewer and operator"

A=(-H "Authorization: Bearer $admin")
# What a request could change (serve's workers keep heartbeating, so not
# the whole database): scans, tokens, the audit trail.
snap() {
	sql "SELECT id, status, attempt, attempt_base, coalesce(finished_at, 0) FROM scans ORDER BY id;
	     SELECT id, coalesce(expires_at, 0), coalesce(revoked_at, 0) FROM tokens ORDER BY id;
	     SELECT count(*) FROM audit" | sha256sum
}
# Bad input: one problem, nothing changed.
for case in "POST /api/v1/admin/reset {} 422" "POST /api/v1/admin/reset {\"force\":1} 422" \
	"POST /api/v1/admin/stuck/clear {\"max_age_hours\":-1} 422" \
	"POST /api/v1/admin/stuck/clear {\"nope\":1} 422" "POST /api/v1/admin/prune {\"batch_size\":0} 422" \
	"POST /api/v1/admin/prune [1] 400" "POST /api/v1/admin/prune {bad 400" \
	"POST /api/v1/admin/tokens {\"role\":\"god\"} 422" \
	"POST /api/v1/admin/tokens {\"role\":\"viewer\",\"expires_in_hours\":0} 422" \
	"POST /api/v1/admin/tokens/x/revoke {} 400" "POST /api/v1/admin/tokens/999/revoke {} 404" \
	"POST /api/v1/admin/tokens/$short_id/revoke {} 409" "GET /api/v1/admin/stuck?max_age_hours=x - 400" \
	"GET /api/v1/admin/audit?limit=0 - 400"; do
	read -r m p body want <<<"$case"
	before=$(snap)
	if [ "$body" = - ]; then code=$(req "$m" "$p" "${A[@]}"); else
		code=$(req "$m" "$p" "${A[@]}" "${H[@]}" -d "$body"); fi
	[ "$code" = "$want" ] || fail "$case: got $code $(cat "$dir/body")"
	grep -q '"code"' "$dir/body" || fail "$case: no problem body"
	[ "$(snap)" = "$before" ] || fail "$case changed the database"
done
code=$(req POST /api/v1/admin/reset "${A[@]}" -H "Content-Type: text/plain" -d '{"force":true}')
[ "$code" = 415 ] || fail "reset with text/plain: $code"
ok "bad input to the admin API: one problem, nothing changed"

# Tokens: a revoked one and an expired one stop working at once.
code=$(req GET /api/v1/me -H "Authorization: Bearer $short")
[ "$code" = 401 ] && grep -q "revoked or has expired" "$dir/body" || fail "revoked token: $code $(cat "$dir/body")"
code=$(req POST /api/v1/admin/tokens "${A[@]}" "${H[@]}" -d '{"role":"viewer","name":"soon","expires_in_hours":1}')
[ "$code" = 201 ] || fail "create soon"
soon=$(json_field token); soon_id=$(json_field id)
[ "$(req GET /api/v1/me -H "Authorization: Bearer $soon")" = 200 ] || fail "fresh token refused"
sql "UPDATE tokens SET expires_at = 1 WHERE id = $soon_id" || fail "expire"
code=$(req GET /api/v1/me -H "Authorization: Bearer $soon")
[ "$code" = 401 ] || fail "expired token accepted: $code"
q token list | grep -E "^$soon_id +soon +viewer +expired" >/dev/null || fail "token list: $(q token list)"
q token list | grep -E "^$short_id +short +viewer +revoked" >/dev/null || fail "token list revoked"
cli_tok=$(q token create --role viewer --name clitok --expires 2h) || fail "cli --expires"
cli_id=${cli_tok#sq_}; cli_id=${cli_id%%_*}
[ "$(req GET /api/v1/me -H "Authorization: Bearer $cli_tok")" = 200 ] || fail "cli token refused"
q token revoke "$cli_id" >/dev/null || fail "cli revoke"
[ "$(req GET /api/v1/me -H "Authorization: Bearer $cli_tok")" = 401 ] || fail "revoked cli token accepted"
req GET /api/v1/admin/tokens "${A[@]}" >/dev/null
grep -q '"state":"expired"' "$dir/body" && grep -q '"state":"revoked"' "$dir/body" || fail "token states: $(cat "$dir/body")"
grep -q '"hash"' "$dir/body" && fail "token list shows a hash"
grep -Eq "\"created_at\":$RFC" "$dir/body" && grep -Eq "\"revoked_at\":$RFC" "$dir/body" \
	&& ! grep -Eq '"(created|expires|revoked)_at":[0-9]' "$dir/body" || fail "token times: $(cat "$dir/body")"
ok "a revoked or expired token is refused at once; token list shows each state; admin times are RFC 3339"

# The audit trail names the token of each action.
O=(-H "Authorization: Bearer $oper")
code=$(req POST /api/v1/scans "${O[@]}" "${H[@]}" -d '{"type":"test-sleep","targets":["127.0.0.1"],"options":{"seconds":300}}')
[ "$code" = 202 ] || fail "submit: $code"
sid=$(json_field id)
[ "$(req POST "/api/v1/scans/$sid/cancel" "${O[@]}")" = 202 ] || fail "cancel"
wait_for 20 "the cancel" is_status "$sid" cancelled
[ "$(req POST "/api/v1/scans/$sid/retry" "${O[@]}")" = 202 ] || fail "retry"
[ "$(req POST /api/v1/admin/stuck/clear "${A[@]}" "${H[@]}" -d '{}')" = 200 ] || fail "clear"
[ "$(req POST /api/v1/admin/prune "${A[@]}" "${H[@]}" -d '{"days_to_keep":0}')" = 200 ] || fail "prune"
req GET "/api/v1/admin/audit?limit=100" "${A[@]}" >/dev/null
for want in "token:ops\",\"action\":\"submit" "token:ops\",\"action\":\"cancel" \
	"token:ops\",\"action\":\"retry" "token:boss\",\"action\":\"reset" \
	"token:boss\",\"action\":\"prune" "token:boss\",\"action\":\"token revoke" \
	"token:boss\",\"action\":\"token create"; do
	grep -q "\"actor\":\"$want\"" "$dir/body" || fail "audit lacks $want: $(cat "$dir/body")"
done
q retry "$broken" >/dev/null 2>&1
q cancel "$sid" >/dev/null 2>&1
q audit --json | grep -q '"actor": "cli:' || fail "cli actions not audited as cli:USER"
ok "every operator action is in the audit trail with its actor"

# The UI's stuck report panel: admin.js is served and the page loads it.
[ "$(req GET /static/admin.js)" = 200 ] && grep -q "/api/v1/admin/stuck" "$dir/body" \
	|| fail "the UI's stuck panel script is not served"
[ "$(req GET /)" = 200 ] && grep -q 'src="/static/admin.js"' "$dir/body" && grep -q 'id="stuck"' "$dir/body" \
	|| fail "the UI page has no stuck panel"
ok "the web UI shows the stuck report (admin.js)"
