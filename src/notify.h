/* SPDX-License-Identifier: MIT */
/* systemd's readiness protocol: datagrams to $NOTIFY_SOCKET, without libsystemd. */
#ifndef PORTY_NOTIFY_H
#define PORTY_NOTIFY_H

/*
 * Send STATE ("READY=1", "STOPPING=1", ...) to the socket named by
 * $NOTIFY_SOCKET. Does nothing when the variable is unset. Returns 0, or -1
 * with errno set when sending failed.
 */
int notify_send(const char *state);

/*
 * Tell systemd a reload starts: "RELOADING=1" with MONOTONIC_USEC, the
 * CLOCK_MONOTONIC time in microseconds (Type=notify-reload needs it; older
 * managers ignore it). READY=1 ends the reload. Returns as notify_send().
 */
int notify_reloading(void);

#endif /* PORTY_NOTIFY_H */
