/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_http_head(void);
int
porty_placeholder_http_head(void)
{
	return 0;
}
