/* SPDX-License-Identifier: MIT */
/* The integration suites: each drives the real $PORTY_BIN over loopback. */
#ifndef PORTY_TESTS_INTEGRATION_SUITES_H
#define PORTY_TESTS_INTEGRATION_SUITES_H

#include <check.h>

Suite *admin_suite(void);
Suite *cli_suite(void);
Suite *http_proxy_suite(void);
Suite *reload_suite(void);
Suite *tcp_forward_suite(void);
Suite *tls_suite(void);
Suite *workers_suite(void);

#endif
