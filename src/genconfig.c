/* SPDX-License-Identifier: MIT */
/* `porty generate-config`: the commented example configuration. */
#include "auto-config.h"

#include "genconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/*
 * Every key of the schema appears here, set or commented out; the unit
 * suite checks that against config.c's key table, and that the text passes
 * validation. Keys of later releases stay commented out.
 */
static const char example[] =
    "# porty configuration (TOML 1.0). See porty.toml(5) for every key.\n"
    "# Check it with: porty check --config porty.toml\n"
    "\n"
    "# --- Defaults for every route -------------------------------------\n"
    "\n"
    "# Bind address of the main route and default for routes.\n"
    "listen_addr = \"127.0.0.1\"\n"
    "# The main route: set listen_port and target_port to forward one port\n"
    "# without any [[routes]] (a tcp route named \"main\").\n"
    "# listen_port = 8080\n"
    "# target_addr = \"127.0.0.1\"\n"
    "# target_port = 3000\n"
    "\n"
    "# Concurrent connections per route; at the cap porty stops accepting.\n"
    "max_connections = 100\n"
    "# Process-wide cap across routes.\n"
    "max_connections_total = 10000\n"
    "# Buffer per direction, KiB.\n"
    "buffer_size_kb = 8\n"
    "# Upstream connect timeout (ms) and extra attempts with backoff.\n"
    "connect_timeout_ms = 5000\n"
    "max_retries = 2\n"
    "# HTTP: wait this long for the first byte of a response (504 after).\n"
    "timeout_seconds = 30\n"
    "# Close connections with no traffic either way for this long (0: never).\n"
    "idle_timeout_seconds = 300\n"
    "# HTTP: a client must send a whole request head within this (408 after).\n"
    "header_timeout_seconds = 10\n"
    "# On SIGTERM/SIGINT, let open connections finish for this long.\n"
    "shutdown_timeout_seconds = 10\n"
    "\n"
    "# --- Logging --------------------------------------------------------\n"
    "\n"
    "log_requests = true      # per-connection / per-request lines\n"
    "log_format = \"porty\"     # \"porty\", \"text\" or \"json\"\n"
    "log_level = \"basic\"      # \"none\", \"basic\" or \"verbose\"\n"
    "# log_file = \"/var/log/porty.log\"   # default: standard error\n"
    "# pidfile = \"/run/porty.pid\"\n"
    "\n"
    "# --- Service ---------------------------------------------------------\n"
    "\n"
    "# user = \"porty\"          # drop privileges after binding (as root)\n"
    "# group = \"porty\"         # default: the user's primary group\n"
    "# workers = 1             # processes sharing the listeners, or \"auto\"\n"
    "\n"
    "# --- Admin endpoint -------------------------------------------------\n"
    "# GET /metrics (Prometheus) and GET /status (JSON); keep it on\n"
    "# loopback. Top-level keys must come before [admin]: keys after it\n"
    "# belong to it.\n"
    "# [admin]\n"
    "# listen = \"127.0.0.1:9901\"\n"
    "\n"
    "# --- Routes ---------------------------------------------------------\n"
    "\n"
    "# A TCP forward: 127.0.0.1:15432 -> 127.0.0.1:5432.\n"
    "# usage: psql -h 127.0.0.1 -p 15432\n"
    "[[routes]]\n"
    "name = \"database\"\n"
    "enabled = true\n"
    "mode = \"tcp\"\n"
    "listen_addr = \"127.0.0.1\"\n"
    "listen_port = 15432\n"
    "target_addr = \"127.0.0.1\"\n"
    "target_port = 5432\n"
    "max_connections = 50\n"
    "buffer_size_kb = 16\n"
    "connect_timeout_ms = 2000\n"
    "max_retries = 3\n"
    "idle_timeout_seconds = 600\n"
    "log_level = \"basic\"\n"
    "# targets = [\"127.0.0.1:5432\", \"127.0.0.1:5433\"]   # not supported yet\n"
    "# sni = [\"db.example.com\"]                          # pick by TLS server name\n"
    "# proxy_protocol = \"v2\"                             # not supported yet\n"
    "\n"
    "# HTTP with dynamic routing: the backend comes from the query.\n"
    "# usage: curl \"http://127.0.0.1:9090/api?porty_host=127.0.0.1&porty_port=3000\"\n"
    "[[routes]]\n"
    "name = \"dynamic\"\n"
    "mode = \"http\"\n"
    "listen_addr = \"127.0.0.1\"\n"
    "listen_port = 9090\n"
    "target_port = 0          # no configured target: dynamic only\n"
    "dynamic = true\n"
    "dynamic_allow = [\"127.0.0.1\", \"localhost\", \"*.internal:8000-8999\"]\n"
    "timeout_seconds = 30\n"
    "\n"
    "# HTTP virtual hosts: several routes on one port, chosen by Host.\n"
    "# usage: curl -H \"Host: api.localhost\" http://127.0.0.1:9080/\n"
    "[[routes]]\n"
    "name = \"api\"\n"
    "mode = \"http\"\n"
    "listen_addr = \"127.0.0.1\"\n"
    "listen_port = 9080\n"
    "host = [\"api.localhost\", \"*.api.localhost\"]\n"
    "target_addr = \"127.0.0.1\"\n"
    "target_port = 3001\n"
    "preserve_host = false\n"
    "forwarded_headers = true\n"
    "# tls_cert = \"/etc/porty/api.crt\"    # terminate TLS: cert and key\n"
    "# tls_key = \"/etc/porty/api.key\"\n"
    "# target_tls = false                 # TLS to the backend\n"
    "# target_tls_verify = true\n"
    "# target_sni = \"api.internal\"\n"
    "# tls_ca = \"/etc/ssl/certs/ca.pem\"   # default: the system store\n"
    "\n"
    "# usage: curl -H \"Host: web.localhost\" http://127.0.0.1:9080/\n"
    "[[routes]]\n"
    "name = \"web\"\n"
    "mode = \"http\"\n"
    "listen_addr = \"127.0.0.1\"\n"
    "listen_port = 9080\n"
    "host = \"web.localhost\"\n"
    "target_addr = \"127.0.0.1\"\n"
    "target_port = 3002\n"
    "dynamic = false\n";

const char *
genconfig_text(void)
{
	return example;
}

int
genconfig_write(const char *path, bool force, char *err, size_t errlen)
{
	size_t len = sizeof(example) - 1, done = 0;
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
	int fd = open(path, flags, 0644);

	if (fd == -1) {
		if (errno == EEXIST)
			snprintf(err, errlen,
			    "%s already exists; use --force to overwrite it",
			    path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (done < len) {
		ssize_t n = write(fd, example + done, len - done);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
