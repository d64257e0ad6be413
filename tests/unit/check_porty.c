/* SPDX-License-Identifier: MIT */
/* The unit-test runner: every module's suite; CK_RUN_SUITE=NAME runs one. */
#include "auto-config.h"

#include <check.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	int failed;

	srunner_add_suite(sr, admin_suite());
	srunner_add_suite(sr, buf_suite());
	srunner_add_suite(sr, config_suite());
	srunner_add_suite(sr, http_head_suite());
	srunner_add_suite(sr, http_proxy_suite());
	srunner_add_suite(sr, listener_suite());
	srunner_add_suite(sr, log_suite());
	srunner_add_suite(sr, metrics_suite());
	srunner_add_suite(sr, parse_suite());
	srunner_add_suite(sr, privdrop_suite());
	srunner_add_suite(sr, relay_suite());
	srunner_add_suite(sr, resolve_suite());
	srunner_add_suite(sr, router_suite());
	srunner_add_suite(sr, sni_suite());
	srunner_add_suite(sr, tls_suite());
	srunner_add_suite(sr, toml_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
