#!/bin/bash
# backends: own (no database involved)
# What the build generates from scanq's own tables: the man pages render
# with `man -l` without a warning, scanq(1) names every subcommand that
# `scanq help` lists and each has its page with every option of its
# --help; the bash completion offers every subcommand, each command's
# options, the scan types and the profiles of the settings file; the
# commented settings file loads with every line uncommented.  Bad
# arguments to the generators: one line, exit 1 or 2.
source "$(dirname "$0")/lib.sh"

cmds=$("$SCANQ" help | sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p')
[ "$(echo "$cmds" | wc -l)" -ge 10 ] || fail "scanq help lists only: $cmds"

# -- man pages
mkdir "$T/man"
"$SCANQ" __man "$T/man" || fail "__man"
render() { MANWIDTH=100 LC_ALL=C.UTF-8 man --warnings -l "$1" 2>"$T/man.err" | col -b; }
for page in "$T"/man/*.1; do
	render "$page" >"$T/page.txt" || fail "man -l $page"
	[ -s "$T/man.err" ] && { cat "$T/man.err"; fail "warnings rendering $(basename "$page")"; }
	[ -s "$T/page.txt" ] || fail "$(basename "$page") renders empty"
done
render "$T/man/scanq.1" >"$T/scanq.txt"
for c in $cmds; do
	grep -q "scanq $c\$" "$T/scanq.txt" || fail "scanq(1) does not name $c"
	grep -q "scanq-$c(1)" "$T/scanq.txt" || fail "scanq(1) does not refer to scanq-$c(1)"
	[ -f "$T/man/scanq-$c.1" ] || fail "no page scanq-$c.1"
	render "$T/man/scanq-$c.1" >"$T/c.txt"
	grep -q "^NAME" "$T/c.txt" && grep -q "^SYNOPSIS" "$T/c.txt" || fail "scanq-$c(1) lacks NAME/SYNOPSIS"
	for opt in $("$SCANQ" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -q -- "$opt" "$T/c.txt" || fail "scanq-$c(1) lacks $opt"
	done
done
[ "$(ls "$T"/man/*.1 | wc -l)" = $(( $(echo "$cmds" | wc -l) + 1 )) ] || fail "pages: $(ls "$T/man")"
ok "man pages: scanq(1) and $(echo "$cmds" | wc -l) command pages render, name every command and option"

# -- bash completion
"$SCANQ" __completion >"$T/completion.bash" || fail "__completion"
bash -n "$T/completion.bash" || fail "completion script: syntax"
cat >"$T/extra.ini" <<'INI'
[profile.mytool]
argv = mytool {targets}
parser = lines
INI
complete_() {	# words... (the last is the one being completed)
	SCANQ_BIN=$SCANQ bash -c 'source "$1"; shift; COMP_WORDS=("$SCANQ_BIN" "$@")
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _scanq; echo " ${COMPREPLY[*]} "' _ "$T/completion.bash" "$@"
}
out=$(complete_ "")
for c in $cmds; do [[ $out == *" $c "* ]] || fail "completion lacks $c: $out"; done
[[ $(complete_ "wor") == " worker workers " ]] || fail "prefix: $(complete_ wor)"
for c in $cmds; do
	out=$(complete_ "$c" "--")
	for opt in $("$SCANQ" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		[[ $out == *" $opt "* ]] || fail "completion of $c lacks $opt: $out"
	done
done
out=$(complete_ submit "")
[[ $out == *" portscan "* && $out == *" discovery "* && $out == *" nmap "* ]] || fail "types: $out"
[[ $out == *" test-"* ]] && fail "test types offered: $out"
out=$(complete_ --config "$T/extra.ini" submit "")
[[ $out == *" mytool "* ]] || fail "a configured profile is not offered: $out"
[[ $(complete_ list --status "") == " pending running completed failed cancelled " ]] || fail "statuses"
[[ $(complete_ token create --role "") == " viewer operator admin " ]] || fail "roles"
[[ $(complete_ queue "") == " status " ]] || fail "queue status"
[[ $(complete_ submit portscan --ports 80 --j) == " --json " ]] || fail "an option after a value"
ok "completion: every command, every option, types, profiles, statuses, roles"

# -- the commented settings file
"$SCANQ" __config >"$T/scanq.conf" || fail "__config"
[ "$(grep -c '^# [a-z_]* = ' "$T/scanq.conf")" -ge 25 ] || fail "too few settings in __config"
"$SCANQ" --config "$T/scanq.conf" __config | cmp -s - "$T/scanq.conf" || fail "__config depends on the loaded settings"
sed 's/^# //' "$T/scanq.conf" >"$T/uncommented.conf"
"$SCANQ" --config "$T/uncommented.conf" --db "$DB" migrate >/dev/null || fail "the uncommented defaults do not load"
ok "__config lists every default and loads uncommented"

# -- bad arguments
out=$("$SCANQ" __man "$T/no/such/dir" 2>&1) && fail "__man into a missing folder succeeded"
[ "$(echo "$out" | wc -l)" = 1 ] || fail "not one line: $out"
"$SCANQ" __complete nothing >/dev/null 2>&1; [ $? = 2 ] || fail "__complete nothing: not a usage error"
"$SCANQ" __nothing >/dev/null 2>&1; [ $? = 2 ] || fail "__nothing: not a usage error"
"$SCANQ" help | grep -q '__' && fail "scanq help shows the hidden generators"
ok "bad arguments: one line, exit 1 or 2; help hides the generators"
echo PASS
