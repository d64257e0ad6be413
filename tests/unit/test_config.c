/* SPDX-License-Identifier: MIT */
/* Unit tests of config.c (and the generate-config text): schema, inheritance, every validation rule. */
#include "auto-config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "genconfig.h"
#include "suites.h"

static struct config *
load(const char *text, const struct config_overrides *ov,
    struct config_errors *errs)
{
	return config_load_string(text, strlen(text), "t.toml", ov, errs);
}

/* Load TEXT, which must be valid. */
static struct config *
load_ok(const char *text)
{
	struct config_errors errs = {NULL, 0};
	struct config *cfg = load(text, NULL, &errs);

	if (cfg == NULL)
		ck_abort_msg("unexpected error: %s",
		    errs.n > 0 ? errs.msg[0] : "(none)");
	ck_assert_uint_eq(errs.n, 0);
	return cfg;
}

static const char tcp_route[] = "[[routes]]\n"
				"name = \"a\"\n"
				"listen_port = 8000\n"
				"target_addr = \"127.0.0.1\"\n"
				"target_port = 9000\n";

/* Defaults of SPEC §2 apply to a minimal route. */
START_TEST(test_config_defaults)
{
	struct config *cfg = load_ok(tcp_route);
	const struct route *r;

	ck_assert_uint_eq(cfg->nroutes, 1);
	r = &cfg->routes[0];
	ck_assert_str_eq(r->name, "a");
	ck_assert(r->enabled);
	ck_assert_int_eq(r->mode, ROUTE_MODE_TCP);
	ck_assert_str_eq(r->listen_addr, "0.0.0.0");
	ck_assert_str_eq(r->target_addr, "127.0.0.1");
	ck_assert_uint_eq(r->max_connections, 100);
	ck_assert_uint_eq(r->buffer_size_kb, 8);
	ck_assert_uint_eq(r->timeout_s, 30);
	ck_assert_uint_eq(r->connect_timeout_ms, 5000);
	ck_assert_uint_eq(r->idle_timeout_s, 300);
	ck_assert_uint_eq(r->max_retries, 2);
	ck_assert_int_eq(r->log_level, LOG_LEVEL_BASIC);
	ck_assert(r->dynamic);
	ck_assert_uint_eq(r->dynamic_allow.n, 1);
	ck_assert_str_eq(r->dynamic_allow.v[0], "*");
	ck_assert(!r->preserve_host);
	ck_assert(r->forwarded_headers);
	ck_assert(cfg->log_requests);
	ck_assert_int_eq(cfg->log_format, LOG_FORMAT_PORTY);
	ck_assert_uint_eq(cfg->max_connections_total, 10000);
	ck_assert_uint_eq(cfg->header_timeout_s, 10);
	ck_assert_uint_eq(cfg->shutdown_timeout_s, 10);
	ck_assert_uint_eq(cfg->workers, 1);
	ck_assert_ptr_null(cfg->user);
	ck_assert_ptr_null(cfg->group);
	config_free(cfg);
}
END_TEST

/* user, group and workers (a count, or "auto" as 0) are read. */
START_TEST(test_config_service_keys)
{
	struct config *cfg;

	cfg = load_ok("user = \"nobody\"\ngroup = \"nogroup\"\nworkers = 4\n"
		      "[[routes]]\nname = \"a\"\nlisten_port = 8000\n"
		      "target_addr = \"127.0.0.1\"\ntarget_port = 9000\n");
	ck_assert_str_eq(cfg->user, "nobody");
	ck_assert_str_eq(cfg->group, "nogroup");
	ck_assert_uint_eq(cfg->workers, 4);
	config_free(cfg);
	cfg = load_ok("workers = \"auto\"\n"
		      "[[routes]]\nname = \"a\"\nlisten_port = 8000\n"
		      "target_addr = \"127.0.0.1\"\ntarget_port = 9000\n");
	ck_assert_uint_eq(cfg->workers, 0);
	config_free(cfg);
}
END_TEST

