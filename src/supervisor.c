/* SPDX-License-Identifier: MIT */
/* workers = N: a supervisor process that starts, watches and restarts them. */
#include "auto-config.h"

#include "supervisor.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

/*
 * A worker that dies within this many seconds of its start is restarted
 * only after as long again, so a worker that cannot start does not turn
 * the supervisor into a fork loop.
 */
#define SUPERVISOR_RESTART_DELAY 1.0

struct supervisor;

/* One worker slot; its process comes and goes. */
struct worker {
	struct supervisor *sup; /* borrowed: owns the slot */
	unsigned idx;
	pid_t pid;         /* 0: no process */
	int fd;            /* the supervisor's end of its socket, or -1 */
	ev_io io;          /* fd readable: a message, or the worker is gone */
	ev_timer restart;  /* a delayed restart */
	ev_tstamp started; /* ev_now() at fork */
	bool ready;        /* it said READY=1 since it started */
	bool reloading;    /* SIGHUP sent, READY=1 not back yet */
};

struct supervisor {
	struct ev_loop *loop;                 /* borrowed */
	const struct supervisor_hooks *hooks; /* borrowed */
	struct worker *w;                     /* owned: n slots */
	unsigned n;
	pid_t self; /* the supervisor's pid, for the workers' check */
	ev_signal sigterm, sigint, sighup, sigusr1;
	ev_child child;
	bool announced; /* READY=1 went to systemd */
	bool reloading; /* waiting for the workers' READY=1 after SIGHUP */
	bool stopping;
	bool failed;    /* a worker died before all were ready */
	bool in_worker; /* this process is a new worker */
	int worker_fd;  /* in_worker: its end of the socket */
};

/* The number of live worker processes. */
static unsigned
supervisor_alive(const struct supervisor *s)
{
	unsigned i, n = 0;

	for (i = 0; i < s->n; i++)
		if (s->w[i].pid != 0)
			n++;
	return n;
}

/* Stop every watcher of S (in a new worker, or at the end). */
static void
supervisor_stop_watchers(struct supervisor *s)
{
	unsigned i;

	ev_signal_stop(s->loop, &s->sigterm);
	ev_signal_stop(s->loop, &s->sigint);
	ev_signal_stop(s->loop, &s->sighup);
	ev_signal_stop(s->loop, &s->sigusr1);
	ev_child_stop(s->loop, &s->child);
	for (i = 0; i < s->n; i++) {
		ev_io_stop(s->loop, &s->w[i].io);
		ev_timer_stop(s->loop, &s->w[i].restart);
	}
}

/* Close W's socket (its process is gone, or this is another worker). */
static void
worker_close(struct worker *w)
{
	ev_io_stop(w->sup->loop, &w->io);
	if (w->fd != -1)
		(void)close(w->fd);
	w->fd = -1;
}

/* Tell systemd what the workers together have reached. */
static void
supervisor_check_ready(struct supervisor *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->w[i].pid == 0 || !s->w[i].ready || s->w[i].reloading)
			break;
	if (i < s->n) {
		/* A reload ends when no live worker is still at it. */
		if (s->reloading) {
			for (i = 0; i < s->n; i++)
				if (s->w[i].pid != 0 && s->w[i].reloading)
					return;
			s->reloading = false;
			notify_send("READY=1");
		}
		return;
	}
	if (!s->announced) {
		s->announced = true;
		log_msg(LOG_SEV_INFO, NULL, "porty ready: %u workers", s->n);
		notify_send("READY=1");
	}
	if (s->reloading) {
		s->reloading = false;
		log_msg(LOG_SEV_INFO, NULL, "every worker has reloaded");
		notify_send("READY=1");
	}
}

static void
worker_io_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	char msg[256];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recv(w->fd, msg, sizeof(msg) - 1, MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* Gone; ev_child tells how. */
		worker_close(w);
		return;
	}
	msg[n] = '\0';
	if (strstr(msg, "READY=1") != NULL) {
		w->ready = true;
		w->reloading = false;
		supervisor_check_ready(w->sup);
	}
}

static void worker_spawn(struct worker *w);

static void
worker_restart_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;

	(void)loop;
	(void)revents;
	if (!w->sup->stopping)
		worker_spawn(w);
}

/*
 * In the new worker process: leave the supervisor. SIGHUP, SIGTERM, SIGINT
 * and SIGUSR1 stay blocked until the worker's own watchers run (the caller
 * unblocks them then), so one sent meanwhile waits instead of killing it.
 */
