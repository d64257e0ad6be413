/* SPDX-License-Identifier: MIT */
/* The cli suite: porty's commands, options, exit codes and config errors. */
#include "auto-config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "suites.h"

/* The longest argument vector of the tables below, plus its NULL. */
#define CLI_MAXARGS 6

/* Fail with the command's output when its exit status is not WANT. */
static void
cli_expect_status(const struct harness_result *r, int want, const char *what)
{
	ck_assert_msg(r->status == want,
		      "%s: exit status %d, expected %d\nstdout: %s\nstderr: %s",
		      what, r->status, want, r->out, r->err);
}

/*
 * In TEXT, the line that contains LISTEN must also name the route NAME and
 * its MODE, and show TARGET after LISTEN.
 */
static void
cli_expect_route(const char *text, const char *name, const char *mode,
		 const char *listen, const char *target)
{
	const char *at = strstr(text, listen), *bol, *eol, *t;
	char line[512];
	size_t len;

	ck_assert_msg(at != NULL, "no route listening on %s in:\n%s", listen,
		      text);
	for (bol = at; bol > text && bol[-1] != '\n'; bol--)
		;
	eol = strchr(at, '\n');
	len = eol != NULL ? (size_t)(eol - bol) : strlen(bol);
	ck_assert_uint_lt(len, sizeof(line));
	memcpy(line, bol, len);
	line[len] = '\0';
	ck_assert_msg(strstr(line, name) != NULL, "route line lacks \"%s\": %s",
		      name, line);
	ck_assert_msg(strstr(line, mode) != NULL, "route line lacks \"%s\": %s",
		      mode, line);
	t = strstr(line + (at - bol) + strlen(listen), target);
	ck_assert_msg(t != NULL, "route line lacks the target %s after %s: %s",
		      target, listen, line);
}

/*
 * A config in the harness dir with one TCP route named NAME from a free
 * loopback port (to *PORT) to TPORT; returns its path.
 */
static const char *
cli_config(struct harness *h, const char *file, const char *name, int *port,
	   int tport)
{
	*port = harness_port(AF_INET);
	return harness_write(h, file,
			     "[[routes]]\n"
			     "name = \"%s\"\n"
			     "listen_addr = \"127.0.0.1\"\n"
			     "listen_port = %d\n"
			     "target_addr = \"127.0.0.1\"\n"
			     "target_port = %d\n",
			     name, *port, tport);
}

/* Send MSG through porty on PORT to an echo backend and expect it back. */
static void
cli_round_trip(int port, const char *msg)
{
	size_t len = strlen(msg);
	char buf[128];
	int fd;

	fd = harness_connect(AF_INET, port, harness_ms(5000));
	ck_assert_msg(fd != -1, "connect to porty: %s", strerror(errno));
	ck_assert(harness_send(fd, msg, len, harness_ms(5000)));
	ck_assert_uint_eq(harness_recv(fd, buf, len, harness_ms(5000)), len);
	ck_assert(memcmp(buf, msg, len) == 0);
	close(fd);
}

static const char *const cli_version_argv[][CLI_MAXARGS] = {
    {"version"},
    {"--version"},
    {"-V"},
};

/* `porty version`, `--version` and `-V` print the version and exit 0. */
START_TEST(test_cli_version)
{
	struct harness *h = harness_new(__func__);
	const struct harness_result *r;

	r = harness_run(h, NULL, cli_version_argv[_i]);
	cli_expect_status(r, 0, cli_version_argv[_i][0]);
	ck_assert_msg(strstr(r->out, PACKAGE_VERSION) != NULL,
		      "%s does not print %s: %s", cli_version_argv[_i][0],
		      PACKAGE_VERSION, r->out);
	harness_free(h);
}
END_TEST

static const char *const cli_help_argv[][CLI_MAXARGS] = {
    {"help"},
    {"--help"},
    {"-h"},
};

