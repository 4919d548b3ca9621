#!/bin/sh
# tests/run-test.sh — LOG_COMPILER of the test programs that are not shell
# scripts (the Check unit tests).  Runs the program as it is, or, when
# VSS_VALGRIND is set (make check-valgrind), under valgrind through libtool
# so that valgrind sees the real binary in .libs/ rather than the libtool
# wrapper script, with CK_FORK=no so that the test bodies run in the
# process valgrind watches.  A valgrind error (a definite leak included)
# makes the program exit 99, which the test harness counts as a hard error.
# COW_NO_URING=1: the COW engine does its I/O with pread/pwrite, since
# valgrind cannot see what the kernel writes through an io_uring.
if [ -n "${VSS_VALGRIND:-}" ]; then
	CK_FORK=no
	COW_NO_URING=1
	COW_UNDER_VALGRIND=1	# tests/cow-testlib.c: already under valgrind
	export CK_FORK COW_NO_URING COW_UNDER_VALGRIND
	exec "${top_builddir:-.}/libtool" --mode=execute valgrind -q --vgdb=no --error-exitcode=99 \
		--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite "$@"
fi
exec "$@"
