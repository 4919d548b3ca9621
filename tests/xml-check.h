/* xml-check.h — the runner shared by the Check programs of the XML part
 * (and test-cowd-record). */
#ifndef VSS_TESTS_XML_CHECK_H
#define VSS_TESTS_XML_CHECK_H

#include <check.h>

static inline int run_tests(const char *name, const TTest *const *tests,
			    size_t n)
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create(name);
	SRunner *sr;
	int failed;
	size_t i;

	tcase_set_timeout(tc, 60);
	for (i = 0; i < n; i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#define RUN_TESTS(name, ...) do { \
		const TTest *const _t[] = { __VA_ARGS__ }; \
		return run_tests(name, _t, sizeof(_t) / sizeof(_t[0])); \
	} while (0)

#endif