/* `porty help`, `--help` and `-h` print the usage to stdout and exit 0. */
START_TEST(test_cli_help)
{
	struct harness *h = harness_new(__func__);
	const struct harness_result *r;

	r = harness_run(h, NULL, cli_help_argv[_i]);
	cli_expect_status(r, 0, cli_help_argv[_i][0]);
	ck_assert_msg(strstr(r->out, "start") != NULL &&
			  strstr(r->out, "check") != NULL &&
			  strstr(r->out, "generate-config") != NULL,
		      "%s: the usage does not list the commands: %s",
		      cli_help_argv[_i][0], r->out);
	harness_free(h);
}
END_TEST

static const char *const cli_unknown_argv[][CLI_MAXARGS] = {
    {"frobnicate"},
    {"--frobnicate"},
    {"start", "--frobnicate"},
    {"check", "--bogus-option"},
    {"start", "-Z"},
    {"stat"},
};

/* Unknown commands and options exit 2 with a message on stderr and start
 * nothing, even with a valid ./porty.toml at hand. */
START_TEST(test_cli_unknown)
{
	struct harness *h = harness_new(__func__);
	const struct harness_result *r;
	int port;

	cli_config(h, "porty.toml", "fwd", &port, harness_port(AF_INET));
	r = harness_run(h, NULL, cli_unknown_argv[_i]);
	cli_expect_status(r, 2,
			  harness_fmt(h, "%s %s", cli_unknown_argv[_i][0],
				      cli_unknown_argv[_i][1]
					  ? cli_unknown_argv[_i][1]
					  : ""));
	ck_assert_msg(r->err[0] != '\0', "no message on stderr");
	ck_assert(!harness_port_listening(port));
	harness_free(h);
}
END_TEST

/* `porty check` on a valid file exits 0 and prints every route with its
 * name, mode, listen address and target. */
START_TEST(test_cli_check_good)
{
	struct harness *h = harness_new(__func__);
	const char *good = harness_data(h, "good.toml");
	const char *argv[] = {"check", "--config", good, NULL};
	const struct harness_result *r;

	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 0, "check good.toml");
	cli_expect_route(r->out, "main", "tcp", "127.0.0.1:18000",
			 "127.0.0.1:18001");
	cli_expect_route(r->out, "db", "tcp", "127.0.0.1:15432",
			 "127.0.0.1:5432");
	cli_expect_route(r->out, "web", "http", "127.0.0.1:18080",
			 "127.0.0.1:3000");
	harness_free(h);
}
END_TEST

/* `porty check` on a file with a TOML syntax error exits 1 and names the
 * file and line. */
START_TEST(test_cli_check_bad_syntax)
{
	struct harness *h = harness_new(__func__);
	const char *bad = harness_data(h, "bad-syntax.toml");
	const char *argv[] = {"check", "--config", bad, NULL};
	const struct harness_result *r;

	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 1, "check bad-syntax.toml");
	ck_assert_msg(strstr(r->err, harness_fmt(h, "%s:4:", bad)) != NULL,
		      "the error does not point at %s:4: %s", bad, r->err);
	harness_free(h);
}
END_TEST

/* Where each mistake of five-errors.toml is, and the key it is about. */
static const struct {
	int line, col;
	const char *key;
} cli_five[] = {
    {4, 19, "max_connections"},        /* a string for an int */
    {8, 8, "routes[0].mode"},          /* "htp" */
    {9, 1, "routes[0].listen_prot"},   /* unknown key: at the key */
    {12, 15, "routes[0].target_port"}, /* 70000 */
    {15, 8, "routes[1].name"},         /* a duplicate route name */
};

/* A config with five different mistakes gets exactly five errors, each
 * "FILE:LINE:COL:" at the offending value (the key, if unknown) and naming
 * the key; check exits 1. */
