/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_conn(void);
int
porty_placeholder_conn(void)
{
	return 0;
}