static void
worker_become(struct worker *w, int fd)
{
	struct supervisor *s = w->sup;
	sigset_t set;
	unsigned i;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	(void)sigprocmask(SIG_BLOCK, &set, NULL);
	supervisor_stop_watchers(s);
	for (i = 0; i < s->n; i++)
		worker_close(&s->w[i]);
	/* Ctrl-C reaches the supervisor only, which passes it on once. */
	(void)setpgid(0, 0);
	/* A supervisor killed outright takes its workers along, gracefully. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != s->self)
		(void)kill(getpid(), SIGTERM); /* it died before prctl() */
	ev_loop_fork(s->loop);
	s->in_worker = true;
	s->worker_fd = fd;
	ev_break(s->loop, EVBREAK_ALL);
}

/* Start W's process. In the child, S->in_worker is set on return. */
static void
worker_spawn(struct worker *w)
{
	struct supervisor *s = w->sup;
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_msg(LOG_SEV_ERROR, NULL, "worker %u: socketpair: %s",
			w->idx, strerror(errno));
		goto retry;
	}
	pid = fork();
	if (pid == -1) {
		log_msg(LOG_SEV_ERROR, NULL, "worker %u: fork: %s", w->idx,
			strerror(errno));
		(void)close(sv[0]);
		(void)close(sv[1]);
		goto retry;
	}
	if (pid == 0) {
		(void)close(sv[0]);
		worker_become(w, sv[1]);
		return;
	}
	(void)close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	w->ready = false;
	w->reloading = false;
	w->started = ev_now(s->loop);
	ev_io_set(&w->io, w->fd, EV_READ);
	ev_io_start(s->loop, &w->io);
	log_msg(LOG_SEV_INFO, NULL, "worker %u started (pid %ld)", w->idx,
		(long)pid);
	return;
retry:
	ev_timer_set(&w->restart, SUPERVISOR_RESTART_DELAY, 0.);
	ev_timer_start(s->loop, &w->restart);
}

/* Send SIG to every live worker. */
static void
supervisor_kill_all(struct supervisor *s, int sig)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->w[i].pid != 0)
			(void)kill(s->w[i].pid, sig);
}

