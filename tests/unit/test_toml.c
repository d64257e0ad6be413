/* SPDX-License-Identifier: MIT */
#include "auto-config.h"

#include <check.h>

#include "suites.h"

Suite *
toml_suite(void)
{
	return suite_create("toml");
}
