/* SPDX-License-Identifier: MIT */
/* The integration-test runner; CK_RUN_SUITE=NAME runs one suite. */
#include "auto-config.h"

#include <check.h>
#include <signal.h>
#include <stdlib.h>

#include "harness.h"
#include "suites.h"

int
main(void)
{
	SRunner *sr = srunner_create(cli_suite());
	int failed;

	/* A peer that closes early must fail an assertion, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	harness_init();
	srunner_add_suite(sr, tcp_forward_suite());
	srunner_add_suite(sr, http_proxy_suite());
	srunner_add_suite(sr, tls_suite());
	srunner_add_suite(sr, admin_suite());
	srunner_add_suite(sr, reload_suite());
	srunner_add_suite(sr, workers_suite());
	/* CK_VERBOSITY=verbose lists every test. */
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