START_TEST(test_cli_check_five_errors)
{
	struct harness *h = harness_new(__func__);
	const char *file = harness_data(h, "five-errors.toml");
	const char *argv[] = {"check", "--config", file, NULL};
	const struct harness_result *r;
	const char *line, *eol, *pos;
	size_t i, n = 0, flen = strlen(file);
	int l, c;

	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 1, "check five-errors.toml");
	/* Count the lines that carry a FILE:LINE:COL: position. */
	for (line = r->err; *line != '\0'; line = eol + 1) {
		eol = strchr(line, '\n');
		if (eol == NULL)
			eol = line + strlen(line) - 1;
		pos = strstr(line, file);
		if (pos != NULL && pos < eol &&
		    sscanf(pos + flen, ":%d:%d:", &l, &c) == 2)
			n++;
	}
	ck_assert_msg(n == 5, "%zu errors with a position, expected 5:\n%s", n,
		      r->err);
	for (i = 0; i < ARRAY_SIZE(cli_five); i++) {
		const char *want = harness_fmt(
		    h, "%s:%d:%d: ", file, cli_five[i].line, cli_five[i].col);

		pos = strstr(r->err, want);
		ck_assert_msg(pos != NULL, "no error at %s (%s) in:\n%s", want,
			      cli_five[i].key, r->err);
		eol = strchr(pos, '\n');
		if (eol == NULL)
			eol = pos + strlen(pos);
		ck_assert_msg(strstr(pos, cli_five[i].key) != NULL &&
				  strstr(pos, cli_five[i].key) < eol,
			      "the error at %s does not name %s: %.*s", want,
			      cli_five[i].key, (int)(eol - pos), pos);
	}
	/* The unknown key gets a "did you mean" for the close one. */
	pos = strstr(r->err, harness_fmt(h, "%s:9:1: ", file));
	eol = strchr(pos, '\n');
	ck_assert_msg(strstr(pos, "listen_port") != NULL &&
			  strstr(pos, "listen_port") <
			      (eol ? eol : pos + strlen(pos)),
		      "no suggestion of listen_port for listen_prot");
	harness_free(h);
}
END_TEST

/* `porty start` on an invalid config exits 2 and starts nothing. */
START_TEST(test_cli_start_bad_config)
{
	struct harness *h = harness_new(__func__);
	const char *file = harness_data(h, "five-errors.toml");
	const char *argv[] = {"start", "--config", file, NULL};
	const struct harness_result *r;

	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 2, "start five-errors.toml");
	ck_assert(strstr(r->err, harness_fmt(h, "%s:4:19: ", file)) != NULL);
	harness_free(h);
}
END_TEST

/* `--config=FILE`, `--config FILE` and `-c FILE` all select FILE. */
START_TEST(test_cli_config_forms)
{
	struct harness *h = harness_new(__func__);
	const char *path, *eq;
	const struct harness_result *r;
	int port;

	path = cli_config(h, "elsewhere.toml", "picked", &port, 3000);
	eq = harness_fmt(h, "--config=%s", path);
	{
		const char *forms[][4] = {
		    {"check", eq, NULL, NULL},
		    {"check", "--config", path, NULL},
		    {"check", "-c", path, NULL},
		};

		r = harness_run(h, NULL, forms[_i]);
		cli_expect_status(r, 0, forms[_i][1]);
		ck_assert_msg(strstr(r->out, "picked") != NULL,
			      "%s: the route of %s is not printed: %s",
			      forms[_i][1], path, r->out);
	}
	harness_free(h);
}
END_TEST

static const char *const cli_missing_cmd[] = {"start", "check"};

/* An explicit --config that does not exist is a usage error: exit 2. */
START_TEST(test_cli_config_missing)
{
	struct harness *h = harness_new(__func__);
	const char *missing = harness_path(h, "no-such.toml");
	const char *argv[] = {cli_missing_cmd[_i], "--config", missing, NULL};
	const struct harness_result *r;

	/* A valid ./porty.toml must not be used instead. */
	cli_config(h, "porty.toml", "fallback", &(int){0}, 3000);
	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 2,
			  harness_fmt(h, "%s --config no-such.toml", argv[0]));
	ck_assert_msg(strstr(r->err, "no-such.toml") != NULL,
		      "the error does not name the file: %s", r->err);
	harness_free(h);
}
END_TEST

