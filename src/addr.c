/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_addr(void);
int
porty_placeholder_addr(void)
{
	return 0;
}
