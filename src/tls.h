/* SPDX-License-Identifier: MIT */
/* TLS on OpenSSL: contexts from config, the TLS transport, handshakes. */
#ifndef PORTY_TLS_H
#define PORTY_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "transport.h"

struct conn;
struct conn_owner;
struct route;
struct ssl_ctx_st; /* OpenSSL's SSL_CTX */

/*
 * The TLS transport: tp.ctx is the connection's SSL, tp.fd its socket.
 * read/write map SSL_ERROR_WANT_READ/WANT_WRITE to IO_AGAIN with the
 * wanted event in tp.want, in either direction (a write may need the
 * socket readable, a read may need it writable). Never spliced.
 */
extern const struct transport_ops tls_transport_ops;

/*
 * Whether CERT (a PEM chain) and KEY (its PEM private key) load and belong
 * together. Start-up and `porty check` only. Returns 0, or -1 with ERR
 * filled ("tls_key /x/key.pem does not match the certificate").
 */
int tls_check_pair(const char *cert, const char *key, char *err, size_t errlen);

/* Whether the CA bundle CA (PEM) loads. Returns 0, or -1 with ERR. */
int tls_check_ca(const char *ca, char *err, size_t errlen);

/*
 * What terminates TLS for one listener: a server SSL_CTX per route with
 * tls_cert, TLS 1.2 and 1.3 only, the server's cipher order, and an SNI
 * callback that switches to the route whose `host` (http) matches the
 * client's server name: exact names first, then the longest "*." suffix;
 * the first route's certificate otherwise.
 */
struct tls_server;

/*
 * Build the TLS state of a listener from its N ROUTES (borrowed, N >= 1,
 * each with tls_cert and tls_key); a handshake must finish within
 * TIMEOUT_S seconds. Start-up only. Returns NULL with ERR filled.
 */
struct tls_server *tls_server_new(const struct route *const *routes, size_t n,
				  unsigned timeout_s, char *err, size_t errlen);

void tls_server_free(struct tls_server *ts);

/*
 * Client SSL_CTXs for backends, one per (verify, CA bundle) setting, so
 * that routes with the same settings share one (and its loaded CA store).
 */
struct tls_clients;

struct tls_clients *tls_clients_new(void);

/*
 * The client context of TC for VERIFY and CA (NULL: the system store),
 * made on first use: TLS 1.2+, the peer verified when VERIFY. Owned by
 * TC. Start-up only. Returns NULL with ERR filled.
 */
struct ssl_ctx_st *tls_clients_get(struct tls_clients *tc, bool verify,
				   const char *ca, char *err, size_t errlen);

void tls_clients_free(struct tls_clients *tc);

/*
 * Make O terminate TLS with TS (borrowed) before its mode's start: the
 * start hook becomes tls_accept() and the old one runs after the
 * handshake.
 */
void tls_owner(struct conn_owner *o, struct tls_server *ts);

/*
 * The owner's start hook of a listener that terminates TLS: make C's client
 * side a TLS transport and run the handshake (CONN_TLS_ACCEPT) with
 * c->owner->tls, within its timeout; then c->owner->tls_next(C). A failed
 * or timed-out handshake closes C. May close C: call it last and return.
 */
void tls_accept(struct conn *c);

/*
 * C's upstream socket is connected and c->up asks for TLS: run the client
 * handshake (CONN_TLS_CONNECT) with c->up->tls, sending c->up->sni as the
 * server name and, when the context verifies, checking the certificate
 * against it; within the route's connect_timeout_ms. Then
 * c->owner->connected(C); a failure is c->owner->connect_failed (or a
 * close). May close C: call it last and return.
 */
void tls_connect(struct conn *c);

/* The negotiated version ("TLSv1.3") of T, or NULL if T is not TLS. */
const char *tls_version(const struct transport *t);

/* The server name the client of T sent, or NULL (none, or not TLS). */
const char *tls_servername(const struct transport *t);

#endif /* PORTY_TLS_H */