/* Without --config: $PORTY_CONFIG, then ./porty.toml, then ./config.toml. */
START_TEST(test_cli_config_search_order)
{
	struct harness *h = harness_new(__func__);
	const char *argv[] = {"check", NULL};
	const char *envpath, *env[2];
	struct harness_opts o = {.env = env};
	const struct harness_result *r;
	int port;

	envpath = cli_config(h, "env.toml", "from-env", &port, 3000);
	cli_config(h, "porty.toml", "from-porty", &port, 3000);
	cli_config(h, "config.toml", "from-config", &port, 3000);
	env[0] = harness_fmt(h, "PORTY_CONFIG=%s", envpath);
	env[1] = NULL;

	r = harness_run(h, &o, argv);
	cli_expect_status(r, 0, "check with $PORTY_CONFIG");
	ck_assert_msg(strstr(r->out, "from-env") != NULL &&
			  strstr(r->out, "from-porty") == NULL,
		      "$PORTY_CONFIG does not win: %s", r->out);

	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 0, "check with ./porty.toml");
	ck_assert_msg(strstr(r->out, "from-porty") != NULL &&
			  strstr(r->out, "from-config") == NULL,
		      "./porty.toml does not win over ./config.toml: %s",
		      r->out);

	ck_assert_int_eq(unlink(harness_path(h, "porty.toml")), 0);
	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 0, "check with ./config.toml");
	ck_assert_msg(strstr(r->out, "from-config") != NULL,
		      "./config.toml is not used: %s", r->out);
	harness_free(h);
}
END_TEST

static const char *const cli_noconf_argv[][CLI_MAXARGS] = {
    {NULL},
    {"start"},
};

/* No config anywhere and no route in the flags: exit 2 with one line. */
START_TEST(test_cli_no_config)
{
	struct harness *h = harness_new(__func__);
	const struct harness_result *r;

	if (access("/etc/porty/porty.toml", F_OK) == 0) {
		fprintf(stderr, "cli no_config: /etc/porty/porty.toml exists, "
				"skipped\n");
		harness_free(h);
		return;
	}
	r = harness_run(h, NULL, cli_noconf_argv[_i]);
	cli_expect_status(r, 2, _i == 0 ? "porty" : "porty start");
	ck_assert_msg(harness_count_lines(r->err) == 1,
		      "expected a one-line error, got:\n%s", r->err);
	harness_free(h);
}
END_TEST

/* With no config file, `start -l ADDR -p PORT -P BACKEND` forwards. */
START_TEST(test_cli_flags_only)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	const char *argv[] = {"start",
			      "-l",
			      "127.0.0.1",
			      "-p",
			      harness_fmt(h, "%d", port),
			      "-P",
			      harness_fmt(h, "%d", harness_backend_port(echo)),
			      NULL};
	struct harness_proc *p;

	p = harness_start(h, NULL, argv);
	ck_assert_msg(harness_wait_port(p, port, harness_ms(10000)),
		      "flags-only porty does not listen on %d", port);
	cli_round_trip(port, "flags only");
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* --pidfile, --log-file and --log-format take effect: the pid file holds
 * a pid while porty runs and is gone after it stops, and the log file gets
 * JSON lines instead of stderr. */
