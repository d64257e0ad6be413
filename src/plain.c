/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_plain(void);
int
porty_placeholder_plain(void)
{
	return 0;
}
