#!/bin/sh
# scripts/setup.sh — make a fresh Debian 12 machine (as root) ready to build
# openvss, then bootstrap, configure and build it.  Idempotent: installs only
# what is missing, reconfigures only when needed.
#   scripts/setup.sh [--werror] [configure options...]
set -eu
cd "$(dirname "$0")/.."

PKGS="build-essential autoconf automake libtool pkg-config check liburing-dev \
libxml2-dev libxml2-utils uuid-dev libfuse3-dev fuse3 libjson-c-dev jq \
e2fsprogs xfsprogs btrfs-progs util-linux procps fio sqlite3 valgrind clang"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "setup: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
fi

confargs=""
for a in "$@"; do
	case "$a" in
	--werror) confargs="$confargs --enable-werror" ;;
	*) confargs="$confargs $a" ;;
	esac
done

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	./autogen.sh
fi
if [ ! -f Makefile ] || [ "$(cat .setup-args 2>/dev/null)" != "$confargs" ] ||
   [ configure -nt Makefile ]; then
	# shellcheck disable=SC2086
	./configure --prefix=/usr/local --sysconfdir=/etc --localstatedir=/var \
		--runstatedir=/run $confargs
	echo "$confargs" > .setup-args
fi
make -j"$(nproc)"
