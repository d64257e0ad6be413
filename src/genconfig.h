/* SPDX-License-Identifier: MIT */
/* `porty generate-config`: the commented example configuration. */
#ifndef PORTY_GENCONFIG_H
#define PORTY_GENCONFIG_H

#include <stdbool.h>
#include <stddef.h>

/* The example config text: every key mentioned, valid as it is. */
const char *genconfig_text(void);

/*
 * Write the example to PATH. Without FORCE an existing file is left alone
 * and that is an error. Returns 0, or -1 with ERR filled.
 */
int genconfig_write(const char *path, bool force, char *err, size_t errlen);

#endif /* PORTY_GENCONFIG_H */
