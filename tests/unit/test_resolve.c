/* SPDX-License-Identifier: MIT */
#include "auto-config.h"

#include <check.h>

#include "suites.h"

Suite *
resolve_suite(void)
{
	return suite_create("resolve");
}
