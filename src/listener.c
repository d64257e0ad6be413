/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_listener(void);
int
porty_placeholder_listener(void)
{
	return 0;
}
