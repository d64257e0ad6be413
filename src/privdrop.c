/* SPDX-License-Identifier: MIT */
/* Dropping root privileges after binding: user, group, supplementary groups. */
#include "auto-config.h"

#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"

/* TEXT as a numeric id, if it is all digits. */
static bool
privdrop_id(const char *text, unsigned long long *id)
{
	const char *err;

	return parse_uint(text, 0, 0x7fffffff, id, &err) == 0;
}

int
privdrop_lookup(const char *user, const char *group, struct privdrop *pd,
		char *err, size_t errlen)
{
	unsigned long long id;
	struct passwd *pw;
	struct group *gr;

	memset(pd, 0, sizeof(*pd));
	if (user != NULL) {
		errno = 0;
		pw = getpwnam(user);
		if (pw == NULL && privdrop_id(user, &id))
			pw = getpwuid((uid_t)id);
		if (pw != NULL) {
			pd->uid = pw->pw_uid;
			pd->gid = pw->pw_gid;
			snprintf(pd->name, sizeof(pd->name), "%s", pw->pw_name);
			pd->set_group = true;
		} else if (privdrop_id(user, &id)) {
			/* A numeric id with no passwd entry: only if the
			   group is given, as there is no primary group. */
			pd->uid = (uid_t)id;
			if (group == NULL) {
				snprintf(err, errlen,
					 "user \"%s\": no such user in the "
					 "passwd database, so set group too",
					 user);
				return -1;
			}
		} else {
			snprintf(err, errlen, "user \"%s\": %s", user,
				 errno != 0 ? strerror(errno) : "no such user");
			return -1;
		}
		pd->set_user = true;
	}
	if (group != NULL) {
		errno = 0;
		gr = getgrnam(group);
		if (gr != NULL)
			pd->gid = gr->gr_gid;
		else if (privdrop_id(group, &id))
			pd->gid = (gid_t)id;
		else {
			snprintf(err, errlen, "group \"%s\": %s", group,
				 errno != 0 ? strerror(errno)
					    : "no such group");
			return -1;
		}
		pd->set_group = true;
	}
	return 0;
}

bool
privdrop_wanted(const struct privdrop *pd)
{
	return pd->set_user || pd->set_group;
}

int
privdrop_apply(const struct privdrop *pd, char *err, size_t errlen)
{
	if (!privdrop_wanted(pd))
		return 0;
	if (geteuid() != 0) {
		/* Nothing to drop; asking to be someone else is an error. */
		if ((pd->set_user && pd->uid != geteuid()) ||
		    (pd->set_group && pd->gid != getegid())) {
			snprintf(err, errlen,
				 "user/group: only root can switch to "
				 "another user or group (porty runs as uid "
				 "%ld)",
				 (long)geteuid());
			return -1;
		}
		return 0;
	}
	/* Supplementary groups first: root's would otherwise stay. */
	if (pd->set_user && pd->name[0] != '\0') {
		if (initgroups(pd->name, pd->gid) == -1) {
			snprintf(err, errlen, "initgroups(%s): %s", pd->name,
				 strerror(errno));
			return -1;
		}
	} else if (setgroups(1, &pd->gid) == -1) {
		snprintf(err, errlen, "setgroups: %s", strerror(errno));
		return -1;
	}
	if (pd->set_group && setgid(pd->gid) == -1) {
		snprintf(err, errlen, "setgid(%ld): %s", (long)pd->gid,
			 strerror(errno));
		return -1;
	}
	if (pd->set_user && setuid(pd->uid) == -1) {
		snprintf(err, errlen, "setuid(%ld): %s", (long)pd->uid,
			 strerror(errno));
		return -1;
	}
	/* Paranoia, as OpenSSH does: root must be gone for good. */
	if (pd->set_user && pd->uid != 0 && setuid(0) != -1) {
		snprintf(err, errlen,
			 "setuid(0) still works after dropping "
			 "privileges");
		return -1;
	}
	return 0;
}
