/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_accesslog(void);
int
porty_placeholder_accesslog(void)
{
	return 0;
}
