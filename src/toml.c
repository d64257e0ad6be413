/* SPDX-License-Identifier: MIT */
/* placeholder until the module lands */
#include "auto-config.h"

int porty_placeholder_toml(void);
int
porty_placeholder_toml(void)
{
	return 0;
}