START_TEST(test_cli_pidfile_log_file_format)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int port = harness_port(AF_INET);
	const char *pidfile = harness_path(h, "porty.pid");
	const char *logfile = harness_path(h, "porty.log");
	const char *argv[] = {"start",
			      "-l",
			      "127.0.0.1",
			      "-p",
			      harness_fmt(h, "%d", port),
			      "-P",
			      harness_fmt(h, "%d", harness_backend_port(echo)),
			      "--pidfile",
			      pidfile,
			      "--log-file=porty.log",
			      "--log-format",
			      "json",
			      "-v",
			      NULL};
	struct harness_proc *p;
	const char *text;
	long pid;

	p = harness_start(h, NULL, argv);
	ck_assert_msg(harness_wait_port(p, port, harness_ms(10000)),
		      "porty does not listen on %d", port);
	text = harness_read(h, pidfile);
	ck_assert_msg(text != NULL, "no pid file at %s", pidfile);
	pid = strtol(text, NULL, 10);
	ck_assert_msg(pid > 1, "pid file holds \"%s\"", text);
	cli_round_trip(port, "with a log file");
	harness_stop(p);
	text = harness_read(h, logfile);
	ck_assert_msg(text != NULL, "no log file");
	ck_assert_msg(strstr(text, "\"route\":\"main\"") != NULL,
		      "the log file lacks the main route's JSON line: %s",
		      text);
	ck_assert_msg(text[0] == '{', "log line is not JSON: %s", text);
	ck_assert_msg(harness_read(h, pidfile) == NULL,
		      "the pid file is still there after exit");
	harness_free(h);
}
END_TEST

/* --listen-port moves the main route of a file to another port. */
START_TEST(test_cli_listen_port_override)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	int filed = harness_port(AF_INET), flag = harness_port(AF_INET);
	const char *path = harness_write(h, "main.toml",
					 "listen_addr = \"127.0.0.1\"\n"
					 "listen_port = %d\n"
					 "target_port = %d\n",
					 filed, harness_backend_port(echo));
	const char *argv[] = {"start",
			      "--config",
			      path,
			      "--listen-port",
			      harness_fmt(h, "%d", flag),
			      NULL};
	struct harness_proc *p;

	p = harness_start(h, NULL, argv);
	ck_assert_msg(harness_wait_port(p, flag, harness_ms(10000)),
		      "porty does not listen on the --listen-port %d", flag);
	cli_round_trip(flag, "overridden");
	ck_assert_msg(!harness_port_listening(filed),
		      "porty also listens on the file's port %d", filed);
	harness_stop(p);
	harness_free(h);
}
END_TEST

/* generate-config writes ./porty.toml that passes check, refuses to
 * overwrite it, and overwrites it with --force. */
START_TEST(test_cli_generate_config)
{
	struct harness *h = harness_new(__func__);
	const char *gen[] = {"generate-config", NULL};
	const char *force[] = {"generate-config", "--force", NULL};
	const char *check[] = {"check", NULL};
	const char *mine = "# my own config, keep it\n";
	const char *path = harness_path(h, "porty.toml"), *text;
	const struct harness_result *r;

	r = harness_run(h, NULL, gen);
	cli_expect_status(r, 0, "generate-config");
	text = harness_read(h, path);
	ck_assert_msg(text != NULL && text[0] != '\0',
		      "generate-config did not write ./porty.toml");
	r = harness_run(h, NULL, check);
	cli_expect_status(r, 0, "check of the generated config");

	harness_write(h, "porty.toml", "%s", mine);
	r = harness_run(h, NULL, gen);
	ck_assert_msg(r->status != 0 && r->status != HARNESS_TIMED_OUT,
		      "generate-config over an existing file: exit status %d",
		      r->status);
	ck_assert_msg(r->err[0] != '\0', "no message on stderr");
	ck_assert_str_eq(harness_read(h, path), mine);

	r = harness_run(h, NULL, force);
	cli_expect_status(r, 0, "generate-config --force");
	ck_assert_str_ne(harness_read(h, path), mine);
	r = harness_run(h, NULL, check);
	cli_expect_status(r, 0, "check of the regenerated config");
	harness_free(h);
}
END_TEST

/* --generate-config and --check work as the commands, and generate-config
 * honours --config. */