/* Routes inherit top-level defaults and may override them. */
START_TEST(test_config_inherit)
{
	struct config *cfg = load_ok("max_connections = 7\n"
				     "buffer_size_kb = 32\n"
				     "log_level = \"verbose\"\n"
				     "listen_addr = \"127.0.0.1\"\n"
				     "[[routes]]\n"
				     "name = \"a\"\n"
				     "listen_port = 8000\n"
				     "target_addr = \"127.0.0.1\"\n"
				     "target_port = 9000\n"
				     "[[routes]]\n"
				     "name = \"b\"\n"
				     "listen_port = 8001\n"
				     "target_addr = \"::1\"\n"
				     "target_port = 9001\n"
				     "max_connections = 3\n"
				     "log_level = \"none\"\n");

	ck_assert_uint_eq(cfg->nroutes, 2);
	ck_assert_uint_eq(cfg->routes[0].max_connections, 7);
	ck_assert_uint_eq(cfg->routes[0].buffer_size_kb, 32);
	ck_assert_int_eq(cfg->routes[0].log_level, LOG_LEVEL_VERBOSE);
	ck_assert_str_eq(cfg->routes[0].listen_addr, "127.0.0.1");
	ck_assert_uint_eq(cfg->routes[1].max_connections, 3);
	ck_assert_uint_eq(cfg->routes[1].buffer_size_kb, 32);
	ck_assert_int_eq(cfg->routes[1].log_level, LOG_LEVEL_NONE);
	config_free(cfg);
}
END_TEST

/* Top-level listen_port + target_port make a tcp route "main", first. */
START_TEST(test_config_main_route)
{
	struct config *cfg = load_ok("listen_port = 8080\n"
				     "target_port = 3000\n"
				     "[[routes]]\n"
				     "name = \"other\"\n"
				     "listen_port = 8081\n"
				     "target_addr = \"127.0.0.1\"\n"
				     "target_port = 3001\n");

	ck_assert_uint_eq(cfg->nroutes, 2);
	ck_assert_str_eq(cfg->routes[0].name, "main");
	ck_assert_str_eq(cfg->routes[0].listen_addr, "0.0.0.0");
	ck_assert_uint_eq(cfg->routes[0].listen_port, 8080);
	ck_assert_str_eq(cfg->routes[0].target_addr, "127.0.0.1");
	ck_assert_uint_eq(cfg->routes[0].target_port, 3000);
	ck_assert_str_eq(cfg->routes[1].name, "other");
	config_free(cfg);
}
END_TEST

