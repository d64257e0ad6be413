/* SPDX-License-Identifier: MIT */
/* The command line: parse argv, load and check the config, run the loop, choose the exit status. */
#include "auto-config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ev.h>

#include "admin.h"
#include "compiler.h"
#include "config.h"
#include "genconfig.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "parse.h"
#include "privdrop.h"
#include "server.h"
#include "stats.h"
#include "supervisor.h"

enum exit_code {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1, /* a bind failed, or `check` found the config invalid */
	EXIT_USAGE = 2,   /* bad command line or config */
};

enum command {
	CMD_START = 0,
	CMD_CHECK,
	CMD_GENERATE,
	CMD_VERSION,
	CMD_HELP,
};

static const char *const command_words[] = {"start", "check",
    "generate-config", "version", "help", NULL};

/* What argv asked for. */
struct cli {
	enum command cmd;
	bool cmd_set;
	const char *config;
	bool daemon;
	bool force;
	bool start_only; /* an option that only `start` (and `check`) takes */
	struct config_overrides ov;
};

/* Long-only options. */
enum {
	OPT_PIDFILE = 256,
	OPT_LOG_FILE,
	OPT_LOG_FORMAT,
	OPT_FORCE,
	OPT_CHECK,
	OPT_GENERATE,
};

static const struct option long_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"listen-addr", required_argument, NULL, 'l'},
	{"listen-port", required_argument, NULL, 'p'},
	{"target-addr", required_argument, NULL, 't'},
	{"target-port", required_argument, NULL, 'P'},
	{"daemon", no_argument, NULL, 'd'},
	{"verbose", no_argument, NULL, 'v'},
	{"pidfile", required_argument, NULL, OPT_PIDFILE},
	{"log-file", required_argument, NULL, OPT_LOG_FILE},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"force", no_argument, NULL, OPT_FORCE},
	{"check", no_argument, NULL, OPT_CHECK},
	{"generate-config", no_argument, NULL, OPT_GENERATE},
	{"version", no_argument, NULL, 'V'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "usage: porty [start] [-c FILE] [options]   run the forwarder (default)\n"
    "       porty check [-c FILE]               validate the config and print its routes\n"
    "       porty generate-config [-c FILE] [--force]\n"
    "                                           write a commented example config\n"
    "       porty version | --version | -V\n"
    "       porty help | --help | -h\n"
    "\n"
    "options of start:\n"
    "  -c, --config FILE       config file (default: $PORTY_CONFIG, ./porty.toml,\n"
    "                          ./config.toml, /etc/porty/porty.toml)\n"
    "  -l, --listen-addr ADDR  listen address of the main route\n"
    "  -p, --listen-port PORT  listen port of the main route\n"
    "  -t, --target-addr ADDR  target address of the main route\n"
    "  -P, --target-port PORT  target port of the main route\n"
    "  -v, --verbose           log_level = verbose on every route\n"
    "  -d, --daemon            run in the background (needs a log file)\n"
    "      --pidfile FILE      write the process id to FILE\n"
    "      --log-file FILE     append logs to FILE instead of stderr\n"
    "      --log-format FMT    porty, text or json\n"
    "\n"
    "Both --opt=value and --opt value work. See porty(1) and porty.toml(5).\n";

static void usage_error(const char *fmt, ...) PORTY_PRINTF(1, 2);

static void
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "porty: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", usage_text);
}

static int
set_command(struct cli *cli, enum command cmd)
{
	if (cli->cmd_set && cli->cmd != cmd) {
		usage_error("more than one command given (%s)",
		    command_words[cmd]);
		return -1;
	}
	cli->cmd = cmd;
	cli->cmd_set = true;
	return 0;
}

static int
parse_port_arg(const char *opt, const char *arg, unsigned *out)
{
	const char *err;

	if (parse_port(arg, out, &err) == 0)
		return 0;
	fprintf(stderr, "porty: %s: port \"%s\" is %s (1..65535)\n%s", opt,
	    arg, err, usage_text);
	return -1;
}

