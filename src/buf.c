/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_buf(void);
int
porty_placeholder_buf(void)
{
	return 0;
}
