/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_parse(void);
int
porty_placeholder_parse(void)
{
	return 0;
}
