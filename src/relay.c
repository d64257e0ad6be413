/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_relay(void);
int
porty_placeholder_relay(void)
{
	return 0;
}
