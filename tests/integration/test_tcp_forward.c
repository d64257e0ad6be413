/* SPDX-License-Identifier: MIT */
#include "auto-config.h"

#include <check.h>

#include "suites.h"

Suite *
tcp_forward_suite(void)
{
	return suite_create("tcp_forward");
}
