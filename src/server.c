/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_server(void);
int
porty_placeholder_server(void)
{
	return 0;
}
