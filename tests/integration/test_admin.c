/* SPDX-License-Identifier: MIT */
/* Integration tests of [admin]: /metrics, /status and SIGUSR1. */
#include "auto-config.h"

#include <check.h>

#include "harness.h"
#include "suites.h"

Suite *
admin_suite(void)
{
	Suite *s = suite_create("admin");

	return s;
}
