/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_router(void);
int
porty_placeholder_router(void)
{
	return 0;
}
