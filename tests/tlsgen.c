/* SPDX-License-Identifier: MIT */
/* Throwaway certificates for the TLS tests, made fresh by each test run. */
#include "auto-config.h"

#include "tlsgen.h"

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Add extension NID with VALUE (OpenSSL's config syntax) to X. */
static int
tlsgen_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

/*
 * A certificate for KEY named CN with subjectAltName SAN (NULL: a CA),
 * signed by ISSUER/IKEY (NULL: self-signed).
 */
static X509 *
tlsgen_cert(EVP_PKEY *key, const char *cn, const char *san, X509 *issuer,
	    EVP_PKEY *ikey, long serial)
{
	X509 *x = X509_new();
	X509_NAME *name;

	if (x == NULL)
		return NULL;
	name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 2 * 86400) == NULL ||
	    X509_set_pubkey(x, key) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				       (const unsigned char *)cn, -1, -1,
				       0) != 1 ||
	    X509_set_issuer_name(
		x, issuer != NULL ? X509_get_subject_name(issuer) : name) != 1)
		goto fail;
	if (san == NULL) {
		if (tlsgen_ext(x, NULL, NID_basic_constraints,
			       "critical,CA:TRUE") == -1 ||
		    tlsgen_ext(x, NULL, NID_key_usage,
			       "critical,keyCertSign,cRLSign") == -1 ||
		    tlsgen_ext(x, NULL, NID_subject_key_identifier, "hash") ==
			-1)
			goto fail;
	} else if (tlsgen_ext(x, issuer, NID_subject_alt_name, san) == -1 ||
		   tlsgen_ext(x, issuer, NID_basic_constraints, "CA:FALSE") ==
		       -1 ||
		   tlsgen_ext(x, issuer, NID_ext_key_usage, "serverAuth") ==
		       -1) {
		goto fail;
	}
	if (X509_sign(x, ikey != NULL ? ikey : key, EVP_sha256()) == 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static int
tlsgen_save(const char *dir, const char *name, X509 *x, EVP_PKEY *key)
{
	char path[4096];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	ok = x != NULL
		 ? PEM_write_X509(f, x)
		 : PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	return fclose(f) == 0 && ok == 1 ? 0 : -1;
}

int
tlsgen_write(const char *dir)
{
	EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *a_key = EVP_EC_gen("P-256"),
		 *b_key = EVP_EC_gen("P-256"), *s_key = EVP_EC_gen("P-256"),
		 *o_key = EVP_EC_gen("P-256");
	X509 *ca = NULL, *a = NULL, *b = NULL, *self = NULL;
	int rc = -1;

	if (ca_key == NULL || a_key == NULL || b_key == NULL || s_key == NULL ||
	    o_key == NULL)
		goto out;
	ca = tlsgen_cert(ca_key, "porty test CA", NULL, NULL, NULL, 1);
	if (ca == NULL)
		goto out;
	a = tlsgen_cert(a_key, "a.test",
			"DNS:a.test,DNS:*.a.test,DNS:localhost,"
			"IP:127.0.0.1,IP:::1",
			ca, ca_key, 2);
	b = tlsgen_cert(b_key, "b.test", "DNS:b.test,DNS:*.b.test", ca, ca_key,
			3);
	self = tlsgen_cert(s_key, "a.test", "DNS:a.test,IP:127.0.0.1", NULL,
			   NULL, 4);
	if (a == NULL || b == NULL || self == NULL)
		goto out;
	if (tlsgen_save(dir, "ca.pem", ca, NULL) == -1 ||
	    tlsgen_save(dir, "a.pem", a, NULL) == -1 ||
	    tlsgen_save(dir, "a.key", NULL, a_key) == -1 ||
	    tlsgen_save(dir, "b.pem", b, NULL) == -1 ||
	    tlsgen_save(dir, "b.key", NULL, b_key) == -1 ||
	    tlsgen_save(dir, "self.pem", self, NULL) == -1 ||
	    tlsgen_save(dir, "self.key", NULL, s_key) == -1 ||
	    tlsgen_save(dir, "other.key", NULL, o_key) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		fprintf(stderr, "tlsgen: cannot make certificates in %s\n",
			dir);
	X509_free(ca);
	X509_free(a);
	X509_free(b);
	X509_free(self);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(a_key);
	EVP_PKEY_free(b_key);
	EVP_PKEY_free(s_key);
	EVP_PKEY_free(o_key);
	return rc;
}
