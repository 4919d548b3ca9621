# tests/requester-lib.sh — helpers of the requester tools' tests, sourced
# after functions.sh (which starts vssd and the test doubles).

# mask: hides what changes from run to run (ids, pids, times, the
# version, the temp dir and the host name).
mask() {
	sed -E -e 's/\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}/{ID}/g' \
	    -e "s|$tmpdir|TMP|g" -e "s/: $(hostname)\$/: HOST/" \
	    -e 's/(Creation Time: |creation time: ).*/\1TIME/' \
	    -e 's/(Process Id: )[0-9]+/\1PID/' -e 's/("pid": )[0-9]+/\1PID/' \
	    -e 's/^(vssadmin|vshadow) [0-9][0-9a-z.]* -/\1 VERSION -/'
}

# check NAME EXPECTED-RC CMD...: CMD's stdout then stderr, masked, must
# equal $tmpdir/NAME.exp, and its exit status EXPECTED-RC.
check() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$tmpdir/$name.out" 2>"$tmpdir/$name.err" || rc=$?
	cat "$tmpdir/$name.err" >>"$tmpdir/$name.out"
	mask <"$tmpdir/$name.out" >"$tmpdir/$name.got"
	diff -u "$tmpdir/$name.exp" "$tmpdir/$name.got" || fail "$name: output differs"
	assert_eq "$name: exit status" "$want" "$rc"
}

# Under make check-valgrind (VSS_VALGRIND set) the tools run in valgrind:
# any error or leak makes them exit 99, which fails the test.
if [ -n "${VSS_VALGRIND:-}" ]; then
	vg_tool() {
		"$top_builddir/libtool" --mode=execute valgrind -q --error-exitcode=99 \
			--leak-check=full --errors-for-leak-kinds=definite,indirect,possible "$@"
	}
	vshadow() { vg_tool "$top_builddir/vshadow" "$@"; }
	vssadmin() { vg_tool "$top_builddir/vssadmin" "$@"; }
fi
