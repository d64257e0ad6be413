/* SPDX-License-Identifier: MIT */
/* The privdrop suite: resolving user and group before binding. */
#include "auto-config.h"

#include <check.h>
#include <string.h>

#include "privdrop.h"
#include "suites.h"

/* A user name gives its uid, its primary group and its name. */
START_TEST(test_privdrop_lookup_name)
{
	struct privdrop pd;
	char err[256];

	ck_assert_int_eq(privdrop_lookup("root", NULL, &pd, err, sizeof(err)),
			 0);
	ck_assert(pd.set_user && pd.set_group);
	ck_assert_uint_eq(pd.uid, 0);
	ck_assert_uint_eq(pd.gid, 0);
	ck_assert_str_eq(pd.name, "root");
	ck_assert(privdrop_wanted(&pd));
}
END_TEST

/* Numeric ids work; group overrides the user's primary group. */
START_TEST(test_privdrop_lookup_ids)
{
	struct privdrop pd;
	char err[256];

	ck_assert_int_eq(privdrop_lookup("0", "65534", &pd, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(pd.uid, 0);
	ck_assert_uint_eq(pd.gid, 65534);
	/* An id without a passwd entry needs the group too. */
	ck_assert_int_eq(
	    privdrop_lookup("4242424", NULL, &pd, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "set group too"));
	ck_assert_int_eq(
	    privdrop_lookup("4242424", "4242424", &pd, err, sizeof(err)), 0);
	ck_assert_uint_eq(pd.uid, 4242424);
	ck_assert_uint_eq(pd.gid, 4242424);
	ck_assert_str_eq(pd.name, "");
}
END_TEST

/* Unknown names are errors that name them. */
START_TEST(test_privdrop_lookup_unknown)
{
	struct privdrop pd;
	char err[256];

	ck_assert_int_eq(
	    privdrop_lookup("no-such-user-xq", NULL, &pd, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "user \"no-such-user-xq\""));
	ck_assert_int_eq(
	    privdrop_lookup(NULL, "no-such-group-xq", &pd, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "group \"no-such-group-xq\""));
}
END_TEST

/* Neither key: nothing wanted, and applying it changes nothing. */
START_TEST(test_privdrop_nothing)
{
	struct privdrop pd;
	char err[256];

	ck_assert_int_eq(privdrop_lookup(NULL, NULL, &pd, err, sizeof(err)), 0);
	ck_assert(!privdrop_wanted(&pd));
	ck_assert_int_eq(privdrop_apply(&pd, err, sizeof(err)), 0);
}
END_TEST

Suite *
privdrop_suite(void)
{
	Suite *s = suite_create("privdrop");
	TCase *tc = tcase_create("lookup");

	tcase_add_test(tc, test_privdrop_lookup_name);
	tcase_add_test(tc, test_privdrop_lookup_ids);
	tcase_add_test(tc, test_privdrop_lookup_unknown);
	tcase_add_test(tc, test_privdrop_nothing);
	suite_add_tcase(s, tc);
	return s;
}