START_TEST(test_cli_command_aliases)
{
	struct harness *h = harness_new(__func__);
	const char *other = harness_path(h, "other.toml");
	const char *gen[] = {"--generate-config", NULL};
	const char *check[] = {"--check", "--config", "porty.toml", NULL};
	const char *gen_other[] = {"generate-config", "--config", other, NULL};
	const char *check_other[] = {"check", "-c", other, NULL};
	const struct harness_result *r;

	r = harness_run(h, NULL, gen);
	cli_expect_status(r, 0, "--generate-config");
	ck_assert(harness_read(h, harness_path(h, "porty.toml")) != NULL);
	r = harness_run(h, NULL, check);
	cli_expect_status(r, 0, "--check --config porty.toml");
	ck_assert_msg(r->out[0] != '\0', "--check prints no route");

	r = harness_run(h, NULL, gen_other);
	cli_expect_status(r, 0, "generate-config --config other.toml");
	ck_assert(harness_read(h, other) != NULL);
	r = harness_run(h, NULL, check_other);
	cli_expect_status(r, 0, "check -c other.toml");
	harness_free(h);
}
END_TEST

/* --daemon without a log file is a usage error (exit 2), before forking. */
START_TEST(test_cli_daemon_needs_log_file)
{
	struct harness *h = harness_new(__func__);
	const char *pidfile = harness_path(h, "porty.pid");
	const char *argv[] = {"start", "--daemon", "--pidfile", pidfile, NULL};
	const struct harness_result *r;
	const char *pid;
	int port;

	cli_config(h, "porty.toml", "fwd", &port, 3000);
	r = harness_run(h, NULL, argv);
	pid = harness_read(h, pidfile);
	if (pid != NULL && atoi(pid) > 0)
		kill(atoi(pid), SIGKILL); /* a daemon escaped: don't leak it */
	cli_expect_status(r, 2, "start --daemon without a log file");
	ck_assert_msg(pid == NULL, "a daemon was started (pid %s)", pid);
	ck_assert(!harness_port_listening(port));
	harness_free(h);
}
END_TEST

/* `porty start` when its port is taken exits 1 and says which port. */
START_TEST(test_cli_port_in_use)
{
	struct harness *h = harness_new(__func__);
	const char *argv[] = {"start", NULL};
	const struct harness_result *r;
	int port;

	harness_listen(h, AF_INET, 16, &port);
	harness_write(h, "porty.toml",
		      "[[routes]]\n"
		      "name = \"taken\"\n"
		      "listen_addr = \"127.0.0.1\"\n"
		      "listen_port = %d\n"
		      "target_addr = \"127.0.0.1\"\n"
		      "target_port = 3000\n",
		      port);
	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 1, "start on a port in use");
	ck_assert_msg(strstr(r->err, harness_fmt(h, "%d", port)) != NULL,
		      "the error does not name port %d: %s", port, r->err);
	ck_assert_msg(harness_contains(r->err, "in use"),
		      "the error does not give the reason: %s", r->err);
	harness_free(h);
}
END_TEST

/* The pid in PATH, waiting up to MS for it; 0 if none came. */
static long
cli_read_pid(struct harness *h, const char *path, int ms)
{
	int64_t end = harness_now_ms() + ms;
	const char *text;

	for (;;) {
		text = harness_read(h, path);
		if (text != NULL && atol(text) > 0)
			return atol(text);
		if (harness_now_ms() >= end)
			return 0;
		harness_sleep_ms(10);
	}
}

static const char *cli_read_proc(struct harness *h, const char *path);