static void
supervisor_child_cb(struct ev_loop *loop, ev_child *c, int revents)
{
	struct supervisor *s = c->data;
	struct worker *w = NULL;
	int st = c->rstatus;
	ev_tstamp lived;
	unsigned i;

	(void)revents;
	for (i = 0; i < s->n; i++)
		if (s->w[i].pid == c->rpid)
			w = &s->w[i];
	if (w == NULL)
		return;
	w->pid = 0;
	w->ready = false;
	w->reloading = false;
	worker_close(w);
	lived = ev_now(loop) - w->started;
	if (WIFSIGNALED(st))
		log_msg(s->stopping ? LOG_SEV_INFO : LOG_SEV_WARN, NULL,
			"worker %u (pid %ld) killed by signal %d", w->idx,
			(long)c->rpid, WTERMSIG(st));
	else
		log_msg(s->stopping && WEXITSTATUS(st) == 0 ? LOG_SEV_INFO
							    : LOG_SEV_WARN,
			NULL, "worker %u (pid %ld) exited with status %d",
			w->idx, (long)c->rpid, WEXITSTATUS(st));
	if (!s->stopping && !s->announced) {
		/* It could not start (a bind failed?): neither will the next.
		 */
		log_msg(LOG_SEV_ERROR, NULL,
			"a worker failed to start: stopping the others");
		s->failed = true;
		s->stopping = true;
		supervisor_kill_all(s, SIGTERM);
	}
	if (s->stopping) {
		if (supervisor_alive(s) == 0)
			ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (lived < SUPERVISOR_RESTART_DELAY) {
		ev_timer_set(&w->restart, SUPERVISOR_RESTART_DELAY, 0.);
		ev_timer_start(loop, &w->restart);
	} else {
		worker_spawn(w);
		if (s->in_worker)
			return;
	}
	supervisor_check_ready(s);
}

static void
supervisor_stop_cb(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct supervisor *s = sig->data;
	const char *name = sig->signum == SIGINT ? "SIGINT" : "SIGTERM";
	unsigned i;

	(void)revents;
	if (s->stopping) {
		log_msg(LOG_SEV_INFO, NULL,
			"received %s again, telling the workers to close "
			"every connection now",
			name);
		supervisor_kill_all(s, SIGTERM);
		return;
	}
	s->stopping = true;
	log_msg(LOG_SEV_INFO, NULL, "received %s, stopping the workers", name);
	notify_send("STOPPING=1");
	for (i = 0; i < s->n; i++)
		ev_timer_stop(loop, &s->w[i].restart);
	supervisor_kill_all(s, SIGTERM);
	if (supervisor_alive(s) == 0)
		ev_break(loop, EVBREAK_ALL);
}

static void
supervisor_hup_cb(struct ev_loop *loop, ev_signal *sig, int revents)
{
	struct supervisor *s = sig->data;
	unsigned i;

	(void)loop;
	(void)revents;
	if (s->stopping)
		return;
	notify_reloading();
	if (s->hooks->reload(s->hooks->arg) == -1) {
		notify_send("READY=1");
		return;
	}
	s->reloading = true;
	for (i = 0; i < s->n; i++) {
		if (s->w[i].pid == 0)
			continue;
		s->w[i].reloading = true;
		(void)kill(s->w[i].pid, SIGHUP);
	}
	supervisor_check_ready(s);
}

/* SIGUSR1: each worker logs the status lines of its own connections. */
static void
supervisor_usr1_cb(struct ev_loop *loop, ev_signal *sig, int revents)
{
	(void)loop;
	(void)revents;
	supervisor_kill_all(sig->data, SIGUSR1);
}

static void
supervisor_free(struct supervisor *s)
{
	unsigned i;

	supervisor_stop_watchers(s);
	for (i = 0; i < s->n; i++)
		worker_close(&s->w[i]);
	free(s->w);
	free(s);
}

enum supervisor_role
supervisor_run(struct ev_loop *loop, unsigned nworkers,
	       const struct supervisor_hooks *hooks, int *notify_fd)
{
	enum supervisor_role role;
	struct supervisor *s;
	sigset_t set;
	unsigned i;

	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->w = calloc(nworkers, sizeof(*s->w))) == NULL) {
		free(s);
		log_msg(LOG_SEV_ERROR, NULL, "out of memory");
		return SUPERVISOR_FAILED;
	}
	s->loop = loop;
	s->hooks = hooks;
	s->n = nworkers;
	s->self = getpid();
	s->worker_fd = -1;
	ev_signal_init(&s->sigterm, supervisor_stop_cb, SIGTERM);
	ev_signal_init(&s->sigint, supervisor_stop_cb, SIGINT);
	ev_signal_init(&s->sighup, supervisor_hup_cb, SIGHUP);
	ev_signal_init(&s->sigusr1, supervisor_usr1_cb, SIGUSR1);
	ev_child_init(&s->child, supervisor_child_cb, 0, 0);
	s->sigterm.data = s->sigint.data = s->sighup.data = s;
	s->sigusr1.data = s;
	s->child.data = s;
	ev_signal_start(loop, &s->sigterm);
	ev_signal_start(loop, &s->sigint);
	ev_signal_start(loop, &s->sighup);
	ev_signal_start(loop, &s->sigusr1);
	ev_child_start(loop, &s->child);
	for (i = 0; i < nworkers; i++) {
		struct worker *w = &s->w[i];

		w->sup = s;
		w->idx = i + 1;
		w->fd = -1;
		ev_init(&w->io, worker_io_cb);
		w->io.data = w;
		ev_init(&w->restart, worker_restart_cb);
		w->restart.data = w;
	}
	log_msg(LOG_SEV_INFO, NULL, "supervisor (pid %ld) starting %u workers",
		(long)s->self, nworkers);
	for (i = 0; i < nworkers && !s->in_worker; i++)
		worker_spawn(&s->w[i]);
	if (!s->in_worker) {
		/* The caller blocked them until a watcher would run. */
		sigemptyset(&set);
		sigaddset(&set, SIGHUP);
		sigaddset(&set, SIGTERM);
		sigaddset(&set, SIGINT);
		sigaddset(&set, SIGUSR1);
		(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
		ev_run(loop, 0);
	}
	if (s->in_worker) {
		*notify_fd = s->worker_fd;
		role = SUPERVISOR_WORKER;
	} else {
		role = s->failed ? SUPERVISOR_FAILED : SUPERVISOR_DONE;
	}
	supervisor_free(s);
	return role;
}

unsigned
supervisor_ncpus(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}