/* Command-line overrides replace the main route's address and ports. */
START_TEST(test_config_overrides)
{
	struct config_overrides ov = {.listen_addr = "127.0.0.1",
	    .listen_port = 7000,
	    .target_addr = "::1",
	    .target_port = 7001,
	    .verbose = true,
	    .log_format = "json"};
	struct config_errors errs = {NULL, 0};
	struct config *cfg;

	cfg = load("listen_port = 8080\ntarget_port = 3000\n", &ov, &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(cfg->routes[0].listen_addr, "127.0.0.1");
	ck_assert_uint_eq(cfg->routes[0].listen_port, 7000);
	ck_assert_str_eq(cfg->routes[0].target_addr, "::1");
	ck_assert_uint_eq(cfg->routes[0].target_port, 7001);
	ck_assert_int_eq(cfg->routes[0].log_level, LOG_LEVEL_VERBOSE);
	ck_assert_int_eq(cfg->log_format, LOG_FORMAT_JSON);
	config_free(cfg);

	/* Flags alone define the main route. */
	ov = (struct config_overrides){.listen_port = 8080, .target_port = 3000};
	cfg = config_from_overrides(&ov, &errs);
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(cfg->nroutes, 1);
	ck_assert_str_eq(cfg->routes[0].listen_addr, "0.0.0.0");
	ck_assert_str_eq(cfg->routes[0].target_addr, "127.0.0.1");
	config_free(cfg);

	ov = (struct config_overrides){.log_format = "xml"};
	ck_assert_ptr_null(load(tcp_route, &ov, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0], "t.toml:1:1: --log-format: must be "
				      "\"porty\", \"text\" or \"json\", got \"xml\"");
	config_errors_clear(&errs);
}
END_TEST

/* [admin] listen gives the endpoint's host (brackets removed) and port. */
START_TEST(test_config_admin_listen)
{
	struct config *cfg = load_ok(tcp_route);

	ck_assert_ptr_null(cfg->admin_listen);
	config_free(cfg);
	cfg = load_ok("[admin]\nlisten = \"[::1]:9901\"\n[[routes]]\n"
		      "name = \"a\"\nlisten_port = 9901\n"
		      "listen_addr = \"127.0.0.1\"\n"
		      "target_addr = \"127.0.0.1\"\ntarget_port = 9000\n");
	ck_assert_str_eq(cfg->admin_listen, "[::1]:9901");
	ck_assert_str_eq(cfg->admin_addr, "::1");
	ck_assert_uint_eq(cfg->admin_port, 9901);
	config_free(cfg);
	cfg = load_ok("listen_port = 2\ntarget_port = 3\n"
		      "[admin]\nlisten = \"localhost:1\"\n");
	ck_assert_str_eq(cfg->admin_addr, "localhost");
	ck_assert_uint_eq(cfg->admin_port, 1);
	config_free(cfg);
}
END_TEST

/* An http route may omit its target (dynamic only) and carry host lists. */
START_TEST(test_config_http_route)
{
	struct config *cfg = load_ok("[[routes]]\n"
				     "name = \"d\"\n"
				     "mode = \"http\"\n"
				     "listen_port = 9090\n"
				     "target_port = 0\n"
				     "dynamic_allow = [\"10.0.0.0/8\", \"*.internal:8000-8999\", \"*\",\n"
				     "  \"[::1]:80\", \"fe80::/10\", \"api.example.com:443\", \"127.0.0.1\"]\n"
				     "[[routes]]\n"
				     "name = \"v1\"\n"
				     "mode = \"http\"\n"
				     "listen_port = 9091\n"
				     "host = [\"a.example\", \"*.b.example\"]\n"
				     "target_addr = \"127.0.0.1\"\n"
				     "target_port = 3000\n"
				     "[[routes]]\n"
				     "name = \"v2\"\n"
				     "mode = \"http\"\n"
				     "listen_port = 9091\n"
				     "host = \"c.example\"\n"
				     "target_addr = \"127.0.0.1\"\n"
				     "target_port = 3001\n");

	ck_assert_uint_eq(cfg->nroutes, 3);
	ck_assert_int_eq(cfg->routes[0].mode, ROUTE_MODE_HTTP);
	ck_assert_ptr_null(cfg->routes[0].target_addr);
	ck_assert_uint_eq(cfg->routes[0].dynamic_allow.n, 7);
	ck_assert_uint_eq(cfg->routes[1].host.n, 2);
	ck_assert_str_eq(cfg->routes[1].host.v[1], "*.b.example");
	ck_assert_uint_eq(cfg->routes[2].host.n, 1);
	config_free(cfg);
}
END_TEST

static const struct error_case {
	const char *toml;
	const char *want; /* the first error message, exactly */
} error_cases[] = {
	{"listen_prot = 1\n",
	    "t.toml:1:1: listen_prot: unknown key (did you mean \"listen_port\"?)"},
	{"frobnicate = 1\n", "t.toml:1:1: frobnicate: unknown key"},
	{"mode = \"http\"\n",
	    "t.toml:1:1: mode: not a top-level key (it belongs in [[routes]])"},
	{"max_connections = \"many\"\n",
	    "t.toml:1:19: max_connections: expected an integer, got a string"},
	{"max_connections = 0\n",
	    "t.toml:1:19: max_connections: 0 is out of range (1..1000000)"},
	{"buffer_size_kb = -1\n",
	    "t.toml:1:18: buffer_size_kb: -1 is out of range (1..1024)"},
	{"log_requests = 1\n",
	    "t.toml:1:16: log_requests: expected a boolean, got an integer"},
	{"log_format = \"xml\"\n",
	    "t.toml:1:14: log_format: must be \"porty\", \"text\" or \"json\", got \"xml\""},
	{"listen_addr = \"\"\n", "t.toml:1:15: listen_addr: must not be empty"},
	{"workers = 0\n",
	    "t.toml:1:11: workers: 0 is out of range (1..256, or \"auto\")"},
	{"workers = 257\n",
	    "t.toml:1:11: workers: 257 is out of range (1..256, or \"auto\")"},
	{"workers = \"many\"\n",
	    "t.toml:1:11: workers: expected an integer or \"auto\", got a string"},
	{"user = 0\n", "t.toml:1:8: user: expected a string, got an integer"},
	{"group = \"\"\n", "t.toml:1:9: group: must not be empty"},
	{"admin = 3\n",
	    "t.toml:1:9: admin: expected a table ([admin] with listen = \"127.0.0.1:9901\"), got an integer"},
	{"[admin]\nlisten = 9901\n",
	    "t.toml:2:10: admin.listen: expected a string, got an integer"},
	{"[admin]\nlisten = \"9901\"\n",
	    "t.toml:2:10: admin.listen: \"9901\": missing port (expected \"address:port\" or \"[ipv6]:port\")"},
	{"[admin]\nlisten = \"::1:9901\"\n",
	    "t.toml:2:10: admin.listen: \"::1:9901\": an IPv6 address needs brackets, as in [::1]:8080 (expected \"address:port\" or \"[ipv6]:port\")"},
	{"workers = 2\n[admin]\nlisten = \"127.0.0.1:9901\"\n",
	    "t.toml:3:10: admin.listen: not supported yet with workers = N > 1 (the counters are per process; use workers = 1)"},
	{"workers = \"auto\"\n[admin]\nlisten = \"127.0.0.1:9901\"\n",
	    "t.toml:3:10: admin.listen: not supported yet with workers = \"auto\" (the counters are per process; use workers = 1)"},
	{"[admin]\nlisten = \"127.0.0.1:0\"\n",
	    "t.toml:2:10: admin.listen: \"127.0.0.1:0\": port must be 1..65535 (expected \"address:port\" or \"[ipv6]:port\")"},
	{"[admin]\nlistne = \"127.0.0.1:9901\"\n",
	    "t.toml:2:1: admin.listne: unknown key (did you mean \"listen\"?)"},
	{"[admin]\nport = 9901\n",
	    "t.toml:2:1: admin.port: unknown key (the [admin] table has only listen)"},
	{"listen_port = 9901\ntarget_port = 80\n[admin]\nlisten = \"127.0.0.1:9901\"\n",
	    "t.toml:4:10: admin.listen: 127.0.0.1:9901 is already used by route \"main\" (0.0.0.0:9901)"},
	{"listen_port = 8080\n",
	    "t.toml:1:15: listen_port: set without target_port (the main route needs both)"},
	{"", "t.toml:1:1: routes: none defined (set listen_port and target_port, or add [[routes]])"},
	{"routes = 3\n", "t.toml:1:10: routes: expected [[routes]] tables, got an integer"},
	{"[[routes]]\nname = \"a\"\nmode = \"htp\"\n",
	    "t.toml:3:8: routes[0].mode (route \"a\"): must be \"tcp\" or \"http\", got \"htp\""},
	{"[[routes]]\nname = \"a\"\nlisten_port = 70000\n",
	    "t.toml:3:15: routes[0].listen_port (route \"a\"): 70000 is out of range (1..65535)"},
	{"[[routes]]\nname = \"a\"\nlisten_prt = 1\n",
	    "t.toml:3:1: routes[0].listen_prt: unknown key (did you mean \"listen_port\"?)"},
	{"[[routes]]\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\n",
	    "t.toml:1:1: routes[0].name: missing (every route needs a name)"},
	{"[[routes]]\nname = \"a\"\ntarget_addr = \"x\"\ntarget_port = 2\n",
	    "t.toml:1:1: routes[0].listen_port (route \"a\"): missing (required)"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_port = 2\n",
	    "t.toml:1:1: routes[0].target_addr (route \"a\"): missing (required on a tcp route)"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\n",
	    "t.toml:1:1: routes[0].target_port (route \"a\"): missing (required on a tcp route)"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\nhost = \"h\"\n",
	    "t.toml:6:8: routes[0].host (route \"a\"): applies to http routes only (this route has mode \"tcp\")"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\n"
	 "[[routes]]\nname = \"a\"\nlisten_port = 3\ntarget_addr = \"x\"\ntarget_port = 4\n",
	    "t.toml:7:8: routes[1].name (route \"a\"): duplicate route name \"a\" (also used at line 1)"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\n"
	 "[[routes]]\nname = \"b\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 4\n",
	    "t.toml:8:15: routes[1].listen_port (route \"b\"): listener 0.0.0.0:1 is already used by route \"a\" (two tcp routes share an address:port only if every one has sni)"},
	{"[[routes]]\nname = \"a\"\nlisten_addr = \"127.0.0.1\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\n"
	 "[[routes]]\nname = \"b\"\nlisten_port = 1\nmode = \"http\"\ntarget_port = 0\n",
	    "t.toml:9:15: routes[1].listen_port (route \"b\"): listener 0.0.0.0:1 is already used by route \"a\" (a tcp and an http route cannot share an address:port)"},
	{"[[routes]]\nname = \"a\"\nlisten_addr = \"127.0.0.1\"\nlisten_port = 5\ntarget_addr = \"127.0.0.1\"\ntarget_port = 5\n",
	    "t.toml:6:15: routes[0].target_port (route \"a\"): the target is this route's own listener 127.0.0.1:5 (a loop)"},
	{"[[routes]]\nname = \"a\"\nmode = \"http\"\nlisten_port = 1\nhost = [\"a\", 3]\n",
	    "t.toml:5:14: routes[0].host (route \"a\")[1]: expected a string, got an integer"},
	{"[[routes]]\nname = \"a\"\nenabled = false\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\n",
	    "t.toml:1:1: routes: every route is disabled"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\ntls_cert = \"c.pem\"\n",
	    "t.toml:1:1: routes[0].tls_key (route \"a\"): missing (tls_cert is set)"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\ntls_cert = \"/nonexistent/c.pem\"\ntls_key = \"/nonexistent/k.pem\"\n",
	    "t.toml:6:12: routes[0].tls_cert (route \"a\"): cannot read /nonexistent/c.pem: No such file or directory"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\ntarget_sni = \"x.test\"\n",
	    "t.toml:6:14: routes[0].target_sni (route \"a\"): applies only with target_tls = true on a tcp route"},
	{"[[routes]]\nname = \"a\"\nmode = \"http\"\nlisten_port = 1\nsni = \"x.test\"\n",
	    "t.toml:5:7: routes[0].sni (route \"a\"): applies to tcp routes only (http routes choose by host)"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\nsni = [\"a b\"]\n",
	    "t.toml:6:7: routes[0].sni (route \"a\"): \"a b\": not a host name, \"*.\" wildcard or IP address"},
	{"[[routes]]\nname = \"a\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 2\nsni = \"a.test\"\n"
	 "[[routes]]\nname = \"b\"\nlisten_port = 1\ntarget_addr = \"x\"\ntarget_port = 3\n",
	    "t.toml:9:15: routes[1].listen_port (route \"b\"): listener 0.0.0.0:1 is already used by route \"a\" (two tcp routes share an address:port only if every one has sni)"},
	{"[[routes]]\nname = \"a\"\nmode = \"http\"\nlisten_port = 1\ndynamic_allow = [\"10.0.0.0/33\"]\n",
	    "t.toml:5:17: routes[0].dynamic_allow (route \"a\"): \"10.0.0.0/33\": CIDR prefix is not 0-32"},
	{"[[routes]]\nname = \"a\"\nmode = \"http\"\nlisten_port = 1\ndynamic_allow = [\"x:9000-8000\"]\n",
	    "t.toml:5:17: routes[0].dynamic_allow (route \"a\"): \"x:9000-8000\": port range is not lo-hi with 1 <= lo <= hi <= 65535"},
	{"[[routes]]\nname = \"a\"\nmode = \"http\"\nlisten_port = 1\nhost = \"a b\"\n",
	    "t.toml:5:8: routes[0].host (route \"a\"): \"a b\": not a host name, \"*.\" wildcard or IP address"},
	{"a = \n", NULL}, /* a TOML syntax error: only the position is fixed */
};

/* tcp routes that all have sni may share one address:port. */
START_TEST(test_config_sni_routes_share)
{
	struct config *cfg = load_ok("[[routes]]\n"
				     "name = \"a\"\n"
				     "listen_port = 443\n"
				     "target_addr = \"127.0.0.1\"\n"
				     "target_port = 8443\n"
				     "sni = [\"a.test\", \"*.a.test\"]\n"
				     "[[routes]]\n"
				     "name = \"b\"\n"
				     "listen_port = 443\n"
				     "target_addr = \"127.0.0.1\"\n"
				     "target_port = 9443\n"
				     "sni = \"b.test\"\n"
				     "target_tls = true\n"
				     "target_tls_verify = false\n");

	ck_assert_uint_eq(cfg->routes[0].sni.n, 2);
	ck_assert_str_eq(cfg->routes[1].sni.v[0], "b.test");
	ck_assert(!cfg->routes[1].target_tls_verify);
	config_free(cfg);
}
END_TEST

/* Each invalid config's first error names file, line, column and key exactly. */
START_TEST(test_config_errors_table)
{
	const struct error_case *c = &error_cases[_i];
	struct config_errors errs = {NULL, 0};
	struct config *cfg = load(c->toml, NULL, &errs);

	ck_assert_ptr_null(cfg);
	ck_assert_uint_ge(errs.n, 1);
	if (c->want != NULL)
		ck_assert_str_eq(errs.msg[0], c->want);
	else
		ck_assert_msg(strncmp(errs.msg[0], "t.toml:1:", 9) == 0,
		    "got %s", errs.msg[0]);
	config_errors_clear(&errs);
}
END_TEST

/* Five different mistakes give five errors, in file order, in one run. */
START_TEST(test_config_errors_all_reported)
{
	static const char text[] = "listen_prot = 8080\n"
				   "[[routes]]\n"
				   "name = \"a\"\n"
				   "mode = \"htp\"\n"
				   "listen_port = 70000\n"
				   "target_addr = \"127.0.0.1\"\n"
				   "target_port = \"3000\"\n"
				   "[[routes]]\n"
				   "name = \"a\"\n"
				   "listen_port = 8001\n"
				   "target_addr = \"127.0.0.1\"\n"
				   "target_port = 3001\n";
	static const char *const want[] = {"t.toml:1:1: listen_prot",
	    "t.toml:4:8: routes[0].mode", "t.toml:5:15: routes[0].listen_port",
	    "t.toml:7:15: routes[0].target_port",
	    "t.toml:9:8: routes[1].name"};
	struct config_errors errs = {NULL, 0};
	size_t i;

	ck_assert_ptr_null(load(text, NULL, &errs));
	ck_assert_uint_eq(errs.n, 5);
	for (i = 0; i < 5; i++)
		ck_assert_msg(strncmp(errs.msg[i], want[i], strlen(want[i])) == 0,
		    "error %zu: %s", i, errs.msg[i]);
	config_errors_clear(&errs);
}
END_TEST

/* A file that cannot be read is one error naming the file. */
START_TEST(test_config_load_file_missing)
{
	struct config_errors errs = {NULL, 0};

	ck_assert_ptr_null(config_load_file("/nonexistent/porty.toml", NULL,
	    &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msg[0],
	    "/nonexistent/porty.toml: cannot read: No such file or directory");
	config_errors_clear(&errs);
}
END_TEST

/* The generated example is valid and mentions every key of the schema. */
START_TEST(test_config_generated_example)
{
	const char *text = genconfig_text();
	struct config *cfg = load_ok(text);
	size_t i;

	ck_assert_uint_ge(cfg->nroutes, 3);
	for (i = 0; i < config_key_count(); i++) {
		char needle[64];

		snprintf(needle, sizeof(needle), "%s", config_key_name(i));
		ck_assert_msg(strstr(text, needle) != NULL,
		    "generate-config does not mention %s", needle);
	}
	config_free(cfg);
}
END_TEST

Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");

	tcase_add_test(tc, test_config_defaults);
	tcase_add_test(tc, test_config_service_keys);
	tcase_add_test(tc, test_config_inherit);
	tcase_add_test(tc, test_config_main_route);
	tcase_add_test(tc, test_config_overrides);
	tcase_add_test(tc, test_config_http_route);
	tcase_add_test(tc, test_config_admin_listen);
	tcase_add_test(tc, test_config_generated_example);
	suite_add_tcase(s, tc);
	tc = tcase_create("errors");
	tcase_add_test(tc, test_config_sni_routes_share);
	tcase_add_loop_test(tc, test_config_errors_table, 0,
	    (int)(sizeof(error_cases) / sizeof(error_cases[0])));
	tcase_add_test(tc, test_config_errors_all_reported);
	tcase_add_test(tc, test_config_load_file_missing);
	suite_add_tcase(s, tc);
	return s;
}
