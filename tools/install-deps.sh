#!/bin/sh
# Install the Debian packages named as arguments that are not installed yet.
# Runs apt-get only when something is missing, so a ready machine pays nothing.
# A package whose command is already on PATH counts as present (a machine
# whose nodejs package ships its own npm must not get Debian's npm on top).
set -e
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
	case "$p" in lib*|*-dev|build-essential) ;; *) command -v "$p" >/dev/null 2>&1 && continue ;; esac
	missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "error: missing packages and not root; run: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing
