/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_resolve(void);
int
porty_placeholder_resolve(void)
{
	return 0;
}