/* Fill CLI from argv. Returns 0, or -1 after printing a usage error. */
static int
cli_parse(struct cli *cli, int argc, char **argv)
{
	int ch;

	memset(cli, 0, sizeof(*cli));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:l:p:t:P:dvVh", long_options,
		    NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli->config = optarg;
			break;
		case 'l':
			cli->ov.listen_addr = optarg;
			cli->start_only = true;
			break;
		case 'p':
			if (parse_port_arg("--listen-port", optarg,
				&cli->ov.listen_port) == -1)
				return -1;
			cli->start_only = true;
			break;
		case 't':
			cli->ov.target_addr = optarg;
			cli->start_only = true;
			break;
		case 'P':
			if (parse_port_arg("--target-port", optarg,
				&cli->ov.target_port) == -1)
				return -1;
			cli->start_only = true;
			break;
		case 'd':
			cli->daemon = true;
			cli->start_only = true;
			break;
		case 'v':
			cli->ov.verbose = true;
			cli->start_only = true;
			break;
		case OPT_PIDFILE:
			cli->ov.pidfile = optarg;
			cli->start_only = true;
			break;
		case OPT_LOG_FILE:
			cli->ov.log_file = optarg;
			cli->start_only = true;
			break;
		case OPT_LOG_FORMAT:
			cli->ov.log_format = optarg;
			cli->start_only = true;
			break;
		case OPT_FORCE:
			cli->force = true;
			break;
		case OPT_CHECK:
			if (set_command(cli, CMD_CHECK) == -1)
				return -1;
			break;
		case OPT_GENERATE:
			if (set_command(cli, CMD_GENERATE) == -1)
				return -1;
			break;
		case 'V':
			if (set_command(cli, CMD_VERSION) == -1)
				return -1;
			break;
		case 'h':
			if (set_command(cli, CMD_HELP) == -1)
				return -1;
			break;
		case ':':
			usage_error("option %s needs a value",
			    argv[optind - 1]);
			return -1;
		default:
			usage_error("unknown option %s", argv[optind - 1]);
			return -1;
		}
	}
	for (; optind < argc; optind++) {
		int cmd = parse_enum(argv[optind], command_words);

		if (cmd < 0) {
			if (cli->cmd_set)
				usage_error("unexpected argument \"%s\"",
				    argv[optind]);
			else
				usage_error("unknown command \"%s\"",
				    argv[optind]);
			return -1;
		}
		if (set_command(cli, (enum command)cmd) == -1)
			return -1;
	}
	if (cli->force && cli->cmd != CMD_GENERATE) {
		usage_error("%s goes with generate-config only", "--force");
		return -1;
	}
	if (cli->start_only && cli->cmd != CMD_START && cli->cmd != CMD_CHECK) {
		usage_error("this option goes with start (or check), not %s",
		    command_words[cli->cmd]);
		return -1;
	}
	if ((cli->cmd == CMD_VERSION || cli->cmd == CMD_HELP) &&
	    cli->config != NULL) {
		usage_error("--config goes with start, check or generate-config, not %s",
		    command_words[cli->cmd]);
		return -1;
	}
	return 0;
}

static bool
file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/*
 * The config file to load: --config, $PORTY_CONFIG, ./porty.toml,
 * ./config.toml, /etc/porty/porty.toml. NULL if none exists.
 */
static const char *
config_search(const struct cli *cli)
{
	static const char *const candidates[] = {"porty.toml", "config.toml",
	    "/etc/porty/porty.toml"};
	const char *env = getenv("PORTY_CONFIG");
	size_t i;

	if (cli->config != NULL)
		return cli->config;
	if (env != NULL && env[0] != '\0')
		return env;
	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (file_exists(candidates[i]))
			return candidates[i];
	return NULL;
}

static void
errors_print(struct config_errors *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "porty: %s\n", errs->msg[i]);
	if (errs->n > 1)
		fprintf(stderr, "porty: %zu errors\n", errs->n);
	config_errors_clear(errs);
}

/*
 * Load the config the command line points at. Returns it, or NULL with
 * *STATUS set (2 for usage errors, BAD for an invalid config).
 */
static struct config *
config_get(const struct cli *cli, enum exit_code bad, enum exit_code *status)
{
	struct config_errors errs = {NULL, 0};
	const char *path = config_search(cli);
	struct config *cfg;

	if (path == NULL) {
		if (cli->ov.listen_port != 0 && cli->ov.target_port != 0) {
			cfg = config_from_overrides(&cli->ov, &errs);
			if (cfg == NULL) {
				errors_print(&errs);
				*status = EXIT_USAGE;
			}
			return cfg;
		}
		fprintf(stderr,
		    "porty: no config file found ($PORTY_CONFIG, ./porty.toml, "
		    "./config.toml, /etc/porty/porty.toml); try `porty "
		    "generate-config`, `--config FILE`, or `-p PORT -P PORT`\n");
		*status = EXIT_USAGE;
		return NULL;
	}
	if (access(path, R_OK) == -1) {
		fprintf(stderr, "porty: %s: cannot read config: %s\n", path,
		    strerror(errno));
		*status = EXIT_USAGE;
		return NULL;
	}
	cfg = config_load_file(path, &cli->ov, &errs);
	if (cfg == NULL) {
		errors_print(&errs);
		*status = bad;
	}
	return cfg;
}

