/* SPDX-License-Identifier: MIT */
/* Dropping root privileges after binding: user, group, supplementary groups. */
#ifndef PORTY_PRIVDROP_H
#define PORTY_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who to become, resolved before anything is bound. */
struct privdrop {
	bool set_user;  /* `user` was given */
	bool set_group; /* `group` was given, or the user's primary group */
	uid_t uid;
	gid_t gid;
	char name[64]; /* the user's name, for initgroups(); "" if none */
};

/*
 * Resolve USER and GROUP (names or numeric ids; either may be NULL) into
 * PD. Without GROUP, the user's primary group is used. Returns 0, or -1
 * with ERR filled ("user \"x\": no such user").
 */
int privdrop_lookup(const char *user, const char *group, struct privdrop *pd,
		    char *err, size_t errlen);

/* Whether PD asks for anything. */
bool privdrop_wanted(const struct privdrop *pd);

/*
 * Become PD's user and group for good: supplementary groups (initgroups()
 * of the user, or the group alone), then setgid(), then setuid(), and check
 * that root cannot be regained. A process that is not root may only "become"
 * what it is already. Returns 0, or -1 with ERR filled.
 */
int privdrop_apply(const struct privdrop *pd, char *err, size_t errlen);

#endif /* PORTY_PRIVDROP_H */
