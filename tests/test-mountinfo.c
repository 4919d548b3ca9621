/* test-mountinfo — common/mountinfo.c's parser on lines as the kernel
 * writes them (proc(5)): optional fields, octal escapes, an empty source,
 * anonymous device numbers, and lines it must skip. */
#include "config.h"
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "common/mountinfo.h"

struct seen {
	struct mountinfo m[8];
	int n, stop_after;
};

static bool keep(const struct mountinfo *m, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->m[s->n++] = *m;
	return s->n != s->stop_after;
}

static struct seen *parse(const char *text, int stop_after)
{
	struct seen *s = calloc(1, sizeof(*s));
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(f);
	s->stop_after = stop_after;
	mountinfo_each_file(f, keep, s);
	fclose(f);
	return s;
}

START_TEST(fields)
{
	struct seen *s = parse(
		"36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n"
		"40 1 0:42 /sv1 /mnt/with\\040space\\011tab rw,relatime shared:5 master:2 - btrfs /dev/loop0 rw\n"
		"41 1 0:50 / /x rw - tmpfs  rw,size=10k\n"
		"42 1 7:3 / /back\\134slash rw - xfs /dev/loop3 rw\n", 0);

	ck_assert_int_eq(s->n, 4);
	ck_assert_int_eq(s->m[0].id, 36);
	ck_assert(s->m[0].dev == makedev(98, 0));
	ck_assert_str_eq(s->m[0].root, "/mnt1");
	ck_assert_str_eq(s->m[0].point, "/mnt/parent");
	ck_assert_str_eq(s->m[0].fstype, "ext3");
	ck_assert_str_eq(s->m[0].source, "/dev/root");
	/* several optional fields; escapes undone */
	ck_assert(s->m[1].dev == makedev(0, 42));
	ck_assert_str_eq(s->m[1].root, "/sv1");
	ck_assert_str_eq(s->m[1].point, "/mnt/with space\ttab");
	ck_assert_str_eq(s->m[1].fstype, "btrfs");
	ck_assert_str_eq(s->m[1].source, "/dev/loop0");
	/* an empty source is empty, not the options */
	ck_assert_str_eq(s->m[2].fstype, "tmpfs");
	ck_assert_str_eq(s->m[2].source, "");
	ck_assert_str_eq(s->m[3].point, "/back\\slash");
	free(s);
}
END_TEST

START_TEST(skipped)
{
	/* no separator, a bad device field, a missing mount point, an
	 * overlong field: skipped, the good line after them read */
	static char text[3 * PATH_MAX];
	struct seen *s;
	size_t n;

	n = (size_t)snprintf(text, sizeof(text),
			     "1 2 3:4 / /a rw ext4 /dev/x rw\n"
			     "1 2 x:y / /b rw - ext4 /dev/x rw\n"
			     "1 2 3:4 /\n"
			     "1 2 3:4 / /");
	memset(text + n, 'p', PATH_MAX + 10);
	n += PATH_MAX + 10;
	snprintf(text + n, sizeof(text) - n, " rw - ext4 /dev/x rw\n"
		 "7 1 8:1 / /ok rw - ext4 /dev/sda1 rw\n");
	s = parse(text, 0);
	ck_assert_int_eq(s->n, 1);
	ck_assert_str_eq(s->m[0].point, "/ok");
	free(s);
}
END_TEST

START_TEST(stops)
{
	struct seen *s = parse("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n"
			       "2 1 8:2 / /b rw - ext4 /dev/sda2 rw\n"
			       "3 1 8:3 / /c rw - ext4 /dev/sda3 rw\n", 2);

	ck_assert_int_eq(s->n, 2);
	ck_assert_str_eq(s->m[1].point, "/b");
	free(s);
}
END_TEST

START_TEST(anonymous)
{
	/* a source that is no /dev/ node is no block device; a filesystem
	 * with a real device number is on that device alone */
	struct mountinfo m = { .dev = makedev(0, 42) };

	strcpy(m.source, "server:/export");
	ck_assert(mountinfo_source_rdev(&m) == 0);
	ck_assert(!mountinfo_on_bdev(&m, makedev(7, 0)));
	m.dev = makedev(7, 0);
	ck_assert(mountinfo_on_bdev(&m, makedev(7, 0)));
	ck_assert(!mountinfo_on_bdev(&m, 0));
}
END_TEST

START_TEST(live)
{
	/* this process's own namespace has a root mount, and / is held by it */
	struct mountinfo *m = malloc(sizeof(*m));

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(mountinfo_holding("/", m), 0);
	ck_assert_str_eq(m->point, "/");
	ck_assert_int_eq(mountinfo_at("/", m), 0);
	ck_assert_int_eq(mountinfo_holding("relative", m), -EINVAL);
	ck_assert_int_eq(mountinfo_at("/no/such/mount/point", m), -ENOENT);
	free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mountinfo");
	TCase *t = tcase_create("parse");
	SRunner *r;
	int failed;

	tcase_add_test(t, fields);
	tcase_add_test(t, skipped);
	tcase_add_test(t, stops);
	tcase_add_test(t, anonymous);
	tcase_add_test(t, live);
	suite_add_tcase(s, t);
	r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