static enum exit_code
cmd_check(const struct cli *cli)
{
	enum exit_code status = EXIT_OK;
	struct config *cfg = config_get(cli, EXIT_RUNTIME, &status);

	if (cfg == NULL)
		return status;
	printf("%s: configuration is valid\n",
	    cfg->path != NULL ? cfg->path : "command line");
	config_print_routes(cfg, stdout);
	config_free(cfg);
	return EXIT_OK;
}

static enum exit_code
cmd_generate(const struct cli *cli)
{
	const char *path = cli->config != NULL ? cli->config : "porty.toml";
	char err[256];

	if (genconfig_write(path, cli->force, err, sizeof(err)) == -1) {
		fprintf(stderr, "porty: %s\n", err);
		return EXIT_RUNTIME;
	}
	printf("wrote %s; check it with `porty check --config %s`\n", path,
	    path);
	return EXIT_OK;
}

/* DIR/PATH, or a copy of PATH when it is absolute (or DIR is NULL). */
static char *
path_absolute(const char *dir, const char *path)
{
	char *p;

	if (path[0] == '/' || dir == NULL)
		return strdup(path);
	p = malloc(strlen(dir) + strlen(path) + 2);
	if (p != NULL)
		sprintf(p, "%s/%s", dir, path);
	return p;
}

/* State of a running `porty start`, reachable from the signal watchers. */
struct run {
	const struct cli *cli;
	struct config *cfg; /* owned: until the server takes it (supervisor:
			       the one new workers start with) */
	struct server *srv;
	struct stats *stats; /* owned: the routes' counters */
	struct admin *admin; /* owned: the [admin] endpoint, or NULL */
	char *cwd;         /* owned: the directory porty started in */
	char *config_path; /* owned: absolute, or NULL (flags only) */
	char *log_path;    /* owned: absolute log_file, or NULL (stderr) */
	int log_fd;        /* STDERR_FILENO, or the log file (kept number) */
	int notify_fd;     /* a worker's socket to its supervisor, or -1 */
	struct privdrop priv;
	ev_signal sigterm, sigint, sighup, sigusr1;
	bool stopping;
};

/*
 * Tell systemd STATE, or the supervisor when this is a worker (the
 * supervisor speaks to systemd for all of them).
 */
