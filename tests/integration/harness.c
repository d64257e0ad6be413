/* SPDX-License-Identifier: MIT */
/* Integration harness: temp dirs, free ports, porty processes, peers. */
#include "auto-config.h"

#include "harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Memory handed to the test; freed with the harness. */
struct harness_mem {
	struct harness_mem *next;
	char data[];
};

struct harness_proc {
	struct harness_proc *next; /* in harness.procs, in start order */
	struct harness *h;         /* borrowed: owns this */
	pid_t pid;
	unsigned n; /* names its files in logs/ */
	bool reaped;
	int status;           /* as in harness_result, once reaped */
	const char *cmd;      /* the command line, for the dump */
	const char *out_path; /* captured stdout */
	const char *err_path; /* captured stderr */
};

struct harness_backend {
	struct harness_backend *next;
	pid_t pid;
	int port;
	int report_fd; /* read end: one struct harness_digest per connection */
	const char *rec_path; /* HARNESS_HTTP: the record file (owned by H) */
};

struct harness_http_conn {
	struct harness_http_conn *next; /* in harness.conns */
	struct harness *h;              /* borrowed: owns this */
	int fd;                         /* -1 once closed */
	size_t len;                     /* bytes in buf */
	char buf[131072];
};

#define HARNESS_MAX_FDS 64

struct harness {
	struct harness *next; /* in harness_live */
	char *dir;            /* owned: the mkdtemp() directory */
	struct harness_mem *mem;
	struct harness_proc *procs;
	struct harness_backend *backends;
	int fds[HARNESS_MAX_FDS]; /* owned sockets: listeners, blackhole */
	size_t nfds;
	unsigned nstarted;               /* names the capture files */
	struct harness_http_conn *conns; /* owned: HTTP client connections */
};

/*
 * The harnesses not yet freed, for the checked teardown: in CK_FORK=no a
 * failed assertion longjmp()s out of the test, which must not leave porty
 * running into the next test. (In fork mode check _exit()s the test and
 * kills its process group; harness_reap() then finds the temp dir.)
 */
static struct harness *harness_live;

/* The runner's pid: names the temp dirs of this run, for harness_reap(). */
static long harness_run_id;

static void harness_die(const char *what) PORTY_NORETURN;

static void
harness_die(const char *what)
{
	ck_abort_msg("harness: %s: %s", what, strerror(errno));
	abort(); /* not reached: ck_abort_msg does not return */
}

/* --- time -------------------------------------------------------------- */

int64_t
harness_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
harness_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static bool
harness_valgrind(void)
{
	const char *v = getenv("PORTY_VALGRIND");

	return v != NULL && strcmp(v, "1") == 0;
}

int
harness_ms(int ms)
{
	return harness_valgrind() ? ms * 10 : ms;
}

double
harness_timeout(double seconds)
{
	return harness_valgrind() ? seconds * 10 : seconds;
}

/* Milliseconds left until DEADLINE, never negative. */
static int
harness_left(int64_t deadline)
{
	int64_t left = deadline - harness_now_ms();

	return left > 0 ? (int)left : 0;
}

/* --- memory and files -------------------------------------------------- */

static void *
harness_alloc(struct harness *h, size_t len)
{
	struct harness_mem *m = malloc(sizeof(*m) + len + 1);

	if (m == NULL)
		harness_die("malloc");
	m->next = h->mem;
	h->mem = m;
	memset(m->data, 0, len + 1);
	return m->data;
}

static char *harness_vfmt(struct harness *h, const char *fmt, va_list ap)
    PORTY_PRINTF(2, 0);

static char *
harness_vfmt(struct harness *h, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *s;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	ck_assert_int_ge(n, 0);
	s = harness_alloc(h, (size_t)n);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

const char *
harness_fmt(struct harness *h, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = harness_vfmt(h, fmt, ap);
	va_end(ap);
	return s;
}

static char *
harness_strdup(struct harness *h, const char *s)
{
	size_t len = strlen(s);
	char *d = harness_alloc(h, len);

	memcpy(d, s, len);
	return d;
}

const char *
harness_dir(const struct harness *h)
{
	return h->dir;
}

const char *
harness_path(struct harness *h, const char *name)
{
	return harness_fmt(h, "%s/%s", h->dir, name);
}

const char *
harness_write(struct harness *h, const char *name, const char *fmt, ...)
{
	const char *path = harness_path(h, name);
	va_list ap;
	char *text;
	FILE *f;

	va_start(ap, fmt);
	text = harness_vfmt(h, fmt, ap);
	va_end(ap);
	f = fopen(path, "w");
	if (f == NULL)
		harness_die(path);
	if (fputs(text, f) == EOF || fclose(f) == EOF)
		harness_die(path);
	return path;
}

const char *
harness_read(struct harness *h, const char *path)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	/* The file may grow while porty writes it: read what fstat saw. */
	buf = harness_alloc(h, (size_t)st.st_size);
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

const char *
harness_data(struct harness *h, const char *name)
{
	const char *srcdir = getenv("PORTY_SRCDIR");
	const char *path;

	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	path = harness_fmt(h, "%s/tests/data/%s", srcdir, name);
	ck_assert_msg(access(path, R_OK) == 0,
		      "fixture %s not readable (is PORTY_SRCDIR set?)", path);
	return path;
}

/* --- life cycle -------------------------------------------------------- */

void
harness_init(void)
{
	harness_run_id = (long)getpid();
	/* Orphans of a failed test come to us, for harness_reap(). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
}

struct harness *
harness_new(const char *test)
{
	const char *tmp = getenv("TMPDIR");
	struct harness *h;
	int len;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if (harness_run_id == 0)
		harness_init();
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		harness_die("calloc");
	len = asprintf(&h->dir, "%s/porty-it.%ld.XXXXXX", tmp, harness_run_id);
	if (len == -1)
		harness_die("asprintf");
	if (mkdtemp(h->dir) == NULL)
		harness_die(h->dir);
	h->next = harness_live;
	harness_live = h;
	/* Captured output goes to a subdirectory, out of porty's cwd. */
	if (mkdir(harness_path(h, "logs"), 0700) == -1)
		harness_die("mkdir logs");
	/* START_TEST names the function NAME_fn; the dump shows NAME. */
	len = (int)strlen(test);
	if (len > 3 && strcmp(test + len - 3, "_fn") == 0)
		len -= 3;
	harness_write(h, "logs/test", "%.*s\n", len, test);
	return h;
}

static int
harness_rm_cb(const char *path, const struct stat *st, int flag,
	      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Convert a waitpid() status to the harness_result convention. */
static int
harness_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return HARNESS_TIMED_OUT;
}

/* Reap P if it has exited; true once it has. */
static bool
harness_proc_poll(struct harness_proc *p)
{
	int ws;
	pid_t r;

	if (p->reaped)
		return true;
	r = waitpid(p->pid, &ws, WNOHANG);
	if (r == p->pid) {
		p->reaped = true;
		p->status = harness_status(ws);
		harness_write(p->h, harness_fmt(p->h, "logs/%u.status", p->n),
			      "%d\n", p->status);
	}
	return p->reaped;
}

/* Kill PID, and its process group when GROUP (a started process leads
 * one, so that whatever it forked goes too), then reap it. */
static void
harness_kill(pid_t pid, bool group)
{
	if (group)
		kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

/* The last 32 KiB of the file DIR/logs/NAME to stderr, under TITLE. */
static void
harness_dump_file(const char *dir, const char *name, const char *title)
{
	const off_t limit = 32768;
	char path[4096], buf[4096];
	struct stat st;
	ssize_t n;
	char last = '\n';
	int fd;

	snprintf(path, sizeof(path), "%s/logs/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1) {
		fprintf(stderr, "---- %s: (none)\n", title);
		if (fd != -1)
			close(fd);
		return;
	}
	fprintf(stderr, "---- %s%s ----\n", title,
		st.st_size > limit ? " (last 32 KiB)" : "");
	if (st.st_size > limit)
		lseek(fd, st.st_size - limit, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stderr);
		last = buf[n - 1];
	}
	if (last != '\n')
		fputc('\n', stderr);
	close(fd);
}

/* "exit status N" from DIR/logs/N.status, or "still running". */
static void
harness_dump_status(const char *dir, unsigned n, char *buf, size_t len)
{
	char path[4096];
	FILE *f;
	int st;

	snprintf(buf, len, "still running");
	snprintf(path, sizeof(path), "%s/logs/%u.status", dir, n);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fscanf(f, "%d", &st) == 1)
		snprintf(buf, len, "exit status %d", st);
	fclose(f);
}

/* Dump the request records of DIR's HTTP backends (logs/http-PORT.rec). */
static void
harness_dump_records(const char *dir)
{
	char path[4096], title[128];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/logs", dir);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "http-", 5) != 0)
			continue;
		snprintf(title, sizeof(title), "HTTP backend records %.64s",
			 e->d_name);
		harness_dump_file(dir, e->d_name, title);
	}
	closedir(d);
}

/*
 * Dump what the failed test whose temp dir is DIR left: its name, and for
 * every process it started (logs/manifest: "N PID COMMAND") the exit status
 * and captured stdout and stderr.
 */
static void
harness_dump_dir(const char *dir)
{
	char path[4096], line[4096], test[256] = "?", name[64], status[32];
	unsigned n;
	int pid, off;
	FILE *f;

	snprintf(path, sizeof(path), "%s/logs/test", dir);
	f = fopen(path, "re");
	if (f != NULL) {
		if (fgets(test, sizeof(test), f) != NULL)
			test[strcspn(test, "\n")] = '\0';
		fclose(f);
	}
	fprintf(stderr, "==== %s failed; the processes it started (%s) ====\n",
		test, dir);
	snprintf(path, sizeof(path), "%s/logs/manifest", dir);
	f = fopen(path, "re");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u %d %n", &n, &pid, &off) != 2)
			continue;
		line[strcspn(line, "\n")] = '\0';
		harness_dump_status(dir, n, status, sizeof(status));
		fprintf(stderr, "---- $ %s  (pid %d, %s)\n", line + off, pid,
			status);
		snprintf(name, sizeof(name), "%u.out", n);
		harness_dump_file(dir, name, "stdout");
		snprintf(name, sizeof(name), "%u.err", n);
		harness_dump_file(dir, name, "stderr");
	}
	if (f != NULL)
		fclose(f);
	harness_dump_records(dir);
	fprintf(stderr, "==== end of %s ====\n", test);
}

