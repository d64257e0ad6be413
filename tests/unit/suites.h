/* SPDX-License-Identifier: MIT */
/* The unit suites, one per module of src/. */
#ifndef PORTY_TESTS_UNIT_SUITES_H
#define PORTY_TESTS_UNIT_SUITES_H

#include <check.h>

Suite *addr_suite(void);
Suite *admin_suite(void);
Suite *buf_suite(void);
Suite *config_suite(void);
Suite *http_head_suite(void);
Suite *http_proxy_suite(void);
Suite *listener_suite(void);
Suite *log_suite(void);
Suite *metrics_suite(void);
Suite *parse_suite(void);
Suite *privdrop_suite(void);
Suite *relay_suite(void);
Suite *resolve_suite(void);
Suite *router_suite(void);
Suite *sni_suite(void);
Suite *tls_suite(void);
Suite *toml_suite(void);

#endif