static void
run_notify(const struct run *run, const char *state)
{
	if (run->notify_fd == -1)
		(void)notify_send(state);
	else
		(void)send(run->notify_fd, state, strlen(state),
			   MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * Open PATH for appending onto RUN's log descriptor, so every holder of
 * that number (log.c, stderr of a daemon) writes to the new file: after
 * logrotate moved the old one, or when log_file changed. Returns 0, or -1
 * with errno set (the old file stays).
 */
static int
run_log_open(struct run *run, const char *path)
{
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	if (run->log_fd == STDERR_FILENO) {
		/* The first log file: its descriptor is the log's for good. */
		run->log_fd = fd;
		return 0;
	}
	if (dup3(fd, run->log_fd, O_CLOEXEC) == -1)
		goto fail;
	/* A daemon's stderr (sanitizer reports) follows the log. */
	if (run->cli->daemon && dup2(fd, STDERR_FILENO) == -1)
		goto fail;
	(void)close(fd);
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

static void
run_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct run *run = w->data;

	(void)loop;
	(void)revents;
	if (run->stopping) {
		/* A second signal: server_shutdown() closes the rest now. */
		log_msg(LOG_SEV_INFO, NULL,
		    "received %s again, closing every connection now",
		    w->signum == SIGINT ? "SIGINT" : "SIGTERM");
		server_shutdown(run->srv);
		return;
	}
	run->stopping = true;
	log_msg(LOG_SEV_INFO, NULL, "received %s, stopping gracefully",
	    w->signum == SIGINT ? "SIGINT" : "SIGTERM");
	if (run->notify_fd == -1)
		run_notify(run, "STOPPING=1");
	server_shutdown(run->srv);
}

static bool
run_same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Warn about settings of NEW that only a restart applies. */
static void
run_reload_warn(const struct config *old, const struct config *new)
{
	static const char later[] = "%s changed: it takes effect at the next "
	    "restart, not on reload";

	if (!run_same_str(old->user, new->user))
		log_msg(LOG_SEV_WARN, NULL, later, "user");
	if (!run_same_str(old->group, new->group))
		log_msg(LOG_SEV_WARN, NULL, later, "group");
	if (!run_same_str(old->pidfile, new->pidfile))
		log_msg(LOG_SEV_WARN, NULL, later, "pidfile");
	if (old->workers != new->workers)
		log_msg(LOG_SEV_WARN, NULL, later, "workers");
	if (old->log_file != NULL && new->log_file == NULL)
		log_msg(LOG_SEV_WARN, NULL, "log_file removed: logs keep going "
		    "to %s until the next restart", old->log_file);
}

/*
 * SIGHUP's first steps: reopen the log (so that logrotate's old file gets
 * no more lines), then re-read the config file. Returns the new config,
 * or NULL after logging why there is none.
 */
static struct config *
run_reload_load(struct run *run)
{
	struct config_errors errs = {NULL, 0};
	struct config *cfg;
	size_t i;

	if (run->log_path != NULL && run_log_open(run, run->log_path) == -1)
		log_msg(LOG_SEV_ERROR, NULL, "reopening log_file %s: %s",
		    run->log_path, strerror(errno));
	log_msg(LOG_SEV_INFO, NULL, "received SIGHUP, reloading %s",
	    run->config_path != NULL ? run->config_path : "(no file)");
	if (run->config_path == NULL) {
		log_msg(LOG_SEV_INFO, NULL,
		    "no config file to reload (the routes come from the "
		    "command line)");
		return NULL;
	}
	cfg = config_load_file(run->config_path, &run->cli->ov, &errs);
	if (cfg == NULL) {
		for (i = 0; i < errs.n; i++)
			log_msg(LOG_SEV_ERROR, NULL, "%s", errs.msg[i]);
		config_errors_clear(&errs);
		log_msg(LOG_SEV_ERROR, NULL,
		    "reload of %s failed: keeping the running configuration",
		    run->config_path);
	}
	return cfg;
}

/* Point logging at CFG's log_file and format. */
static void
run_log_apply(struct run *run, const struct config *cfg)
{
	char *path;

	log_setup(cfg->log_format, run->log_fd);
	if (cfg->log_file == NULL)
		return;
	path = path_absolute(run->cwd, cfg->log_file);
	if (path == NULL || run_same_str(path, run->log_path)) {
		free(path);
		return;
	}
	if (run_log_open(run, path) == -1) {
		log_msg(LOG_SEV_ERROR, NULL, "log_file %s: %s", path,
		    strerror(errno));
		free(path);
		return;
	}
	free(run->log_path);
	run->log_path = path;
	log_setup(cfg->log_format, run->log_fd);
}

/* SIGHUP in a serving process: reload, bracketed for systemd. */
static void
run_hup_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct run *run = w->data;
	struct config *cfg;
	char err[512];

	(void)loop;
	(void)revents;
	if (run->stopping)
		return;
	if (run->notify_fd == -1)
		(void)notify_reloading();
	cfg = run_reload_load(run);
	if (cfg != NULL) {
		run_reload_warn(server_config(run->srv), cfg);
		if (server_reload(run->srv, cfg, err, sizeof(err)) == 0) {
			/*
			 * The new routes' counters: those of a route with the
			 * same name go on. No event ran since the reload, so
			 * nothing was counted without them.
			 */
			if (stats_attach(run->stats, cfg) == -1)
				log_msg(LOG_SEV_WARN, NULL,
				    "out of memory: the reloaded routes are "
				    "not counted");
			run_log_apply(run, server_config(run->srv));
		} else {
			log_msg(LOG_SEV_ERROR, NULL,
			    "reload of %s failed: %s; keeping the running "
			    "configuration", run->config_path, err);
			config_free(cfg);
		}
	}
	run_notify(run, "READY=1");
}

/*
 * SIGHUP in the supervisor: check the file and keep it for the workers
 * started from now on; supervisor.c then passes SIGHUP to the workers,
 * which reload it themselves.
 */
static int
run_supervisor_reload(void *arg)
{
	struct run *run = arg;
	struct config *cfg = run_reload_load(run);

	if (cfg == NULL)
		return -1;
	run_reload_warn(run->cfg, cfg);
	config_free(run->cfg);
	run->cfg = cfg;
	run_log_apply(run, run->cfg);
	return 0;
}

/* Block or unblock (HOW) the signals porty handles: HUP, TERM, INT, USR1. */
static void
run_signals_mask(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	(void)sigprocmask(how, &set, NULL);
}

/* SIGUSR1: one status line per route. */
static void
run_usr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct run *run = w->data;

	(void)loop;
	(void)revents;
	metrics_log_status(run->stats);
}

