#!/bin/bash
# scan_cli.sh — `scanq scan` as an operator uses it: portscan finds a real
# loopback listener with its banner, discovery sees loopback up, bad and
# out-of-scope targets are refused before anything is sent, tool profiles
# run nmap without a shell and a missing tool says which one.
source "$(dirname "$0")/lib.sh"
cd "$dir" || exit 1
export SCANQ_CONFIG=/dev/null

listen_banner "$dir/port" "HELLO-scanq-it"
P=$(cat "$dir/port"); C=$(closed_port)

out=$("$S" scan portscan 127.0.0.1 --ports "$P,$C" --json --options '{"banner":true}') \
	|| fail "portscan failed: $out"
echo "$out" | grep -q "\"finding\":{\"kind\":\"open_port\",\"target\":\"127.0.0.1\",\"port\":$P," \
	|| fail "open port $P not reported: $out"
echo "$out" | grep -q '"banner":"HELLO-scanq-it"' || fail "banner missing: $out"
echo "$out" | grep -q '"summary":{.*"open":1,"closed":1,' || fail "summary wrong: $out"
[ "$(echo "$out" | grep -c '"finding"')" = 1 ] || fail "closed port reported as a finding"
ok "portscan reports the open port, its banner and the closed one"

out=$("$S" scan portscan --ports "$P" 127.0.0.1) || fail "human output failed"
echo "$out" | grep -q "open_port  127.0.0.1 *$P/tcp" || fail "human output lacks the port: $out"
ok "portscan prints findings for a person without --json"

out=$("$S" scan discovery localhost --json --options '{"resolve_ms":2000}') || fail "discovery failed: $out"
echo "$out" | grep -q '"kind":"host","target":"localhost"' || fail "localhost not up: $out"
ok "discovery resolves localhost and finds it up"

check_refused() { # code target...
	local code=$1; shift
	out=$("$S" scan portscan --json --ports "$P" -- "$@" 2>"$dir/err"); rc=$?
	[ "$rc" = 1 ] || fail "'$*' exit $rc, expected 1"
	echo "$out" | grep -q "\"error\":{\"code\":\"$code\"" || fail "'$*': no $code error: $out"
	echo "$out" | grep -q '"finding"' && fail "'$*' produced findings"
	grep -q "error: " "$dir/err" || fail "'$*': no error line on stderr"
}
check_refused out_of_scope 10.0.0.1
check_refused out_of_scope 127.0.0.1 192.0.2.0/30
check_refused out_of_scope example.com
check_refused invalid_target ";touch $dir/injected"
check_refused invalid_target "--script=http-title"
check_refused invalid_target '$(touch injected)'
check_refused too_many_targets 127.0.0.0/8
check_refused no_targets
[ -e "$dir/injected" ] || [ -e injected ] && fail "an injected command ran"
grep -q "'10.0.0.1'" <("$S" scan portscan 10.0.0.1 2>&1) || fail "the refused target is not named"
ok "out-of-scope, malformed, injected and oversized targets are refused by name"

printf '[scope]\nallow = ::1\n' > "$dir/v6only.ini"
# Follow the facts: when every target is skipped, nothing was scanned, and
# every type says so the same way: failed with no_targets, after the
# skipped findings that say why.
for type in portscan discovery tls http vuln; do
	out=$("$S" scan "$type" localhost --config "$dir/v6only.ini" --ports "$P" --json \
		--options '{"resolve_ms":2000}'); rc=$?
	[ "$rc" = 1 ] || fail "$type: an out-of-scope-only scan exited $rc: $out"
	echo "$out" | grep -q '"kind":"skipped","target":"localhost".*"address":"127.0.0.1"' \
		|| fail "$type: localhost -> 127.0.0.1 not skipped: $out"
	echo "$out" | grep -q '"error":{"code":"no_targets","message":"nothing to scan: every target was skipped' \
		|| fail "$type: no no_targets error: $out"
	echo "$out" | grep -q '"open_port"\|"summary"' && fail "$type: an address out of scope was scanned: $out"
done
ok "an out-of-scope-only scan fails with no_targets for portscan, discovery, tls, http and vuln alike"

printf '[worker]\nleese = 3\n' > "$dir/bad.ini"
"$S" scan portscan 127.0.0.1 --config "$dir/bad.ini" 2>"$dir/err" && fail "bad config accepted"
grep -q "bad.ini:2: unknown key 'leese'" "$dir/err" || fail "config error lacks file:line: $(cat "$dir/err")"
ok "a bad configuration is refused with file and line"

out=$(PATH=/nonexistent "$S" scan nuclei 127.0.0.1 --json 2>/dev/null); rc=$?
[ "$rc" = 1 ] || fail "nuclei without nuclei exit $rc"
echo "$out" | grep -q '"code":"tool_missing","message":"[^"]*'"'"'nuclei'"'"'' || fail "tool_missing lacks the tool: $out"
ok "a profile whose tool is missing fails with tool_missing naming it"

if command -v nmap >/dev/null; then
	printf '[profile.nmap]\nargv = nmap -sT -Pn -n -oX - -p {ports} {targets}\nparser = nmap-xml\n' > "$dir/nmap.ini"
	out=$("$S" scan nmap 127.0.0.1 --config "$dir/nmap.ini" --ports "$P,$C" --json) || fail "nmap profile failed: $out"
	echo "$out" | grep -q "\"kind\":\"open_port\",\"target\":\"127.0.0.1\",\"port\":$P," \
		|| fail "nmap did not report $P: $out"
	[ "$(echo "$out" | grep -c '"finding"')" = 1 ] || fail "nmap reported more than the open port"
	ok "the nmap profile finds the open port"
else
	echo "skip - nmap is not installed"
fi
