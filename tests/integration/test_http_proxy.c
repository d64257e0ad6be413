/* SPDX-License-Identifier: MIT */
#include "auto-config.h"

#include <check.h>

#include "suites.h"

Suite *
http_proxy_suite(void)
{
	return suite_create("http_proxy");
}
