# wait.bash — the one rule for waiting, shared by lib.sh and fault_lib.bash
# (sourced; each library defines its own fail, which wait_for calls).
#
# wait_for SECONDS DESCRIPTION COMMAND... runs COMMAND every $WAIT_POLL
# seconds (default 0.1) until it succeeds; if it has not after SECONDS, the
# test fails with "timed out after SECONDS s waiting for: DESCRIPTION".

now_ms() { date +%s%3N; }

wait_for() {
	local secs=$1 what=$2 end
	shift 2
	end=$(( $(now_ms) + secs * 1000 ))
	until "$@" >/dev/null 2>&1; do
		[ "$(now_ms)" -lt "$end" ] || fail "timed out after ${secs}s waiting for: $what"
		sleep "${WAIT_POLL:-0.1}"
	done
}