void
harness_free(struct harness *h)
{
	struct harness **pp;
	struct harness_proc *p;
	struct harness_backend *b;
	struct harness_mem *m;
	struct harness_http_conn *hc;
	size_t i;

	for (pp = &harness_live; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	while ((b = h->backends) != NULL) {
		h->backends = b->next;
		harness_kill(b->pid, false);
		close(b->report_fd);
		free(b);
	}
	for (p = h->procs; p != NULL; p = p->next) {
		if (!harness_proc_poll(p))
			harness_kill(p->pid, true);
		else
			kill(-p->pid, SIGKILL); /* its children, if any */
	}
	while ((p = h->procs) != NULL) {
		h->procs = p->next;
		free(p);
	}
	for (i = 0; i < h->nfds; i++)
		close(h->fds[i]);
	while ((hc = h->conns) != NULL) {
		h->conns = hc->next;
		if (hc->fd != -1)
			close(hc->fd);
		free(hc);
	}
	nftw(h->dir, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	while ((m = h->mem) != NULL) {
		h->mem = m->next;
		free(m);
	}
	free(h->dir);
	free(h);
}

void
harness_teardown(void)
{
	struct harness *h;
	struct harness_proc *p;

	while ((h = harness_live) != NULL) {
		for (p = h->procs; p != NULL; p = p->next)
			harness_proc_poll(p);
		harness_dump_dir(h->dir);
		harness_free(h);
	}
}

/* Kill the process group of every process DIR/logs/manifest names. */
static void
harness_kill_groups(const char *dir)
{
	char path[4096], line[4096];
	unsigned n;
	int pid;
	FILE *f;

	snprintf(path, sizeof(path), "%s/logs/manifest", dir);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%u %d", &n, &pid) == 2 && pid > 1)
			kill(-pid, SIGKILL);
	}
	fclose(f);
}

void
harness_reap(void)
{
	const char *tmp = getenv("TMPDIR");
	char prefix[64], path[2048];
	struct dirent *e;
	pid_t r;
	DIR *d;
	int i;

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(prefix, sizeof(prefix), "porty-it.%ld.", harness_run_id);
	d = opendir(tmp);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
		/* check killed the test's process group, not these. */
		harness_kill_groups(path);
		harness_dump_dir(path);
		nftw(path, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	}
	closedir(d);
	/* Reap what was killed (we are the subreaper); bounded, in case a
	 * daemon that escaped its group lingers. */
	for (i = 0; i < 50; i++) {
		r = waitpid(-1, NULL, WNOHANG);
		if (r == -1 && errno != EINTR)
			break;
		if (r == 0)
			harness_sleep_ms(10);
	}
}

TCase *
harness_tcase(const char *name, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, NULL, harness_teardown);
	tcase_add_unchecked_fixture(tc, NULL, harness_reap);
	tcase_set_timeout(tc, harness_timeout(timeout));
	return tc;
}

/* --- addresses and sockets --------------------------------------------- */

static socklen_t
harness_addr(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_loopback;
		return sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*s4);
	}
}

static int
harness_sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)(void *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)(void *)&ss)->sin_port);
}