/* Whether process PID runs (a zombie waiting for its reaper does not). */
static bool
cli_running(struct harness *h, long pid)
{
	const char *stat =
	    cli_read_proc(h, harness_fmt(h, "/proc/%ld/stat", pid));
	const char *p = stat != NULL ? strrchr(stat, ')') : NULL;

	return p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* Wait up to MS for process PID to be gone. */
static bool
cli_wait_gone(struct harness *h, long pid, int ms)
{
	int64_t end = harness_now_ms() + ms;

	while (cli_running(h, pid)) {
		if (harness_now_ms() >= end)
			return false;
		harness_sleep_ms(10);
	}
	return true;
}

/* The start of the /proc file PATH, owned by H, or NULL. */
static const char *
cli_read_proc(struct harness *h, const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return harness_fmt(h, "%s", buf);
}

/* Field NAME ("Uid:") of /proc/PID/status, owned by H, or NULL. */
static const char *
cli_proc_status(struct harness *h, long pid, const char *name)
{
	const char *text =
	    cli_read_proc(h, harness_fmt(h, "/proc/%ld/status", pid));
	const char *at, *eol;

	if (text == NULL || (at = strstr(text, name)) == NULL)
		return NULL;
	eol = strchr(at, '\n');
	return harness_fmt(h, "%.*s",
			   (int)(eol != NULL ? eol - at : (long)strlen(at)),
			   at);
}

/*
 * --daemon with relative file names: the command returns at once, the
 * daemon (not a session leader: forked twice) serves, writes its pid file
 * and log, reloads the relative config on SIGHUP although its cwd is /,
 * and removes the pid file when SIGTERM stops it.
 */
START_TEST(test_cli_daemon)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo = harness_echo(h, AF_INET);
	struct harness_backend *echo2 = harness_echo(h, AF_INET);
	const char *argv[] = {"start", "--daemon", "-c", "porty.toml", NULL};
	const char *pidfile = harness_path(h, "porty.pid");
	const char *stat, *text, *body;
	const struct harness_result *r;
	int port, other = harness_port(AF_INET);
	long pid, sid;

	body = cli_config(h, "route.toml", "fwd", &port,
			  harness_backend_port(echo));
	harness_write(h, "porty.toml",
		      "pidfile = \"porty.pid\"\nlog_file = \"porty.log\"\n%s",
		      harness_read(h, body));
	r = harness_run(h, NULL, argv);
	pid = cli_read_pid(h, pidfile, harness_ms(10000));
	cli_expect_status(r, 0, "start --daemon");
	ck_assert_msg(pid > 0, "no pid file");
	ck_assert(harness_wait_port(NULL, port, harness_ms(10000)));
	cli_round_trip(port, "daemon");
	stat = cli_read_proc(h, harness_fmt(h, "/proc/%ld/stat", pid));
	ck_assert(stat != NULL && strrchr(stat, ')') != NULL);
	ck_assert(sscanf(strrchr(stat, ')') + 1, " %*c %*d %*d %ld", &sid) ==
		  1);
	ck_assert_msg(sid != pid, "the daemon leads its session");

	/* Reload: a second route on another port. */
	harness_write(h, "porty.toml",
		      "pidfile = \"porty.pid\"\nlog_file = \"porty.log\"\n%s"
		      "[[routes]]\nname = \"two\"\nlisten_addr = \"127.0.0.1\"\n"
		      "listen_port = %d\ntarget_addr = \"127.0.0.1\"\n"
		      "target_port = %d\n",
		      harness_read(h, body), other,
		      harness_backend_port(echo2));
	kill((pid_t)pid, SIGHUP);
	ck_assert_msg(harness_wait_port(NULL, other, harness_ms(10000)),
		      "the daemon did not reload:\n%s",
		      harness_read(h, harness_path(h, "porty.log")));
	cli_round_trip(other, "reloaded");

	kill((pid_t)pid, SIGTERM);
	ck_assert(cli_wait_gone(h, pid, harness_ms(15000)));
	text = harness_read(h, harness_path(h, "porty.log"));
	ck_assert(text != NULL && harness_contains(text, "stopped"));
	ck_assert_msg(harness_read(h, pidfile) == NULL,
		      "the pid file is still there after exit");
	harness_free(h);
}
END_TEST

/*
 * As root, user = "nobody" drops every id and the supplementary groups
 * after binding, so the port is bound and served with uid 65534.
 */
