/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_log(void);
int
porty_placeholder_log(void)
{
	return 0;
}