/*
 * Serve RUN->cfg on LOOP until stopped: count, bind, drop privileges, tell
 * systemd (or the supervisor), run the loop.
 */
static enum exit_code
run_serve(struct run *run, struct ev_loop *loop, bool reuseport)
{
	char err[512];

	/* Counters first, so that the listeners count from the start. */
	run->stats = stats_new();
	if (run->stats == NULL || stats_attach(run->stats, run->cfg) == -1) {
		log_msg(LOG_SEV_ERROR, NULL, "out of memory");
		return EXIT_RUNTIME;
	}
	if (run->cfg->admin_listen != NULL) {
		run->admin =
		    admin_start(loop, run->cfg, run->stats, err, sizeof(err));
		if (run->admin == NULL) {
			log_msg(LOG_SEV_ERROR, NULL, "%s", err);
			return EXIT_RUNTIME;
		}
	}
	run->srv = server_start(loop, run->cfg, reuseport, err, sizeof(err));
	if (run->srv == NULL) {
		log_msg(LOG_SEV_ERROR, NULL, "%s", err);
		return EXIT_RUNTIME;
	}
	run->cfg = NULL; /* the server's now */
	/* Bound: nothing needs root any more (a reload binding a new port
	   below 1024 needs CAP_NET_BIND_SERVICE from now on). */
	if (privdrop_apply(&run->priv, err, sizeof(err)) == -1) {
		log_msg(LOG_SEV_ERROR, NULL, "%s", err);
		return EXIT_RUNTIME;
	}
	ev_signal_init(&run->sigterm, run_stop_cb, SIGTERM);
	ev_signal_init(&run->sigint, run_stop_cb, SIGINT);
	ev_signal_init(&run->sighup, run_hup_cb, SIGHUP);
	ev_signal_init(&run->sigusr1, run_usr1_cb, SIGUSR1);
	run->sigterm.data = run->sigint.data = run->sighup.data = run;
	run->sigusr1.data = run;
	ev_signal_start(loop, &run->sigterm);
	ev_signal_start(loop, &run->sigint);
	ev_signal_start(loop, &run->sighup);
	ev_signal_start(loop, &run->sigusr1);
	run_signals_mask(SIG_UNBLOCK);
	run_notify(run, "READY=1");
	ev_run(loop, 0);
	ev_signal_stop(loop, &run->sigterm);
	ev_signal_stop(loop, &run->sigint);
	ev_signal_stop(loop, &run->sighup);
	ev_signal_stop(loop, &run->sigusr1);
	log_msg(LOG_SEV_INFO, NULL, "stopped");
	return EXIT_OK;
}

/* Double fork and setsid; returns 0 in the daemon, -1 on failure. */
static int
daemonize(void)
{
	pid_t pid;
	int fd;

	pid = fork();
	if (pid == -1)
		return -1;
	if (pid > 0)
		_exit(EXIT_OK);
	if (setsid() == -1)
		return -1;
	pid = fork();
	if (pid == -1)
		return -1;
	if (pid > 0)
		_exit(EXIT_OK);
	if (chdir("/") == -1)
		return -1;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd == -1)
		return -1;
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
	return 0;
}

