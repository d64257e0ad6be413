/* SPDX-License-Identifier: MIT */
/* workers = N: a supervisor process that starts, watches and restarts them. */
#ifndef PORTY_SUPERVISOR_H
#define PORTY_SUPERVISOR_H

#include <ev.h>

/* How supervisor_run() returned. */
enum supervisor_role {
	SUPERVISOR_DONE = 0, /* the supervisor: every worker has stopped */
	SUPERVISOR_WORKER,   /* a new worker process: serve, then exit */
	SUPERVISOR_FAILED,   /* the supervisor: a worker failed at start */
};

/* What the supervisor asks of its caller (main.c), all in the supervisor. */
struct supervisor_hooks {
	/* SIGHUP: reopen the log, re-read and check the config, keep it for
	   the workers started from now on. Returns 0 when the workers should
	   reload too, -1 when the file was refused (already logged). */
	int (*reload)(void *arg);
	void *arg;
};

/*
 * Run NWORKERS (>= 2) worker processes on the default loop LOOP until a
 * SIGTERM/SIGINT has stopped them all (SIGHUP, SIGTERM and SIGINT may be
 * blocked on entry: they are unblocked once the supervisor's watchers run).
 * Each worker is a fork() of this process: supervisor_run() returns
 * SUPERVISOR_WORKER in it, with the
 * supervisor's watchers stopped and its memory freed, LOOP ready for reuse
 * (ev_loop_fork), SIGHUP, SIGTERM and SIGINT blocked (unblock them once
 * the worker's signal watchers run) and *NOTIFY_FD set to a socket on
 * which the worker sends "READY=1" once it serves and after each reload. The
 * supervisor itself binds nothing: it sends READY=1 to systemd once every
 * worker is ready, RELOADING=1 and READY=1 around a reload (forwarding
 * SIGHUP when HOOKS->reload accepts the file), passes SIGTERM and SIGINT
 * on, and replaces a worker that dies (after a second when it died within
 * a second of its start). A worker that exits before the first READY=1 of
 * all of them ends the supervisor: SUPERVISOR_FAILED once the others are
 * gone.
 */
enum supervisor_role supervisor_run(struct ev_loop *loop, unsigned nworkers,
				    const struct supervisor_hooks *hooks,
				    int *notify_fd);

/* The number of CPUs this process may run on (workers = "auto"), >= 1. */
unsigned supervisor_ncpus(void);

#endif /* PORTY_SUPERVISOR_H */
