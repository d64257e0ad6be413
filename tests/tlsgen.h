/* SPDX-License-Identifier: MIT */
/* Throwaway certificates for the TLS tests, made fresh by each test run. */
#ifndef PORTY_TESTS_TLSGEN_H
#define PORTY_TESTS_TLSGEN_H

/*
 * Write into the existing directory DIR, all PEM, P-256 keys, valid from an
 * hour ago for two days:
 *
 *   ca.pem               a throwaway CA ("porty test CA")
 *   a.pem, a.key         signed by it for a.test, *.a.test, localhost,
 *                        127.0.0.1 and ::1
 *   b.pem, b.key         signed by it for b.test and *.b.test
 *   self.pem, self.key   self-signed for a.test and 127.0.0.1 (not trusted)
 *   other.key            a key that matches none of the certificates
 *
 * Never a key for production use: they live in the test's temp dir.
 * Returns 0, or -1 (with a message on stderr).
 */
int tlsgen_write(const char *dir);

#endif /* PORTY_TESTS_TLSGEN_H */