static int
pidfile_write(const char *path)
{
	char text[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (write(fd, text, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static enum exit_code
cmd_start(const struct cli *cli)
{
	enum exit_code status = EXIT_OK;
	struct supervisor_hooks hooks;
	struct ev_loop *loop = NULL;
	struct run run;
	char err[512], *pidfile = NULL;
	const char *path;
	unsigned nworkers;

	memset(&run, 0, sizeof(run));
	run.cli = cli;
	run.log_fd = STDERR_FILENO;
	run.notify_fd = -1;
	run.cfg = config_get(cli, EXIT_USAGE, &status);
	if (run.cfg == NULL)
		return status;
	if (cli->daemon && run.cfg->log_file == NULL) {
		fprintf(stderr,
		    "porty: --daemon needs a log file (--log-file or log_file)\n%s",
		    usage_text);
		status = EXIT_USAGE;
		goto out;
	}
	/* The daemon chdirs to /: keep absolute paths for reload and logs. */
	run.cwd = getcwd(NULL, 0);
	path = config_search(cli);
	if (path != NULL &&
	    (run.config_path = realpath(path, NULL)) == NULL)
		run.config_path = path_absolute(run.cwd, path);
	if (run.cfg->log_file != NULL) {
		run.log_path = path_absolute(run.cwd, run.cfg->log_file);
		if (run.log_path == NULL ||
		    run_log_open(&run, run.log_path) == -1) {
			fprintf(stderr, "porty: log_file %s: %s\n",
			    run.cfg->log_file, strerror(errno));
			status = EXIT_RUNTIME;
			goto out;
		}
	}
	if (run.cfg->pidfile != NULL) {
		pidfile = realpath(run.cfg->pidfile, NULL);
		if (pidfile == NULL)
			pidfile = path_absolute(run.cwd, run.cfg->pidfile);
	}
	log_setup(run.cfg->log_format, run.log_fd);
	/* Before binding anything: an unknown user is a config error. */
	if (privdrop_lookup(run.cfg->user, run.cfg->group, &run.priv, err,
		sizeof(err)) == -1) {
		log_msg(LOG_SEV_ERROR, NULL, "%s", err);
		status = EXIT_USAGE;
		goto out;
	}
	nworkers = run.cfg->workers > 0 ? run.cfg->workers : supervisor_ncpus();
	signal(SIGPIPE, SIG_IGN);
	/*
	 * Until the watchers run, a SIGHUP (logrotate) or SIGTERM waits
	 * instead of killing porty halfway through its start.
	 */
	run_signals_mask(SIG_BLOCK);
	if (cli->daemon) {
		if (daemonize() == -1) {
			log_msg(LOG_SEV_ERROR, NULL, "daemon: %s",
			    strerror(errno));
			status = EXIT_RUNTIME;
			goto out;
		}
		(void)dup2(run.log_fd, STDERR_FILENO);
	}
	if (pidfile != NULL && pidfile_write(pidfile) == -1) {
		log_msg(LOG_SEV_ERROR, NULL, "pidfile %s: %s", pidfile,
		    strerror(errno));
		free(pidfile);
		pidfile = NULL;
		status = EXIT_RUNTIME;
		goto out;
	}
	loop = ev_default_loop(EVFLAG_AUTO);
	if (loop == NULL) {
		log_msg(LOG_SEV_ERROR, NULL, "cannot initialise the event loop");
		status = EXIT_RUNTIME;
		goto out;
	}
	if (nworkers <= 1) {
		status = run_serve(&run, loop, false);
		goto out;
	}
	hooks.reload = run_supervisor_reload;
	hooks.arg = &run;
	switch (supervisor_run(loop, nworkers, &hooks, &run.notify_fd)) {
	case SUPERVISOR_WORKER:
		/* The pid file is the supervisor's to remove. */
		free(pidfile);
		pidfile = NULL;
		status = run_serve(&run, loop, true);
		break;
	case SUPERVISOR_DONE:
		log_msg(LOG_SEV_INFO, NULL, "stopped");
		break;
	case SUPERVISOR_FAILED:
		status = EXIT_RUNTIME;
		break;
	}
out:
	if (run.srv != NULL)
		server_free(run.srv);
	admin_free(run.admin);
	stats_free(run.stats);
	if (loop != NULL)
		ev_loop_destroy(loop);
	if (pidfile != NULL && unlink(pidfile) == -1 && errno != ENOENT)
		log_msg(LOG_SEV_WARN, NULL, "cannot remove pidfile %s: %s",
		    pidfile, strerror(errno));
	free(pidfile);
	if (run.notify_fd != -1)
		close(run.notify_fd);
	if (run.log_fd != STDERR_FILENO)
		close(run.log_fd);
	free(run.log_path);
	free(run.config_path);
	free(run.cwd);
	config_free(run.cfg);
	return status;
}

int
main(int argc, char **argv)
{
	struct cli cli;

	if (cli_parse(&cli, argc, argv) == -1)
		return EXIT_USAGE;
	switch (cli.cmd) {
	case CMD_VERSION:
		printf("porty %s\n", PACKAGE_VERSION);
		return EXIT_OK;
	case CMD_HELP:
		fputs(usage_text, stdout);
		return EXIT_OK;
	case CMD_CHECK:
		return (int)cmd_check(&cli);
	case CMD_GENERATE:
		return (int)cmd_generate(&cli);
	case CMD_START:
		break;
	}
	return (int)cmd_start(&cli);
}
