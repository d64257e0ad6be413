/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_sock(void);
int
porty_placeholder_sock(void)
{
	return 0;
}