START_TEST(test_cli_user_nobody)
{
	struct harness *h = harness_new(__func__);
	struct harness_backend *echo;
	struct harness_proc *p;
	const char *body, *uid, *groups;
	int port;
	long pid;

	if (geteuid() != 0) {
		harness_free(h);
		return; /* only root can drop privileges */
	}
	echo = harness_echo(h, AF_INET);
	body = cli_config(h, "route.toml", "fwd", &port,
			  harness_backend_port(echo));
	p = harness_serve(h, port,
			  harness_fmt(h, "user = \"nobody\"\n"
					 "pidfile = \"porty.pid\"\n%s",
				      harness_read(h, body)));
	pid = cli_read_pid(h, harness_path(h, "porty.pid"), harness_ms(5000));
	ck_assert(pid > 0);
	cli_round_trip(port, "as nobody");
	uid = cli_proc_status(h, pid, "Uid:");
	ck_assert_msg(uid != NULL && strcmp(uid, "Uid:\t65534\t65534\t65534\t65534") == 0,
		      "porty runs as %s", uid != NULL ? uid : "?");
	groups = cli_proc_status(h, pid, "Groups:");
	ck_assert_msg(groups != NULL && strstr(groups, "\t0") == NULL &&
			  strstr(groups, " 0 ") == NULL,
		      "root's groups are kept: %s", groups);
	harness_stop(p);
	/* The pid file's directory is root's: nobody cannot remove it. */
	ck_assert(harness_contains(harness_log(p), "cannot remove pidfile"));
	harness_free(h);
}
END_TEST

/* An unknown user is refused before anything is bound: exit 2. */
START_TEST(test_cli_user_unknown)
{
	struct harness *h = harness_new(__func__);
	const char *argv[] = {"start", NULL};
	const struct harness_result *r;
	const char *body;
	int port;

	body = cli_config(h, "route.toml", "fwd", &port, 3000);
	harness_write(h, "porty.toml", "user = \"no-such-user-xq\"\n%s",
		      harness_read(h, body));
	r = harness_run(h, NULL, argv);
	cli_expect_status(r, 2, "start with an unknown user");
	ck_assert(harness_contains(r->err, "no-such-user-xq"));
	ck_assert(!harness_port_listening(port));
	harness_free(h);
}
END_TEST

Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc;

	tc = harness_tcase("commands", 30);
	tcase_add_loop_test(tc, test_cli_version, 0,
			    (int)ARRAY_SIZE(cli_version_argv));
	tcase_add_loop_test(tc, test_cli_help, 0,
			    (int)ARRAY_SIZE(cli_help_argv));
	tcase_add_loop_test(tc, test_cli_unknown, 0,
			    (int)ARRAY_SIZE(cli_unknown_argv));
	tcase_add_test(tc, test_cli_daemon_needs_log_file);
	tcase_add_test(tc, test_cli_port_in_use);
	suite_add_tcase(s, tc);

	tc = harness_tcase("check", 30);
	tcase_add_test(tc, test_cli_check_good);
	tcase_add_test(tc, test_cli_check_bad_syntax);
	tcase_add_test(tc, test_cli_check_five_errors);
	tcase_add_test(tc, test_cli_start_bad_config);
	suite_add_tcase(s, tc);

	tc = harness_tcase("config_file", 30);
	tcase_add_loop_test(tc, test_cli_config_forms, 0, 3);
	tcase_add_loop_test(tc, test_cli_config_missing, 0,
			    (int)ARRAY_SIZE(cli_missing_cmd));
	tcase_add_test(tc, test_cli_config_search_order);
	tcase_add_loop_test(tc, test_cli_no_config, 0,
			    (int)ARRAY_SIZE(cli_noconf_argv));
	suite_add_tcase(s, tc);

	tc = harness_tcase("flags", 30);
	tcase_add_test(tc, test_cli_flags_only);
	tcase_add_test(tc, test_cli_listen_port_override);
	tcase_add_test(tc, test_cli_pidfile_log_file_format);
	suite_add_tcase(s, tc);

	tc = harness_tcase("service", 30);
	tcase_add_test(tc, test_cli_daemon);
	tcase_add_test(tc, test_cli_user_nobody);
	tcase_add_test(tc, test_cli_user_unknown);
	suite_add_tcase(s, tc);

	tc = harness_tcase("generate_config", 30);
	tcase_add_test(tc, test_cli_generate_config);
	tcase_add_test(tc, test_cli_command_aliases);
	suite_add_tcase(s, tc);
	return s;
}