/* A socket bound to loopback PORT (0: any) of FAMILY, or -1 with errno. */
static int
harness_bind(int family, int port, bool reuse)
{
	struct sockaddr_storage ss;
	socklen_t len = harness_addr(family, port, &ss);
	int one = 1;
	int fd, e;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

bool
harness_have_ipv6(void)
{
	int fd = harness_bind(AF_INET6, 0, false);

	if (fd == -1)
		return false;
	close(fd);
	return true;
}

int
harness_port(int family)
{
	int fd = harness_bind(family, 0, false);
	int port;

	if (fd == -1)
		harness_die("bind loopback:0");
	port = harness_sock_port(fd);
	close(fd);
	ck_assert_int_gt(port, 0);
	return port;
}

static void
harness_own_fd(struct harness *h, int fd)
{
	ck_assert_uint_lt(h->nfds, HARNESS_MAX_FDS);
	h->fds[h->nfds++] = fd;
}

int
harness_listen(struct harness *h, int family, int backlog, int *port)
{
	int fd = harness_bind(family, 0, false);

	if (fd == -1 || listen(fd, backlog) == -1)
		harness_die("listen loopback:0");
	harness_own_fd(h, fd);
	*port = harness_sock_port(fd);
	return fd;
}

/* Start a non-blocking connect; -1 on immediate failure. */
static int
harness_connect_start(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = harness_addr(family, port, &ss);
	int fd, e;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Wait up to MS for a connect on FD to finish: 0, errno, or ETIMEDOUT. */
static int
harness_connect_finish(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	socklen_t len = sizeof(int);
	int64_t deadline = harness_now_ms() + ms;
	int err = 0, r;

	do {
		r = poll(&pfd, 1, harness_left(deadline));
	} while (r == -1 && errno == EINTR);
	if (r == 0)
		return ETIMEDOUT;
	if (r == -1)
		return errno;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		return errno;
	return err;
}

int
harness_connect(int family, int port, int ms)
{
	int fd = harness_connect_start(family, port);
	int err;

	if (fd == -1)
		return -1;
	err = harness_connect_finish(fd, ms);
	if (err != 0) {
		close(fd);
		errno = err;
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int
harness_blackhole(struct harness *h, int family)
{
	int port, i, fd, err;

	/*
	 * Linux drops a SYN to a listener whose accept queue is full, so a
	 * connect() to it neither succeeds nor is refused: it times out.
	 * Backlog 0 holds one connection; fill it until a connect hangs.
	 */
	harness_listen(h, family, 0, &port);
	for (i = 0; i < 32; i++) {
		fd = harness_connect_start(family, port);
		if (fd == -1)
			harness_die("connect to the blackhole");
		harness_own_fd(h, fd);
		err = harness_connect_finish(fd, harness_ms(200));
		if (err == ETIMEDOUT)
			return port;
		ck_assert_msg(err == 0, "blackhole filler: %s", strerror(err));
	}
	ck_abort_msg("the blackhole listener never filled up");
	return -1;
}

/* Whether the /proc/net/tcp-style FILE lists a LISTEN socket on PORT. */
static int
harness_proc_net_listening(const char *file, int port)
{
	char line[512], local[128];
	unsigned st;
	unsigned long p;
	char *colon;
	FILE *f;
	bool found = false;

	f = fopen(file, "re");
	if (f == NULL)
		return -1;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%*s %127s %*s %x", local, &st) != 2)
			continue;
		colon = strrchr(local, ':');
		if (colon == NULL)
			continue;
		p = strtoul(colon + 1, NULL, 16);
		found = p == (unsigned long)port && st == 0x0A;
	}
	fclose(f);
	return found;
}

bool
harness_port_listening(int port)
{
	int v4, v6, fd;

	/*
	 * /proc answers without connecting: a probe connection would be
	 * forwarded by porty and show up in its logs, counts and limits.
	 */
	v4 = harness_proc_net_listening("/proc/net/tcp", port);
	v6 = harness_proc_net_listening("/proc/net/tcp6", port);
	if (v4 == 1 || v6 == 1)
		return true;
	if (v4 == 0 || v6 == 0)
		return false;
	fd = harness_connect(AF_INET, port, 100);
	if (fd == -1)
		return false;
	close(fd);
	return true;
}

bool
harness_send(int fd, const void *buf, size_t len, int ms)
{
	const char *p = buf;
	int64_t deadline = harness_now_ms() + ms;
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return false;
		if (harness_left(deadline) == 0)
			return false;
		poll(&pfd, 1, harness_left(deadline));
	}
	return true;
}

size_t
harness_recv(int fd, void *buf, size_t len, int ms)
{
	char *p = buf;
	size_t got = 0;
	int64_t deadline = harness_now_ms() + ms;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;

	while (got < len) {
		n = recv(fd, p + got, len - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			break;
		if (harness_left(deadline) == 0)
			break;
		poll(&pfd, 1, harness_left(deadline));
	}
	return got;
}

bool
harness_readable(int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int r;

	do {
		r = poll(&pfd, 1, ms);
	} while (r == -1 && errno == EINTR);
	return r == 1;
}

int
harness_wait_closed(int fd, int ms)
{
	int64_t start = harness_now_ms(), deadline = start + ms;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			return (int)(harness_now_ms() - start);
		if (n > 0)
			continue;
		if (harness_left(deadline) == 0)
			return -1;
		poll(&pfd, 1, harness_left(deadline));
	}
}

/* --- patterns and digests ---------------------------------------------- */

void
harness_digest_init(struct harness_digest *d)
{
	d->len = 0;
	d->hash = 0xcbf29ce484222325ULL; /* FNV-1a 64 offset basis */
}

void
harness_digest_update(struct harness_digest *d, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t hash = d->hash;
	size_t i;

	for (i = 0; i < len; i++) {
		hash ^= p[i];
		hash *= 0x100000001b3ULL; /* FNV-1a 64 prime */
	}
	d->hash = hash;
	d->len += len;
}

/* splitmix64's finalizer: a well-mixed 64-bit value from a counter. */
static uint64_t
harness_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void
harness_pattern(uint64_t seed, uint64_t off, void *buf, size_t len)
{
	/*
	 * Byte OFF depends on the seed and OFF only, so a writer can resume
	 * after a short write, and the stream never repeats: a dropped,
	 * duplicated or reordered block changes the digest.
	 */
	unsigned char *p = buf;
	uint64_t key = harness_mix(seed), v;
	unsigned i;

	while (len > 0) {
		v = harness_mix(key ^ (off / 8));
		for (i = (unsigned)(off % 8); i < 8 && len > 0; i++, len--) {
			*p++ = (unsigned char)(v >> (8 * i));
			off++;
		}
	}
}

struct harness_digest
harness_pattern_digest(uint64_t seed, uint64_t len)
{
	struct harness_digest d;
	unsigned char buf[16384];
	uint64_t off = 0;
	size_t n;

	harness_digest_init(&d);
	while (off < len) {
		n = len - off < sizeof(buf) ? (size_t)(len - off) : sizeof(buf);
		harness_pattern(seed, off, buf, n);
		harness_digest_update(&d, buf, n);
		off += n;
	}
	return d;
}

/* --- client transfers -------------------------------------------------- */

static bool
harness_xfer_may_send(const struct harness_xfer *x)
{
	return x->error == 0 && !x->shut && (!x->send_after_eof || x->eof);
}

/* Move as many bytes as the socket takes now, both ways. */
static void
harness_xfer_step(struct harness_xfer *x)
{
	unsigned char buf[65536];
	size_t n;
	ssize_t r;

	while (x->error == 0 && !x->eof) {
		r = recv(x->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r > 0) {
			harness_digest_update(&x->rx, buf, (size_t)r);
		} else if (r == 0) {
			x->eof = true;
		} else {
			if (errno != EAGAIN && errno != EINTR)
				x->error = errno;
			break;
		}
	}
	while (harness_xfer_may_send(x) && x->sent < x->send_len) {
		n = x->send_len - x->sent < sizeof(buf)
			? (size_t)(x->send_len - x->sent)
			: sizeof(buf);
		harness_pattern(x->send_seed, x->sent, buf, n);
		r = send(x->fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r > 0) {
			x->sent += (uint64_t)r;
		} else {
			if (errno != EAGAIN && errno != EINTR)
				x->error = errno;
			break;
		}
	}
	if (harness_xfer_may_send(x) && x->sent == x->send_len) {
		if (shutdown(x->fd, SHUT_WR) == -1)
			x->error = errno;
		x->shut = true;
	}
	x->done = x->error != 0 || (x->shut && x->eof);
}

bool
harness_xfer(struct harness_xfer *x, size_t n, int ms)
{
	int64_t deadline = harness_now_ms() + ms;
	struct pollfd *pfd;
	size_t i, k;
	bool all;
	int r;

	pfd = calloc(n, sizeof(*pfd));
	if (pfd == NULL)
		harness_die("calloc");
	for (i = 0; i < n; i++) {
		fcntl(x[i].fd, F_SETFL, fcntl(x[i].fd, F_GETFL) | O_NONBLOCK);
		x[i].eof = x[i].shut = x[i].done = false;
		x[i].error = 0;
		harness_digest_init(&x[i].rx);
		harness_xfer_step(&x[i]);
	}
	for (;;) {
		all = true;
		for (i = 0, k = 0; i < n; i++) {
			if (x[i].done)
				continue;
			all = false;
			pfd[k].fd = x[i].fd;
			pfd[k].events = POLLIN;
			if (harness_xfer_may_send(&x[i]))
				pfd[k].events |= POLLOUT;
			pfd[k].revents = 0;
			k++;
		}
		if (all || harness_left(deadline) == 0)
			break;
		r = poll(pfd, k, harness_left(deadline));
		if (r == -1 && errno != EINTR)
			harness_die("poll");
		for (i = 0; i < n; i++) {
			if (!x[i].done)
				harness_xfer_step(&x[i]);
		}
	}
	free(pfd);
	return all;
}

/* --- processes --------------------------------------------------------- */

/* Close every descriptor from 3 up, except KEEP1 and KEEP2 (-1: none). */
static void
harness_close_from3(int keep1, int keep2)
{
	int lo = keep1 < keep2 ? keep1 : keep2;
	int hi = keep1 < keep2 ? keep2 : keep1;

	if (lo < 3)
		lo = hi;
	if (lo < 3) {
		close_range(3, ~0U, 0);
		return;
	}
	if (lo > 3)
		close_range(3, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
}

/* A forked child starts with default signal handling (check's runner
 * installs handlers that kill the whole test process group). */
static void
harness_child_signals(void)
{
	sigset_t none;

	signal(SIGPIPE, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Die with the test process even when check cannot kill us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static struct harness_proc *
harness_spawn(struct harness *h, const struct harness_opts *o, char **full);

static void harness_child_exec(const struct harness_proc *p,
			       const struct harness_opts *o, const char *cwd,
			       char **argv) PORTY_NORETURN;

static void
harness_child_exec(const struct harness_proc *p, const struct harness_opts *o,
		   const char *cwd, char **argv)
{
	const char *const *e;
	const char *eq;
	char name[256];
	int in, out, err;

	in = open("/dev/null", O_RDONLY);
	out = open(p->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	err = open(p->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in == -1 || out == -1 || err == -1)
		_exit(126);
	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	close_range(3, ~0U, 0);
	harness_child_signals();
	/* Its own process group, so cleanup can kill what it forks. */
	setpgid(0, 0);
	if (chdir(cwd) == -1) {
		dprintf(2, "harness: chdir %s: %s\n", cwd, strerror(errno));
		_exit(126);
	}
	/* The test decides which config porty finds, not the caller's env. */
	unsetenv("PORTY_CONFIG");
	for (e = o != NULL ? o->env : NULL; e != NULL && *e != NULL; e++) {
		eq = strchr(*e, '=');
		if (eq == NULL) {
			unsetenv(*e);
		} else if ((size_t)(eq - *e) < sizeof(name)) {
			memcpy(name, *e, (size_t)(eq - *e));
			name[eq - *e] = '\0';
			setenv(name, eq + 1, 1);
		}
	}
	execvp(argv[0], argv);
	dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Append P to logs/manifest, which harness_dump_dir() reads. */
static void
harness_manifest(struct harness *h, const struct harness_proc *p)
{
	FILE *f = fopen(harness_path(h, "logs/manifest"), "ae");

	if (f == NULL)
		harness_die("logs/manifest");
	fprintf(f, "%u %d %s\n", p->n, (int)p->pid, p->cmd);
	fclose(f);
}

struct harness_proc *
harness_start(struct harness *h, const struct harness_opts *o,
	      const char *const *argv)
{
	static const char *const vg[] = {"valgrind", "--error-exitcode=99",
					 "-q", "--leak-check=full"};
	const char *bin = getenv("PORTY_BIN");
	size_t n, i, k = 0;
	char **full;

	ck_assert_msg(bin != NULL && *bin != '\0', "PORTY_BIN is not set");
	for (n = 0; argv[n] != NULL; n++)
		;
	full = harness_alloc(h, (n + 6) * sizeof(char *));
	if (harness_valgrind()) {
		for (i = 0; i < ARRAY_SIZE(vg); i++)
			full[k++] = harness_strdup(h, vg[i]);
	}
	full[k++] = harness_strdup(h, bin);
	for (i = 0; i < n; i++)
		full[k++] = harness_strdup(h, argv[i]);
	full[k] = NULL;
	return harness_spawn(h, o, full);
}

/* Start FULL (NULL-ended, FULL[0] found on $PATH) as harness_start() does. */
static struct harness_proc *
harness_spawn(struct harness *h, const struct harness_opts *o, char **full)
{
	struct harness_proc *p, **tail;
	size_t i, k, cmdlen = 0;
	char *cmd;

	for (k = 0; full[k] != NULL; k++)
		;
	for (i = 0; i < k; i++)
		cmdlen += strlen(full[i]) + 1;
	cmd = harness_alloc(h, cmdlen);
	for (i = 0; i < k; i++) {
		strcat(cmd, full[i]);
		if (i + 1 < k)
			strcat(cmd, " ");
	}

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		harness_die("calloc");
	p->h = h;
	p->cmd = cmd;
	p->n = ++h->nstarted;
	p->out_path = harness_fmt(h, "%s/logs/%u.out", h->dir, p->n);
	p->err_path = harness_fmt(h, "%s/logs/%u.err", h->dir, p->n);
	for (tail = &h->procs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = p;
	fflush(NULL);
	p->pid = fork();
	if (p->pid == -1)
		harness_die("fork");
	if (p->pid == 0) {
		harness_child_exec(
		    p, o, o != NULL && o->cwd != NULL ? o->cwd : h->dir, full);
	}
	setpgid(p->pid, p->pid); /* as the child does: whoever runs first */
	harness_manifest(h, p);
	return p;
}

int
harness_wait(struct harness_proc *p, int ms)
{
	int64_t deadline = harness_now_ms() + ms;

	while (!harness_proc_poll(p)) {
		if (harness_left(deadline) == 0)
			return HARNESS_TIMED_OUT;
		harness_sleep_ms(5);
	}
	return p->status;
}

/* Wait up to MS for P to exit (killing it then) and collect its output. */
static const struct harness_result *
harness_collect(struct harness *h, struct harness_proc *p, int ms)
{
	struct harness_result *r = harness_alloc(h, sizeof(*r));

	r->status = harness_wait(p, harness_ms(ms));
	if (r->status == HARNESS_TIMED_OUT) {
		harness_kill(p->pid, true);
		p->reaped = true;
		p->status = HARNESS_TIMED_OUT;
	}
	r->out = harness_read(h, p->out_path);
	r->err = harness_read(h, p->err_path);
	if (r->out == NULL)
		r->out = "";
	if (r->err == NULL)
		r->err = "";
	return r;
}

const struct harness_result *
harness_run(struct harness *h, const struct harness_opts *o,
	    const char *const *argv)
{
	return harness_collect(h, harness_start(h, o, argv), 10000);
}

bool
harness_wait_port(struct harness_proc *p, int port, int ms)
{
	int64_t deadline = harness_now_ms() + ms;

	for (;;) {
		if (harness_port_listening(port))
			return true;
		if ((p != NULL && harness_proc_poll(p)) ||
		    harness_left(deadline) == 0)
			return false;
		harness_sleep_ms(10);
	}
}

struct harness_proc *
harness_serve(struct harness *h, int port, const char *toml)
{
	const char *path = harness_write(h, "porty.toml", "%s", toml);
	const char *argv[] = {"start", "--config", path, NULL};
	struct harness_proc *p = harness_start(h, NULL, argv);

	ck_assert_msg(harness_wait_port(p, port, harness_ms(10000)),
		      "porty did not listen on port %d (exit status %d)", port,
		      p->reaped ? p->status : -1);
	return p;
}

void
harness_signal(struct harness_proc *p, int sig)
{
	if (!harness_proc_poll(p))
		kill(p->pid, sig);
}

void
harness_stop(struct harness_proc *p)
{
	int st;

	harness_signal(p, SIGTERM);
	st = harness_wait(p, harness_ms(15000));
	ck_assert_msg(st != HARNESS_TIMED_OUT,
		      "porty did not exit within 15 s of SIGTERM");
	ck_assert_msg(st == 0, "porty exited with status %d after SIGTERM", st);
}

const char *
harness_log(struct harness_proc *p)
{
	const char *text = harness_read(p->h, p->err_path);

	return text != NULL ? text : "";
}

bool
harness_wait_log(struct harness_proc *p, const char *needle, int ms)
{
	int64_t deadline = harness_now_ms() + ms;

	for (;;) {
		if (harness_contains(harness_log(p), needle))
			return true;
		if (harness_left(deadline) == 0)
			return false;
		harness_sleep_ms(10);
	}
}

/* --- backends ---------------------------------------------------------- */

#define BACKEND_BUF 16384

/* One accepted connection of a backend child. */
struct backend_conn {
	int fd;
	bool rd_eof, wr_shut;
	uint64_t tx_off;   /* SINK, SOURCE: pattern bytes sent */
	size_t boff, blen; /* ECHO: bytes of buf still to send */
	struct harness_digest rx;
	unsigned char buf[BACKEND_BUF];
};

/* Report what C received to the parent over WFD, then free C. */
static void
backend_conn_finish(int wfd, struct backend_conn *c)
{
	struct harness_digest rx = c->rx;

	if (write(wfd, &rx, sizeof(rx)) != (ssize_t)sizeof(rx))
		_exit(5);
	close(c->fd);
	free(c);
}

/* Whether C still has bytes to send now. */
static bool
backend_conn_output(const struct backend_conn *c,
		    const struct harness_backend_opts *o)
{
	switch (o->kind) {
	case HARNESS_ECHO:
		return c->boff < c->blen;
	case HARNESS_SINK:
		return c->rd_eof && c->tx_off < o->reply_len;
	case HARNESS_SOURCE:
		return c->tx_off < o->reply_len;
	case HARNESS_HTTP: /* served by http_backend_main() */
		break;
	}
	return false;
}

/* Whether everything C had to send is sent, so it may shut down. */
static bool
backend_conn_complete(const struct backend_conn *c,
		      const struct harness_backend_opts *o)
{
	if (o->kind == HARNESS_SOURCE)
		return c->tx_off == o->reply_len;
	return c->rd_eof && !backend_conn_output(c, o);
}

static bool
backend_conn_wants_read(const struct backend_conn *c,
			const struct harness_backend_opts *o)
{
	return !c->rd_eof && (o->kind != HARNESS_ECHO || c->boff == c->blen);
}

/* Move what can be moved now; true when C is finished. */
static bool
backend_conn_step(struct backend_conn *c, const struct harness_backend_opts *o)
{
	unsigned char out[BACKEND_BUF];
	bool progress = true;
	ssize_t r;
	size_t n;

	while (progress && !(c->rd_eof && c->wr_shut)) {
		progress = false;
		if (backend_conn_wants_read(c, o)) {
			r = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
			if (r > 0) {
				harness_digest_update(&c->rx, c->buf,
						      (size_t)r);
				c->boff = 0;
				c->blen =
				    o->kind == HARNESS_ECHO ? (size_t)r : 0;
				progress = true;
			} else if (r == 0) {
				c->rd_eof = progress = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				c->rd_eof = c->wr_shut = true;
			}
		}
		if (!c->wr_shut && backend_conn_output(c, o)) {
			if (o->kind == HARNESS_ECHO) {
				r = send(c->fd, c->buf + c->boff,
					 c->blen - c->boff,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
				if (r > 0)
					c->boff += (size_t)r;
			} else {
				n = o->reply_len - c->tx_off < sizeof(out)
					? (size_t)(o->reply_len - c->tx_off)
					: sizeof(out);
				harness_pattern(o->seed, c->tx_off, out, n);
				r = send(c->fd, out, n,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
				if (r > 0)
					c->tx_off += (uint64_t)r;
			}
			if (r > 0)
				progress = true;
			else if (errno != EAGAIN && errno != EINTR)
				c->rd_eof = c->wr_shut = true;
		}
		if (!c->wr_shut && backend_conn_complete(c, o)) {
			shutdown(c->fd, SHUT_WR);
			c->wr_shut = progress = true;
		}
	}
	return c->rd_eof && c->wr_shut;
}

static void backend_main(int lfd, int wfd,
			 const struct harness_backend_opts *o) PORTY_NORETURN;
static void http_backend_main(int lfd, const char *rec_path,
			      int port) PORTY_NORETURN;

/* The backend child: serve LFD until killed, reporting on WFD. */
static void
backend_main(int lfd, int wfd, const struct harness_backend_opts *o)
{
	struct backend_conn **c = NULL;
	struct pollfd *pfd = NULL;
	size_t n = 0, cap = 0, i, k;
	int fd, one = 1;

	for (;;) {
		if (n + 1 > cap) {
			cap = cap ? cap * 2 : 64;
			c = realloc(c, cap * sizeof(*c));
			pfd = realloc(pfd, (cap + 1) * sizeof(*pfd));
			if (c == NULL || pfd == NULL)
				_exit(3);
		}
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = c[i]->fd;
			pfd[i + 1].events = 0;
			if (backend_conn_wants_read(c[i], o))
				pfd[i + 1].events |= POLLIN;
			if (!c[i]->wr_shut && backend_conn_output(c[i], o))
				pfd[i + 1].events |= POLLOUT;
		}
		if (poll(pfd, n + 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			_exit(4);
		}
		for (i = 0, k = 0; i < n; i++) {
			if (pfd[i + 1].revents != 0 &&
			    backend_conn_step(c[i], o)) {
				backend_conn_finish(wfd, c[i]);
				continue;
			}
			c[k++] = c[i];
		}
		n = k;
		if ((pfd[0].revents & POLLIN) == 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c[n] = calloc(1, sizeof(**c));
		if (c[n] == NULL)
			_exit(3);
		c[n]->fd = fd;
		harness_digest_init(&c[n]->rx);
		if (backend_conn_step(c[n], o)) {
			backend_conn_finish(wfd, c[n]);
		} else {
			n++;
		}
	}
}

struct harness_backend *
harness_backend(struct harness *h, const struct harness_backend_opts *o)
{
	struct harness_backend *b;
	int pipefd[2], lfd = -1;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		harness_die("calloc");
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		harness_die("pipe");
	if (o->kind == HARNESS_HTTP && o->port != 0)
		harness_die("an HTTP backend takes a kernel-assigned port");
	if (o->port == 0) {
		/* Listening before the fork: no start-up race at all. */
		lfd = harness_bind(o->family, 0, false);
		if (lfd == -1 || listen(lfd, 4096) == -1)
			harness_die("backend listen");
		b->port = harness_sock_port(lfd);
		if (o->kind == HARNESS_HTTP) {
			b->rec_path = harness_fmt(h, "%s/logs/http-%d.rec",
						  h->dir, b->port);
			harness_write(
			    h, harness_fmt(h, "logs/http-%d.rec", b->port),
			    "%s", "");
		}
	} else {
		b->port = o->port;
	}
	fflush(NULL);
	b->pid = fork();
	if (b->pid == -1)
		harness_die("fork");
	if (b->pid == 0) {
		close(pipefd[0]);
		/* Hold no copy of the test's sockets: a client close must
		 * reach porty as a FIN, not wait for this child to exit. */
		harness_close_from3(lfd, pipefd[1]);
		harness_child_signals();
		if (o->kind == HARNESS_HTTP)
			http_backend_main(lfd, b->rec_path, b->port);
		if (lfd == -1) {
			harness_sleep_ms((int)o->delay_ms);
			lfd = harness_bind(o->family, o->port, true);
			if (lfd == -1 || listen(lfd, 4096) == -1) {
				dprintf(2,
					"harness: late backend bind %d: "
					"%s\n",
					o->port, strerror(errno));
				_exit(2);
			}
		}
		backend_main(lfd, pipefd[1], o);
	}
	close(pipefd[1]);
	if (lfd != -1)
		close(lfd);
	b->report_fd = pipefd[0];
	b->next = h->backends;
	h->backends = b;
	return b;
}

struct harness_backend *
harness_echo(struct harness *h, int family)
{
	struct harness_backend_opts o = {.kind = HARNESS_ECHO,
					 .family = family};

	return harness_backend(h, &o);
}

int
harness_backend_port(const struct harness_backend *b)
{
	return b->port;
}

bool
harness_backend_report(struct harness_backend *b, struct harness_digest *d,
		       int ms)
{
	int64_t deadline = harness_now_ms() + ms;
	struct pollfd pfd = {.fd = b->report_fd, .events = POLLIN};
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*d)) {
		if (poll(&pfd, 1, harness_left(deadline)) == 0)
			return false;
		n = read(b->report_fd, (char *)d + got, sizeof(*d) - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* --- text and JSON ----------------------------------------------------- */

bool
harness_contains(const char *text, const char *needle)
{
	return text != NULL && strcasestr(text, needle) != NULL;
}

size_t
harness_count_lines(const char *text)
{
	size_t n = 0;
	const char *p;

	for (p = text; *p != '\0'; p++)
		n += *p == '\n';
	if (p != text && p[-1] != '\n')
		n++;
	return n;
}

/* A cursor over one line of JSON text. */
struct json {
	const char *p, *end;
	int depth;
};

static bool json_value(struct json *j);

static void
json_ws(struct json *j)
{
	while (j->p < j->end &&
	       (*j->p == ' ' || *j->p == '\t' || *j->p == '\r'))
		j->p++;
}

static bool
json_eat(struct json *j, char c)
{
	json_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static bool
json_string(struct json *j)
{
	static const char esc[] = "\"\\/bfnrt";
	int i;

	json_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return false;
	for (j->p++; j->p < j->end; j->p++) {
		if (*j->p == '"') {
			j->p++;
			return true;
		}
		if ((unsigned char)*j->p < 0x20)
			return false;
		if (*j->p != '\\')
			continue;
		if (++j->p >= j->end)
			return false;
		if (*j->p == 'u') {
			for (i = 0; i < 4; i++) {
				if (++j->p >= j->end ||
				    strchr("0123456789abcdefABCDEF", *j->p) ==
					NULL)
					return false;
			}
		} else if (strchr(esc, *j->p) == NULL) {
			return false;
		}
	}
	return false;
}

static bool
json_digits(struct json *j)
{
	const char *start = j->p;

	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start;
}

static bool
json_number(struct json *j)
{
	json_ws(j);
	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (!json_digits(j))
		return false;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (!json_digits(j))
			return false;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (!json_digits(j))
			return false;
	}
	return true;
}

static bool
json_word(struct json *j, const char *w)
{
	size_t len = strlen(w);

	if ((size_t)(j->end - j->p) < len || memcmp(j->p, w, len) != 0)
		return false;
	j->p += len;
	return true;
}

/* An object's members from after '{'; the value of KEY to *VS..*VE. */
static bool
json_members(struct json *j, const char *key, const char **vs, const char **ve)
{
	const char *ks, *ke, *s;

	if (json_eat(j, '}'))
		return true;
	do {
		json_ws(j);
		ks = j->p;
		if (!json_string(j))
			return false;
		ke = j->p;
		if (!json_eat(j, ':'))
			return false;
		json_ws(j);
		s = j->p;
		if (!json_value(j))
			return false;
		if (key != NULL && (size_t)(ke - ks) == strlen(key) + 2 &&
		    memcmp(ks + 1, key, strlen(key)) == 0) {
			*vs = s;
			*ve = j->p;
		}
	} while (json_eat(j, ','));
	return json_eat(j, '}');
}

static bool
json_value(struct json *j)
{
	bool ok;

	json_ws(j);
	if (j->p >= j->end || ++j->depth > 64)
		return false;
	switch (*j->p) {
	case '{':
		j->p++;
		ok = json_members(j, NULL, NULL, NULL);
		break;
	case '[':
		j->p++;
		ok = true;
		if (!json_eat(j, ']')) {
			do {
				ok = json_value(j);
			} while (ok && json_eat(j, ','));
			ok = ok && json_eat(j, ']');
		}
		break;
	case '"':
		ok = json_string(j);
		break;
	case 't':
		ok = json_word(j, "true");
		break;
	case 'f':
		ok = json_word(j, "false");
		break;
	case 'n':
		ok = json_word(j, "null");
		break;
	default:
		ok = json_number(j);
		break;
	}
	j->depth--;
	return ok;
}

/* Parse LINE as one object; the value of top-level KEY to *VS..*VE. */
static bool
json_line(const char *line, const char *key, const char **vs, const char **ve)
{
	struct json j = {.p = line, .end = strchr(line, '\n'), .depth = 0};

	if (j.end == NULL)
		j.end = line + strlen(line);
	if (!json_eat(&j, '{') || !json_members(&j, key, vs, ve))
		return false;
	json_ws(&j);
	return j.p == j.end;
}

bool
harness_json_object(const char *line)
{
	return json_line(line, NULL, NULL, NULL);
}

bool
harness_json_int(const char *line, const char *key, long long *v)
{
	const char *vs = NULL, *ve = NULL, *p;
	char num[32];

	if (!json_line(line, key, &vs, &ve) || vs == NULL)
		return false;
	p = vs;
	if (p < ve && *p == '-')
		p++;
	if (p == ve || (size_t)(ve - vs) >= sizeof(num))
		return false;
	for (; p < ve; p++) {
		if (*p < '0' || *p > '9')
			return false;
	}
	memcpy(num, vs, (size_t)(ve - vs));
	num[ve - vs] = '\0';
	*v = strtoll(num, NULL, 10);
	return true;
}

const char *
harness_json_str(struct harness *h, const char *line, const char *key)
{
	const char *vs = NULL, *ve = NULL;
	char *s;

	if (!json_line(line, key, &vs, &ve) || vs == NULL || *vs != '"')
		return NULL;
	s = harness_alloc(h, (size_t)(ve - vs - 2));
	memcpy(s, vs + 1, (size_t)(ve - vs - 2));
	return s;
}

/* --- HTTP backend ------------------------------------------------------ */

#define HB_KEEP     65536        /* request body bytes recorded */
#define HB_IN_MAX   (1u << 20)   /* unparsed input held before backpressure */
#define HB_HEAD_MAX (256 * 1024) /* a longer head is recorded as garbage */

enum hb_state {
	HB_HEAD = 0,   /* reading a request head */
	HB_BODY,       /* Content-Length body: left bytes to go */
	HB_CHUNK_SIZE, /* a chunk-size line */
	HB_CHUNK_DATA, /* left bytes of chunk data */
	HB_CHUNK_CRLF, /* the CRLF after chunk data */
	HB_TRAILER,    /* trailer lines up to the empty one */
	HB_WS,         /* after a 101: echo raw bytes */
	HB_DEAD,       /* garbage seen: close once the output is out */
};

/* One connection of the HTTP backend child. */
struct hb_conn {
	int fd;
	unsigned id, seq;
	enum hb_state state;
	bool eof;           /* the client's FIN came */
	bool close_after;   /* close once the current answer is out */
	bool closing;       /* nothing more will be answered */
	uint64_t left;      /* HB_BODY, HB_CHUNK_DATA */
	int64_t respond_at; /* a delayed answer is due then; 0: none */
	uint64_t large_off, large_len; /* /large: pattern bytes streamed */
	char *in;                      /* unparsed input */
	size_t inlen, incap;
	char *out; /* output not yet sent */
	size_t outoff, outlen, outcap;
	char *head; /* the current request's head */
	size_t headlen;
	char body[HB_KEEP];
	size_t bodylen;
	uint64_t bodytotal;
	struct harness_digest bd;
};

static int hb_port;        /* the backend's port, for X-Backend-Port */
static int hb_rec = -1;    /* the record file */
static unsigned hb_nconns; /* connections accepted */

static void
hb_grow(char **p, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*p = realloc(*p, n);
	if (*p == NULL)
		_exit(3);
	*cap = n;
}

static void
hb_out(struct hb_conn *c, const void *buf, size_t len)
{
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	hb_grow(&c->out, &c->outcap, c->outlen + len);
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
}

static void hb_outf(struct hb_conn *c, const char *fmt, ...) PORTY_PRINTF(2, 3);

static void
hb_outf(struct hb_conn *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		hb_out(c, buf,
		       (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Append one record, header line then payloads, in one write. */
static void
hb_record(const char *line, const void *a, size_t alen, const void *b,
	  size_t blen)
{
	size_t llen = strlen(line), n = llen + alen + blen;
	char *rec = malloc(n);

	if (rec == NULL)
		_exit(3);
	memcpy(rec, line, llen);
	if (alen > 0)
		memcpy(rec + llen, a, alen);
	if (blen > 0)
		memcpy(rec + llen + alen, b, blen);
	if (write(hb_rec, rec, n) != (ssize_t)n)
		_exit(5);
	free(rec);
}

/* Drop the first N bytes of C's input. */
static void
hb_consume(struct hb_conn *c, size_t n)
{
	memmove(c->in, c->in + n, c->inlen - n);
	c->inlen -= n;
}

/* Record what C could not parse and stop answering on it. */
static void
hb_garbage(struct hb_conn *c, const char *buf, size_t len)
{
	char line[64];

	snprintf(line, sizeof(line), "X %u %zu\n", c->id, len);
	hb_record(line, buf, len, NULL, 0);
	c->state = HB_DEAD;
	c->closing = true;
}

/* The value of field NAME in C's head (case-insensitive), or NULL; copied
 * into VAL (VLEN bytes). */
static const char *
hb_field(const struct hb_conn *c, const char *name, char *val, size_t vlen)
{
	const char *p = memchr(c->head, '\n', c->headlen);
	const char *end = c->head + c->headlen, *eol, *v;
	size_t nlen = strlen(name), n;

	while (p != NULL && ++p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			v = p + nlen + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			n = (size_t)(eol - v);
			while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == ' ' ||
					 v[n - 1] == '\t'))
				n--;
			if (n >= vlen)
				n = vlen - 1;
			memcpy(val, v, n);
			val[n] = '\0';
			return val;
		}
		p = eol;
	}
	return NULL;
}

/* Whether the comma-separated list in field NAME holds TOKEN; the last
 * element of it to LAST (64 bytes) when LAST is not NULL. */
static bool
hb_token(const struct hb_conn *c, const char *name, const char *token,
	 char *last)
{
	char val[1024], *save = NULL, *t, *e;
	bool found = false;

	if (last != NULL)
		*last = '\0';
	if (hb_field(c, name, val, sizeof(val)) == NULL)
		return false;
	for (t = strtok_r(val, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ' || *t == '\t')
			t++;
		e = t + strlen(t);
		while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (*t == '\0')
			continue;
		if (strcasecmp(t, token) == 0)
			found = true;
		if (last != NULL)
			snprintf(last, 64, "%s", t);
	}
	return found;
}

/* The fields every answer carries. */
static void
hb_common(struct hb_conn *c)
{
	hb_outf(c,
		"X-Backend-Conn: %u\r\nX-Backend-Seq: %u\r\n"
		"X-Backend-Port: %d\r\nX-Dup: a\r\nX-Dup: b\r\n"
		"x-MiXeD-Case: V\r\n%s",
		c->id, c->seq, hb_port,
		c->close_after ? "Connection: close\r\n" : "");
}

/* The request of C is complete: record it and queue the answer. */
static void
hb_answer(struct hb_conn *c)
{
	char line[160], method[32] = "", target[2048] = "", val[64];
	const char *path, *q;
	unsigned code;
	bool head, http10;
	unsigned long long n;
	const char *cut;

	snprintf(line, sizeof(line), "R %u %u %zu %zu %llu %llx\n", c->id,
		 c->seq, c->headlen, c->bodylen, (unsigned long long)c->bd.len,
		 (unsigned long long)c->bd.hash);
	hb_record(line, c->head, c->headlen, c->body, c->bodylen);
	sscanf(c->head, "%31s %2047s", method, target);
	head = strcmp(method, "HEAD") == 0;
	http10 = strstr(c->head, " HTTP/1.0\r\n") != NULL &&
		 strstr(c->head, " HTTP/1.0\r\n") < strchr(c->head, '\n');
	c->close_after =
	    hb_token(c, "Connection", "close", NULL) ||
	    (http10 && !hb_token(c, "Connection", "keep-alive", NULL));
	path = target;
	if (strncmp(path, "http://", 7) == 0) {
		path = strchr(path + 7, '/');
		if (path == NULL)
			path = "/";
	}
	q = strchr(path, '?');
	if (strncmp(path, "/status/", 8) == 0) {
		code = (unsigned)atoi(path + 8);
		hb_outf(c, "HTTP/1.1 %u Status\r\n", code);
		hb_common(c);
		if (code < 200 || code == 204 || code == 304) {
			hb_out(c, "\r\n", 2);
		} else {
			hb_outf(c, "Content-Length: 11\r\n\r\n");
			if (!head)
				hb_outf(c, "status %03u\n", code);
		}
	} else if (strncmp(path, "/head", 5) == 0 &&
		   (path[5] == '\0' || path[5] == '?')) {
		hb_outf(c, "HTTP/1.1 200 OK\r\n");
		hb_common(c);
		hb_outf(c, "Content-Length: 10\r\n\r\n%s",
			head ? "" : "head body\n");
	} else if (strncmp(path, "/chunked", 8) == 0) {
		hb_outf(c, "HTTP/1.1 200 OK\r\n");
		hb_common(c);
		hb_outf(c, "Transfer-Encoding: chunked\r\n\r\n");
		if (!head)
			hb_outf(c, "5\r\nhello\r\n7;ext=1\r\n, world\r\n"
				   "0\r\n\r\n");
	} else if (strncmp(path, "/close", 6) == 0) {
		c->close_after = true;
		hb_outf(c, "HTTP/1.1 200 OK\r\n");
		hb_common(c);
		hb_outf(c, "\r\n%s", head ? "" : "close-delimited body\n");
	} else if (strncmp(path, "/large", 6) == 0) {
		n = q != NULL && strncmp(q, "?bytes=", 7) == 0
			? strtoull(q + 7, NULL, 10)
			: 0;
		hb_outf(c, "HTTP/1.1 200 OK\r\n");
		hb_common(c);
		hb_outf(c, "Content-Length: %llu\r\n\r\n", n);
		c->large_off = 0;
		c->large_len = head ? 0 : n;
		cut = q != NULL ? strstr(q, "&cut=") : NULL;
		if (cut != NULL && strtoull(cut + 5, NULL, 10) < c->large_len) {
			/* Fail mid-body: send only that much, then close. */
			c->large_len = strtoull(cut + 5, NULL, 10);
			c->close_after = true;
		}
	} else if (strncmp(path, "/early", 6) == 0) {
		hb_outf(c, "HTTP/1.1 103 Early Hints\r\n"
			   "Link: </style.css>; rel=preload\r\n\r\n"
			   "HTTP/1.1 200 OK\r\n");
		hb_common(c);
		hb_outf(c, "Content-Length: 6\r\n\r\n%s",
			head ? "" : "final\n");
	} else if (strncmp(path, "/bye", 4) == 0) {
		/* Keep-alive as far as the headers go, yet closed at once:
		 * a pooled connection the backend has dropped. */
		hb_outf(c, "HTTP/1.1 200 OK\r\n");
		hb_common(c);
		hb_outf(c, "Content-Length: 4\r\n\r\n%s", head ? "" : "bye\n");
		c->closing = true;
	} else if (strncmp(path, "/ws", 3) == 0 &&
		   hb_token(c, "Connection", "upgrade", NULL) &&
		   hb_field(c, "Upgrade", val, sizeof(val)) != NULL) {
		/* The accept value of RFC 6455's sample key, for proxies
		 * that check it; tests send that key. */
		hb_outf(c, "HTTP/1.1 101 Switching Protocols\r\n"
			   "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			   "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
			   "\r\n\r\n");
		c->state = HB_WS;
		return;
	} else if (strncmp(path, "/bad/cl-te", 10) == 0) {
		hb_outf(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
			   "Transfer-Encoding: chunked\r\n\r\n"
			   "5\r\nhello\r\n0\r\n\r\n");
		c->close_after = true;
	} else if (strncmp(path, "/drop", 5) == 0) {
		c->closing = true;
		c->state = HB_DEAD;
		return;
	} else {
		if (strncmp(path, "/slow", 5) == 0 && q != NULL &&
		    strncmp(q, "?ms=", 4) == 0)
			c->respond_at = harness_now_ms() + atoi(q + 4);
		hb_outf(c, "HTTP/1.1 200 OK\r\n");
		hb_common(c);
		hb_outf(c,
			"Content-Type: text/plain\r\n"
			"Content-Length: %zu\r\n\r\n",
			head ? 0 : c->headlen + c->bodylen);
		if (!head) {
			hb_out(c, c->head, c->headlen);
			hb_out(c, c->body, c->bodylen);
		}
	}
	if (c->close_after)
		c->closing = true;
	c->state = HB_HEAD;
}

/* Take body bytes BUF..LEN into the current request. */
static void
hb_body(struct hb_conn *c, const char *buf, size_t len)
{
	size_t keep = HB_KEEP - c->bodylen < len ? HB_KEEP - c->bodylen : len;

	memcpy(c->body + c->bodylen, buf, keep);
	c->bodylen += keep;
	c->bodytotal += len;
	harness_digest_update(&c->bd, buf, len);
}

/* The head of C's input is complete at HEADLEN bytes: start the request. */
static void
hb_begin(struct hb_conn *c, size_t headlen)
{
	char val[256], last[64], *end;
	unsigned long long n;

	free(c->head);
	c->head = malloc(headlen + 1);
	if (c->head == NULL)
		_exit(3);
	memcpy(c->head, c->in, headlen);
	c->head[headlen] = '\0';
	c->headlen = headlen;
	hb_consume(c, headlen);
	c->seq++;
	c->bodylen = 0;
	c->bodytotal = 0;
	harness_digest_init(&c->bd);
	c->state = HB_BODY;
	c->left = 0;
	if (hb_field(c, "Transfer-Encoding", val, sizeof(val)) != NULL) {
		hb_token(c, "Transfer-Encoding", "chunked", last);
		if (strcasecmp(last, "chunked") == 0)
			c->state = HB_CHUNK_SIZE;
		else
			c->closing = true; /* RFC 9112 §6.3: 400 and close */
	} else if (hb_field(c, "Content-Length", val, sizeof(val)) != NULL) {
		n = strtoull(val, &end, 10);
		if (*end != '\0' || end == val) {
			c->closing = true;
			c->state = HB_DEAD;
			hb_garbage(c, c->head, c->headlen);
			return;
		}
		c->left = n;
	}
	if (hb_field(c, "Expect", val, sizeof(val)) != NULL &&
	    strcasecmp(val, "100-continue") == 0)
		hb_outf(c, "HTTP/1.1 100 Continue\r\n\r\n");
}

/* Parse and answer what C's input holds, while no answer is pending. */
static void
hb_process(struct hb_conn *c)
{
	char *eol, *p;
	size_t n;

	for (;;) {
		if (c->state == HB_WS) {
			hb_out(c, c->in, c->inlen);
			c->inlen = 0;
			return;
		}
		if (c->state == HB_DEAD || c->closing || c->respond_at != 0 ||
		    c->large_off < c->large_len)
			return;
		switch (c->state) {
		case HB_HEAD:
			while (c->inlen >= 2 && c->in[0] == '\r' &&
			       c->in[1] == '\n')
				hb_consume(c, 2);
			p = c->inlen >= 4
				? memmem(c->in, c->inlen, "\r\n\r\n", 4)
				: NULL;
			if (p == NULL) {
				if (c->inlen > HB_HEAD_MAX)
					hb_garbage(c, c->in, c->inlen);
				return;
			}
			if (memchr(c->in, ' ', (size_t)(p - c->in)) == NULL) {
				hb_garbage(c, c->in, (size_t)(p - c->in) + 4);
				return;
			}
			hb_begin(c, (size_t)(p - c->in) + 4);
			if (c->state == HB_BODY && c->left == 0)
				hb_answer(c);
			break;
		case HB_BODY:
		case HB_CHUNK_DATA:
			n = c->left < c->inlen ? (size_t)c->left : c->inlen;
			if (n == 0)
				return;
			hb_body(c, c->in, n);
			hb_consume(c, n);
			c->left -= n;
			if (c->left > 0)
				return;
			if (c->state == HB_BODY)
				hb_answer(c);
			else
				c->state = HB_CHUNK_CRLF;
			break;
		case HB_CHUNK_SIZE:
			eol = memmem(c->in, c->inlen, "\r\n", 2);
			if (eol == NULL)
				return;
			*eol = '\0';
			if (strchr("0123456789abcdefABCDEF", c->in[0]) ==
				NULL ||
			    c->in[0] == '\0') {
				*eol = '\r';
				hb_garbage(c, c->in, c->inlen);
				return;
			}
			c->left = strtoull(c->in, NULL, 16);
			hb_consume(c, (size_t)(eol - c->in) + 2);
			c->state = c->left > 0 ? HB_CHUNK_DATA : HB_TRAILER;
			break;
		case HB_CHUNK_CRLF:
			if (c->inlen < 2)
				return;
			if (c->in[0] != '\r' || c->in[1] != '\n') {
				hb_garbage(c, c->in, c->inlen);
				return;
			}
			hb_consume(c, 2);
			c->state = HB_CHUNK_SIZE;
			break;
		case HB_TRAILER:
			eol = memmem(c->in, c->inlen, "\r\n", 2);
			if (eol == NULL)
				return;
			n = (size_t)(eol - c->in);
			hb_consume(c, n + 2);
			if (n == 0)
				hb_answer(c);
			break;
		case HB_WS:
		case HB_DEAD:
			return;
		}
	}
}

/* Send what C has to send; false when C is finished and must go. */
static bool
hb_flush(struct hb_conn *c)
{
	char buf[16384];
	ssize_t r;
	size_t n;

	for (;;) {
		if (c->respond_at != 0) {
			if (harness_now_ms() < c->respond_at)
				return true;
			c->respond_at = 0;
		}
		if (c->outoff == c->outlen && c->large_off < c->large_len) {
			n = c->large_len - c->large_off < sizeof(buf)
				? (size_t)(c->large_len - c->large_off)
				: sizeof(buf);
			harness_pattern(HARNESS_HTTP_SEED, c->large_off, buf,
					n);
			hb_out(c, buf, n);
			c->large_off += n;
		}
		if (c->outoff == c->outlen)
			break;
		r = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r > 0) {
			c->outoff += (size_t)r;
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return true;
		return false;
	}
	if (c->closing && c->large_off == c->large_len)
		return false;
	if (!c->eof)
		return true;
	if (c->state == HB_WS) {
		shutdown(c->fd, SHUT_WR);
		return false;
	}
	/* Pipelined requests that came before the FIN are still answered. */
	return c->state == HB_HEAD && c->inlen >= 4 &&
	       memmem(c->in, c->inlen, "\r\n\r\n", 4) != NULL;
}

/* Read what C's peer sent; false on a reset. */
static bool
hb_read(struct hb_conn *c)
{
	ssize_t r;

	while (c->inlen < HB_IN_MAX) {
		hb_grow(&c->in, &c->incap, c->inlen + 65536);
		r = recv(c->fd, c->in + c->inlen, c->incap - c->inlen,
			 MSG_DONTWAIT);
		if (r > 0) {
			c->inlen += (size_t)r;
			continue;
		}
		if (r == 0) {
			c->eof = true;
			return true;
		}
		return errno == EAGAIN || errno == EINTR;
	}
	return true;
}

static void
hb_free(struct hb_conn *c)
{
	/* Unparsed leftovers of a head are evidence too. */
	if (c->state == HB_HEAD && c->inlen > 0 && !c->closing)
		hb_garbage(c, c->in, c->inlen);
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c->head);
	free(c);
}

/* The HTTP backend child: serve LFD until killed, recording to REC_PATH. */
static void
http_backend_main(int lfd, const char *rec_path, int port)
{
	struct hb_conn **c = NULL;
	struct pollfd *pfd = NULL;
	size_t n = 0, cap = 0, i, k;
	int fd, one = 1, timeout, round;
	size_t before;
	unsigned seq;
	int64_t now;
	bool keep;

	hb_port = port;
	hb_rec = open(rec_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (hb_rec == -1)
		_exit(2);
	for (;;) {
		if (n + 1 > cap) {
			cap = cap ? cap * 2 : 64;
			c = realloc(c, cap * sizeof(*c));
			pfd = realloc(pfd, (cap + 1) * sizeof(*pfd));
			if (c == NULL || pfd == NULL)
				_exit(3);
		}
		timeout = -1;
		now = harness_now_ms();
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = c[i]->fd;
			pfd[i + 1].events = 0;
			if (!c[i]->eof && c[i]->inlen < HB_IN_MAX)
				pfd[i + 1].events |= POLLIN;
			if (c[i]->respond_at != 0) {
				k = c[i]->respond_at > now
					? (size_t)(c[i]->respond_at - now)
					: 0;
				if (timeout == -1 || (int)k < timeout)
					timeout = (int)k;
			} else if (c[i]->outoff < c[i]->outlen ||
				   c[i]->large_off < c[i]->large_len) {
				pfd[i + 1].events |= POLLOUT;
			}
		}
		if (poll(pfd, n + 1, timeout) == -1) {
			if (errno == EINTR)
				continue;
			_exit(4);
		}
		for (i = 0, k = 0; i < n; i++) {
			keep = true;
			if ((pfd[i + 1].revents &
			     (POLLIN | POLLHUP | POLLERR)) != 0)
				keep = hb_read(c[i]);
			/* A finished answer may unblock the next request. */
			for (round = 0; keep && round < 64; round++) {
				before = c[i]->inlen;
				seq = c[i]->seq;
				hb_process(c[i]);
				keep = hb_flush(c[i]);
				if (keep && c[i]->inlen == before &&
				    c[i]->seq == seq)
					break;
			}
			if (!keep) {
				hb_free(c[i]);
				continue;
			}
			c[k++] = c[i];
		}
		n = k;
		if ((pfd[0].revents & POLLIN) == 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c[n] = calloc(1, sizeof(**c));
		if (c[n] == NULL)
			_exit(3);
		c[n]->fd = fd;
		c[n]->id = ++hb_nconns;
		c[n]->state = HB_HEAD;
		n++;
	}
}

/* --- HTTP: the parent's side ------------------------------------------- */

struct harness_backend *
harness_http_backend(struct harness *h, int family)
{
	struct harness_backend_opts o = {.kind = HARNESS_HTTP,
					 .family = family};

	return harness_backend(h, &o);
}

/* Parse B's record file into a fresh array (owned by H); count to *N. */
static struct harness_http_req *
http_records(struct harness *h, struct harness_backend *b, size_t *n)
{
	const char *text, *p, *end, *nl;
	struct harness_http_req *r;
	unsigned long long full, hash;
	size_t cap = 0, hl, bl;
	struct stat st;
	char *buf;

	ck_assert_msg(b->rec_path != NULL, "not an HTTP backend");
	*n = 0;
	if (stat(b->rec_path, &st) == -1)
		harness_die(b->rec_path);
	text = harness_read(h, b->rec_path);
	ck_assert_ptr_nonnull(text);
	/* The file may grow meanwhile: a record cut short is skipped. */
	end = text + st.st_size;
	for (p = text; p < end; p++)
		if (*p == 'R' || *p == 'X')
			cap++;
	r = harness_alloc(h, (cap + 1) * sizeof(*r));
	p = text;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		struct harness_http_req *q = &r[*n];

		if (*p == 'R' &&
		    sscanf(p, "R %u %u %zu %zu %llu %llx", &q->conn, &q->seq,
			   &hl, &bl, &full, &hash) == 6) {
			q->body_digest.len = full;
			q->body_digest.hash = hash;
		} else if (*p == 'X' &&
			   sscanf(p, "X %u %zu", &q->conn, &hl) == 2) {
			q->garbage = true;
			bl = 0;
		} else {
			break;
		}
		p = nl + 1;
		if ((size_t)(end - p) < hl + bl)
			break; /* being written */
		buf = harness_alloc(h, hl);
		memcpy(buf, p, hl);
		q->head = buf;
		q->head_len = hl;
		buf = harness_alloc(h, bl);
		memcpy(buf, p + hl, bl);
		q->body = buf;
		q->body_len = bl;
		p += hl + bl;
		if (!q->garbage) {
			char *m = harness_alloc(h, 32),
			     *t = harness_alloc(h, hl);

			sscanf(q->head, "%31s %s", m, t);
			q->method = m;
			q->target = t;
		} else {
			q->method = q->target = "";
		}
		(*n)++;
	}
	return r;
}

size_t
harness_http_nreqs(struct harness *h, struct harness_backend *b)
{
	size_t n;

	http_records(h, b, &n);
	return n;
}

const struct harness_http_req *
harness_http_req(struct harness *h, struct harness_backend *b, size_t i)
{
	size_t n;
	struct harness_http_req *r = http_records(h, b, &n);

	ck_assert_msg(i < n, "the backend recorded %zu requests, not %zu", n,
		      i + 1);
	return &r[i];
}

bool
harness_http_wait_reqs(struct harness *h, struct harness_backend *b, size_t n,
		       int ms)
{
	int64_t deadline = harness_now_ms() + ms;

	for (;;) {
		if (harness_http_nreqs(h, b) >= n)
			return true;
		if (harness_left(deadline) == 0)
			return false;
		harness_sleep_ms(10);
	}
}

bool
harness_http_saw(struct harness *h, struct harness_backend *b,
		 const char *needle)
{
	size_t n, i, len = strlen(needle);
	struct harness_http_req *r = http_records(h, b, &n);

	for (i = 0; i < n; i++) {
		if (memmem(r[i].head, r[i].head_len, needle, len) != NULL ||
		    memmem(r[i].body, r[i].body_len, needle, len) != NULL)
			return true;
	}
	return false;
}

struct harness_http_conn *
harness_http_connect(struct harness *h, int family, int port)
{
	int fd = harness_connect(family, port, harness_ms(5000));
	struct harness_http_conn *c;

	ck_assert_msg(fd != -1, "connect to port %d: %s", port,
		      strerror(errno));
	c = malloc(sizeof(*c));
	if (c == NULL)
		harness_die("malloc");
	c->h = h;
	c->fd = fd;
	c->len = 0;
	c->next = h->conns;
	h->conns = c;
	return c;
}

int
harness_http_fd(const struct harness_http_conn *c)
{
	return c->fd;
}

bool
harness_http_send(struct harness_http_conn *c, const void *buf, size_t len)
{
	return harness_send(c->fd, buf, len, harness_ms(10000));
}

void
harness_http_puts(struct harness_http_conn *c, const char *s)
{
	ck_assert_msg(harness_http_send(c, s, strlen(s)), "send: %s",
		      strerror(errno));
}

void
harness_http_close(struct harness_http_conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* Read more into C's buffer before DEADLINE: >0 bytes, 0 EOF, -1 timeout
 * or error (errno), -2 buffer full. */
static ssize_t
http_fill(struct harness_http_conn *c, int64_t deadline)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	ssize_t r;
	int pr;

	if (c->len == sizeof(c->buf))
		return -2;
	for (;;) {
		pr = poll(&pfd, 1, harness_left(deadline));
		if (pr == -1 && errno == EINTR)
			continue;
		if (pr == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		r = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len,
			 MSG_DONTWAIT);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r == -1 && errno == ECONNRESET)
			return 0;
		if (r > 0)
			c->len += (size_t)r;
		return r;
	}
}

static void
http_consume(struct harness_http_conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Ensure C holds at least N bytes (N <= buffer size); false on EOF or
 * timeout, with *WHY set. */
static bool
http_need(struct harness_http_conn *c, size_t n, int64_t deadline,
	  const char **why)
{
	ssize_t r;

	while (c->len < n) {
		r = http_fill(c, deadline);
		if (r <= 0) {
			*why = r == 0 ? "connection closed" : strerror(errno);
			return false;
		}
	}
	return true;
}

/* The index just past the first CRLF at or after FROM in C's buffer
 * (filling as needed), or 0 on EOF/timeout with *WHY set. */
static size_t
http_line(struct harness_http_conn *c, size_t from, int64_t deadline,
	  const char **why)
{
	char *p;
	ssize_t r;

	for (;;) {
		p = c->len > from
			? memmem(c->buf + from, c->len - from, "\r\n", 2)
			: NULL;
		if (p != NULL)
			return (size_t)(p - c->buf) + 2;
		r = http_fill(c, deadline);
		if (r <= 0) {
			*why = r == 0    ? "connection closed"
			       : r == -2 ? "line too long"
					 : strerror(errno);
			return 0;
		}
	}
}

/* Take LEN body bytes from C's buffer into R (keeping up to KEEP). */
static void
http_take(struct harness_http_resp *r, char *keepbuf, size_t keep,
	  const char *buf, size_t len)
{
	size_t k = r->body_len < keep
		       ? (keep - r->body_len < len ? keep - r->body_len : len)
		       : 0;

	memcpy(keepbuf + r->body_len, buf, k);
	r->body_len += k;
	harness_digest_update(&r->digest, buf, len);
}

#define HTTP_RESP_KEEP (1u << 20)

/* Read LEN body bytes (or to EOF when TO_EOF) of R from C. */
static bool
http_body(struct harness_http_conn *c, struct harness_http_resp *r,
	  char *keepbuf, uint64_t len, bool to_eof, int64_t deadline,
	  const char **why)
{
	size_t n;
	ssize_t got;

	while (to_eof || len > 0) {
		if (c->len == 0) {
			got = http_fill(c, deadline);
			if (got == 0 && to_eof)
				return true;
			if (got <= 0) {
				*why = got == 0 ? "connection closed in body"
						: strerror(errno);
				return false;
			}
		}
		n = to_eof || c->len < len ? c->len : (size_t)len;
		http_take(r, keepbuf, HTTP_RESP_KEEP, c->buf, n);
		http_consume(c, n);
		if (!to_eof)
			len -= n;
	}
	return true;
}

/* The value of the first field NAME of HEAD (HLEN bytes) into VAL. */
static bool
http_value(const char *head, size_t hlen, const char *name, char *val,
	   size_t vlen)
{
	const char *p = memchr(head, '\n', hlen), *end = head + hlen, *eol;
	size_t nlen = strlen(name), n;

	while (p != NULL && ++p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (eol == NULL)
			break;
		if ((size_t)(eol - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0) {
			p += nlen + 1;
			while (p < eol && (*p == ' ' || *p == '\t'))
				p++;
			n = (size_t)(eol - p);
			while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == ' '))
				n--;
			if (n >= vlen)
				n = vlen - 1;
			memcpy(val, p, n);
			val[n] = '\0';
			return true;
		}
		p = eol;
	}
	return false;
}

const struct harness_http_resp *
harness_http_response(struct harness_http_conn *c, unsigned flags, int ms)
{
	struct harness *h = c->h;
	struct harness_http_resp *r = harness_alloc(h, sizeof(*r));
	int64_t deadline = harness_now_ms() + ms;
	const char *why = NULL;
	char val[256], *keepbuf, *end, *head;
	size_t hl, at, ln;
	unsigned long long len;
	int status;

	ck_assert_msg(c->fd != -1, "the connection is closed");
	harness_digest_init(&r->digest);
	for (;;) {
		if (!http_need(c, 1, deadline, &why))
			goto fail;
		for (;;) {
			head = memmem(c->buf, c->len, "\r\n\r\n", 4);
			if (head != NULL)
				break;
			if (http_fill(c, deadline) <= 0) {
				why = c->len == 0 ? "connection closed"
						  : "connection closed (or "
						    "timed out) in the head";
				goto fail;
			}
		}
		hl = (size_t)(head - c->buf) + 4;
		if (sscanf(c->buf, "HTTP/1.%*1d %3d", &status) != 1 ||
		    status < 100) {
			why = "not an HTTP/1.x status line";
			goto fail;
		}
		r->head = head = harness_alloc(h, hl);
		memcpy(head, c->buf, hl);
		r->head_len = hl;
		http_consume(c, hl);
		if (status >= 100 && status < 200 && status != 101 &&
		    (flags & HARNESS_HTTP_INTERIM) == 0)
			continue;
		break;
	}
	r->status = status;
	keepbuf = harness_alloc(h, HTTP_RESP_KEEP);
	r->body = keepbuf;
	if ((flags & HARNESS_HTTP_HEAD) != 0 || status < 200 || status == 204 ||
	    status == 304)
		return r;
	if (http_value(r->head, hl, "Transfer-Encoding", val, sizeof(val))) {
		r->chunked = true;
		for (;;) {
			ln = http_line(c, 0, deadline, &why);
			if (ln == 0)
				goto fail;
			len = strtoull(c->buf, &end, 16);
			if (end == c->buf) {
				why = "bad chunk size";
				goto fail;
			}
			http_consume(c, ln);
			if (len == 0)
				break;
			if (!http_body(c, r, keepbuf, len, false, deadline,
				       &why) ||
			    !http_need(c, 2, deadline, &why))
				goto fail;
			if (memcmp(c->buf, "\r\n", 2) != 0) {
				why = "no CRLF after chunk data";
				goto fail;
			}
			http_consume(c, 2);
		}
		do { /* trailers */
			at = http_line(c, 0, deadline, &why);
			if (at == 0)
				goto fail;
			http_consume(c, at);
		} while (at != 2);
		return r;
	}
	if (http_value(r->head, hl, "Content-Length", val, sizeof(val))) {
		len = strtoull(val, &end, 10);
		if (!http_body(c, r, keepbuf, len, false, deadline, &why))
			goto fail;
		return r;
	}
	r->until_close = true;
	if (!http_body(c, r, keepbuf, 0, true, deadline, &why))
		goto fail;
	return r;
fail:
	r->error = harness_fmt(h, "%s (status %d, %llu body bytes, head: %.*s)",
			       why != NULL ? why : "?", r->status,
			       (unsigned long long)r->digest.len,
			       (int)(r->head_len < 400 ? r->head_len : 400),
			       r->head != NULL ? r->head : "");
	r->status = 0;
	return r;
}

size_t
harness_http_read_raw(struct harness_http_conn *c, void *buf, size_t len,
		      int ms)
{
	int64_t deadline = harness_now_ms() + ms;
	size_t got = 0, n;

	while (got < len) {
		if (c->len == 0 && http_fill(c, deadline) <= 0)
			break;
		n = c->len < len - got ? c->len : len - got;
		memcpy((char *)buf + got, c->buf, n);
		http_consume(c, n);
		got += n;
	}
	return got;
}

bool
harness_http_closed(struct harness_http_conn *c, int ms)
{
	int64_t deadline = harness_now_ms() + ms;
	ssize_t r;

	if (c->len > 0)
		return false;
	r = http_fill(c, deadline);
	return r == 0 || (r == -1 && errno != ETIMEDOUT);
}

const struct harness_http_resp *
harness_http_request(struct harness *h, int port, const char *raw)
{
	struct harness_http_conn *c = harness_http_connect(h, AF_INET, port);
	const struct harness_http_resp *r;

	harness_http_puts(c, raw);
	r = harness_http_response(
	    c, strncmp(raw, "HEAD ", 5) == 0 ? HARNESS_HTTP_HEAD : 0,
	    harness_ms(10000));
	harness_http_close(c);
	return r;
}

const char *
harness_http_head_value(struct harness *h, const char *head, const char *name)
{
	char val[8192];

	if (head == NULL ||
	    !http_value(head, strlen(head), name, val, sizeof(val)))
		return NULL;
	return harness_strdup(h, val);
}

const char *
harness_http_header(struct harness *h, const struct harness_http_resp *r,
		    const char *name)
{
	char val[8192];

	if (r->head == NULL ||
	    !http_value(r->head, r->head_len, name, val, sizeof(val)))
		return NULL;
	return harness_strdup(h, val);
}

size_t
harness_http_header_count(const struct harness_http_resp *r, const char *name)
{
	const char *p, *end;
	size_t n = 0, nlen = strlen(name);

	if (r->head == NULL)
		return 0;
	end = r->head + r->head_len;
	for (p = memchr(r->head, '\n', r->head_len); p != NULL && ++p < end;
	     p = memchr(p, '\n', (size_t)(end - p))) {
		if ((size_t)(end - p) > nlen && p[nlen] == ':' &&
		    strncasecmp(p, name, nlen) == 0)
			n++;
	}
	return n;
}

const struct harness_result *
harness_curl(struct harness *h, const char *const *args)
{
	static const char *const pre[] = {"curl", "-sS", "--max-time", "10",
					  "-o",   "-",   "-D",         "-"};
	size_t n, i, k = 0;
	char **full;

	for (n = 0; args[n] != NULL; n++)
		;
	full = harness_alloc(h, (n + ARRAY_SIZE(pre) + 1) * sizeof(char *));
	for (i = 0; i < ARRAY_SIZE(pre); i++)
		full[k++] = harness_strdup(h, pre[i]);
	for (i = 0; i < n; i++)
		full[k++] = harness_strdup(h, args[i]);
	full[k] = NULL;
	return harness_collect(h, harness_spawn(h, NULL, full), 15000);
}

const struct harness_result *
harness_cmd(struct harness *h, const char *const *argv)
{
	size_t n, i;
	char **full;

	for (n = 0; argv[n] != NULL; n++)
		;
	full = harness_alloc(h, (n + 1) * sizeof(char *));
	for (i = 0; i < n; i++)
		full[i] = harness_strdup(h, argv[i]);
	full[n] = NULL;
	return harness_collect(h, harness_spawn(h, NULL, full), 15000);
}

int
harness_notify_socket(struct harness *h, const char **path)
{
	struct sockaddr_un sun;
	int fd;

	*path = harness_path(h, "notify");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_uint_lt(strlen(*path), sizeof(sun.sun_path));
	strcpy(sun.sun_path, *path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert(fd != -1);
	ck_assert(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	return fd;
}

const char *
harness_notify_next(struct harness *h, int fd, int ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	char buf[512];
	ssize_t n;

	if (poll(&pfd, 1, ms) != 1)
		return "";
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		return "";
	buf[n] = '\0';
	return harness_fmt(h, "%s", buf);
}

struct harness_backend *
harness_seed_source(struct harness *h, uint64_t seed)
{
	struct harness_backend_opts o = {.kind = HARNESS_SOURCE,
					 .family = AF_INET,
					 .reply_len = HARNESS_SEED_REPLY,
					 .seed = seed};

	return harness_backend(h, &o);
}

int
harness_seed_fetch(int port)
{
	unsigned char got[HARNESS_SEED_REPLY + 1], want[HARNESS_SEED_REPLY];
	size_t n;
	int fd, seed;

	fd = harness_connect(AF_INET, port, harness_ms(5000));
	if (fd == -1)
		return -errno;
	errno = 0;
	n = harness_recv(fd, got, sizeof(got), harness_ms(5000));
	if (n != HARNESS_SEED_REPLY) {
		int e = errno != 0 ? errno : EPROTO;

		close(fd);
		return -e;
	}
	close(fd);
	for (seed = 1; seed <= 2; seed++) {
		harness_pattern((uint64_t)seed, 0, want, sizeof(want));
		if (memcmp(got, want, sizeof(want)) == 0)
			return seed;
	}
	return 0;
}
