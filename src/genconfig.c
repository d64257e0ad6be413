/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_genconfig(void);
int
porty_placeholder_genconfig(void)
{
	return 0;
}
