/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_upstream(void);
int
porty_placeholder_upstream(void)
{
	return 0;
}
