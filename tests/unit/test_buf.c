/* SPDX-License-Identifier: MIT */
#include "auto-config.h"

#include <check.h>

#include "suites.h"

Suite *
buf_suite(void)
{
	return suite_create("buf");
}
