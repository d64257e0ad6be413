/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_config(void);
int
porty_placeholder_config(void)
{
	return 0;
}
