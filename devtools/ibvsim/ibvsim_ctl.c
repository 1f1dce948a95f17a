/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * ibvsim-ctl: change or show the verbs emulator's model from the shell.
 * A thin front end of ibvsim.h: it checks the command line, saying what is
 * wrong in one line, and maps the API's errors to messages.
 *
 * Exit status: 0 done; 1 bad input or failure, the model unchanged;
 * 3 the change was made but a context did not drain its events in time.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ibvsim.h"

#define EXIT_BAD 1
#define EXIT_UNDELIVERED 3

static const char usage_text[] =
	"usage: ibvsim-ctl [--dir DIR] COMMAND ...\n"
	"  group  NAME --pf MBPS[,MBPS...] [--max MBPS]\n"
	"  device IBDEV (--group NAME | --speed MBPS) [--ports N]"
	" [--type pf|vf|sf] [--legacy | --old-kernel]\n"
	"  pf     GROUP INDEX up|down\n"
	"  set    IBDEV up|down\n"
	"  fault  IBDEV query-eio|open-fail|fatal|storm N|clear\n"
	"  show   [--json]\n"
	"The state directory is --dir DIR or $IBVSIM_DIR; speeds in Mb/s,\n"
	"multiples of 100.\n";

static const char *cmd_name = "";
static const char *state_dir;
static struct ibvsim *sim;

static int
fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ibvsim-ctl: %s%s", cmd_name, *cmd_name ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_BAD;
}

static bool
parse_u32(const char *s, unsigned long min, unsigned long max, uint32_t *out)
{
	unsigned long v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return false;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return false;
	}
	if (v < min)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The library's rule, said with the name that breaks it. */
static bool
check_name(const char *what, const char *name)
{
	if (ibvsim_name_valid(name))
		return true;
	fail("invalid %s name '%s' (1 to %d characters of A-Z a-z 0-9 _ . -,"
			" not starting with . or -)", what, name, IBVSIM_NAME_LEN);
	return false;
}

static int
mbps_error(const char *opt, const char *s)
{
	return fail("invalid speed '%s' for %s: expected a number of Mb/s, a"
			" multiple of %u from %u to %u (the verb's unit is %u Mb/s)",
			s, opt, IBVSIM_MBPS_UNIT, IBVSIM_MBPS_UNIT,
			IBVSIM_MAX_MBPS, IBVSIM_MBPS_UNIT);
}

/* A speed in Mb/s: digits, a multiple of the verb's unit, in range. */
static bool
parse_mbps(const char *s, uint32_t *out)
{
	return parse_u32(s, IBVSIM_MBPS_UNIT, IBVSIM_MAX_MBPS, out) &&
		*out % IBVSIM_MBPS_UNIT == 0;
}

/* what: the device or group named; contexts belong to devices. */
static int
api_error(int ret, const char *what, bool group)
{
	if (ret == -ETIMEDOUT) {
		fprintf(stderr, "ibvsim-ctl: %s: warning: the change was made but an open"
				" context of %s%s did not drain its events in time;"
				" the rest of its events were dropped\n",
				cmd_name, group ? "a device of group " : "", what);
		return EXIT_UNDELIVERED;
	}
	if (ret == -EACCES)
		return fail("%s: %s (the model, or an open context, belongs to"
				" another user: run ibvsim-ctl as the applications'"
				" user or as root)", what, strerror(-ret));
	return fail("%s: %s", what, strerror(-ret));
}

/*
 * Open the model once the command line is known to be good, so that a
 * refused command leaves even an empty directory as it was. 0 or EXIT_BAD.
 */
static int
open_model(void)
{
	if (sim != NULL)
		return 0;
	sim = ibvsim_open(state_dir);
	if (sim == NULL)
		return fail("state directory '%s': %s", state_dir,
				errno == EBADMSG ? "corrupt model file" : strerror(errno));
	return 0;
}

/* No value is an option: "--pf --max 5" lacks the PF speeds. */
static int
needs_value(int i, int argc, char **argv)
{
	if (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0) {
		fail("option %s needs a value", argv[i]);
		return -1;
	}
	return 0;
}

static int
cmd_group(int argc, char **argv)
{
	uint32_t pf[IBVSIM_MAX_PFS], max_mbps = 0;
	const char *pf_arg = NULL, *max_arg = NULL;
	unsigned int n_pf = 0;
	char *list, *tok, *save;
	int i, ret;

	if (argc < 2)
		return fail("missing NAME (see --help)");
	if (!check_name("group", argv[1]))
		return EXIT_BAD;
	for (i = 2; i < argc; i++) {
		const char **slot;

		if (strcmp(argv[i], "--pf") == 0)
			slot = &pf_arg;
		else if (strcmp(argv[i], "--max") == 0)
			slot = &max_arg;
		else
			return fail("unknown argument '%s'", argv[i]);
		if (*slot != NULL)
			return fail("%s given twice", argv[i]);
		if (needs_value(i, argc, argv) < 0)
			return EXIT_BAD;
		*slot = argv[++i];
	}
	if (pf_arg == NULL)
		return fail("--pf MBPS[,MBPS...] is required");
	if (max_arg != NULL && !parse_mbps(max_arg, &max_mbps))
		return mbps_error("--max", max_arg);
	list = strdup(pf_arg);
	if (list == NULL)
		return fail("%s", strerror(ENOMEM));
	/* strtok would skip empty fields: "100,,200" must be refused. */
	ret = 0;
	for (tok = list; tok != NULL; tok = save) {
		save = strchr(tok, ',');
		if (save != NULL)
			*save++ = '\0';
		if (n_pf == IBVSIM_MAX_PFS) {
			ret = fail("too many PFs in --pf (at most %d)", IBVSIM_MAX_PFS);
			break;
		}
		if (!parse_mbps(tok, &pf[n_pf])) {
			ret = mbps_error("--pf", tok);
			break;
		}
		n_pf++;
	}
	free(list);
	if (ret != 0)
		return ret;
	if (open_model() != 0)
		return EXIT_BAD;
	ret = ibvsim_group_add(sim, argv[1], pf, n_pf, max_mbps);
	if (ret == -EEXIST)
		return fail("a group named '%s' already exists", argv[1]);
	if (ret == -ENOSPC)
		return fail("too many groups (at most %d)", IBVSIM_MAX_GROUPS);
	return ret < 0 ? api_error(ret, argv[1], true) : 0;
}

static int
cmd_device(int argc, char **argv)
{
	const char *group = NULL, *speed_arg = NULL, *ports_arg = NULL;
	const char *type = NULL;
	uint32_t speed = 0, ports = 1;
	unsigned int flags = 0;
	int i, ret;

	if (argc < 2)
		return fail("missing IBDEV (see --help)");
	if (!check_name("device", argv[1]))
		return EXIT_BAD;
	for (i = 2; i < argc; i++) {
		const char **slot = NULL;
		unsigned int flag = 0;

		if (strcmp(argv[i], "--group") == 0)
			slot = &group;
		else if (strcmp(argv[i], "--speed") == 0)
			slot = &speed_arg;
		else if (strcmp(argv[i], "--ports") == 0)
			slot = &ports_arg;
		else if (strcmp(argv[i], "--type") == 0)
			slot = &type;
		else if (strcmp(argv[i], "--legacy") == 0)
			flag = IBVSIM_F_LEGACY;
		else if (strcmp(argv[i], "--old-kernel") == 0)
			flag = IBVSIM_F_OLD_KERNEL;
		else
			return fail("unknown argument '%s'", argv[i]);
		if (flag != 0) {
			if (flags & flag)
				return fail("%s given twice", argv[i]);
			flags |= flag;
			continue;
		}
		if (*slot != NULL)
			return fail("%s given twice", argv[i]);
		if (needs_value(i, argc, argv) < 0)
			return EXIT_BAD;
		*slot = argv[++i];
	}
	if ((group == NULL) == (speed_arg == NULL))
		return fail("give exactly one of --group NAME and --speed MBPS");
	if (flags == (IBVSIM_F_LEGACY | IBVSIM_F_OLD_KERNEL))
		return fail("--legacy and --old-kernel exclude each other");
	if (group != NULL && !check_name("group", group))
		return EXIT_BAD;
	if (speed_arg != NULL && !parse_mbps(speed_arg, &speed))
		return mbps_error("--speed", speed_arg);
	if (ports_arg != NULL && !parse_u32(ports_arg, 1, IBVSIM_MAX_PORTS, &ports))
		return fail("invalid port count '%s': expected an integer from 1 to %d",
				ports_arg, IBVSIM_MAX_PORTS);
	if (type != NULL && strcmp(type, "pf") != 0 && strcmp(type, "vf") != 0 &&
			strcmp(type, "sf") != 0)
		return fail("invalid --type '%s': expected pf, vf or sf", type);
	if (open_model() != 0)
		return EXIT_BAD;
	ret = ibvsim_device_add(sim, argv[1], group, speed, ports, type, flags);
	if (ret == -EEXIST)
		return fail("a device named '%s' already exists", argv[1]);
	if (ret == -ENOENT)
		return fail("no group named '%s'", group);
	if (ret == -ENOSPC)
		return fail("too many devices (at most %d)", IBVSIM_MAX_DEVICES);
	return ret < 0 ? api_error(ret, argv[1], false) : 0;
}

static int
parse_state(const char *s, bool *up)
{
	if (strcmp(s, "up") == 0)
		*up = true;
	else if (strcmp(s, "down") == 0)
		*up = false;
	else
		return fail("invalid state '%s': expected up or down", s);
	return 0;
}

static int
cmd_pf(int argc, char **argv)
{
	uint32_t index;
	bool up = false;
	int ret;

	if (argc != 4)
		return fail("expected GROUP INDEX up|down");
	if (!check_name("group", argv[1]))
		return EXIT_BAD;
	if (!parse_u32(argv[2], 0, IBVSIM_MAX_PFS - 1, &index))
		return fail("invalid PF index '%s': expected an integer from 0 to %d",
				argv[2], IBVSIM_MAX_PFS - 1);
	if (parse_state(argv[3], &up) != 0)
		return EXIT_BAD;
	if (open_model() != 0)
		return EXIT_BAD;
	ret = ibvsim_pf_set(sim, argv[1], index, up);
	if (ret == -ENOENT)
		return fail("no group named '%s'", argv[1]);
	if (ret == -ERANGE)
		return fail("group '%s' has no PF %u", argv[1], index);
	return ret < 0 ? api_error(ret, argv[1], true) : 0;
}

static int
cmd_set(int argc, char **argv)
{
	bool up = false;
	int ret;

	if (argc != 3)
		return fail("expected IBDEV up|down");
	if (!check_name("device", argv[1]))
		return EXIT_BAD;
	if (parse_state(argv[2], &up) != 0)
		return EXIT_BAD;
	if (open_model() != 0)
		return EXIT_BAD;
	ret = ibvsim_device_set(sim, argv[1], up);
	if (ret == -ENOENT)
		return fail("no device named '%s'", argv[1]);
	return ret < 0 ? api_error(ret, argv[1], false) : 0;
}

static int
cmd_fault(int argc, char **argv)
{
	static const char *const faults[] = {
		"query-eio", "open-fail", "fatal", "clear",
	};
	uint32_t count = 0;
	size_t i;
	int ret;

	if (argc < 3)
		return fail("expected IBDEV query-eio|open-fail|fatal|storm N|clear");
	if (!check_name("device", argv[1]))
		return EXIT_BAD;
	if (strcmp(argv[2], "storm") == 0) {
		if (argc < 4)
			return fail("expected storm N");
		if (argc > 4)
			return fail("unexpected argument '%s'", argv[4]);
		if (!parse_u32(argv[3], 1, IBVSIM_MAX_STORM, &count))
			return fail("invalid event count '%s': expected an integer from 1 to %u",
					argv[3], IBVSIM_MAX_STORM);
	} else {
		for (i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
			if (strcmp(argv[2], faults[i]) == 0)
				break;
		if (i == sizeof(faults) / sizeof(faults[0]))
			return fail("unknown fault '%s': expected query-eio, open-fail,"
					" fatal, storm N or clear", argv[2]);
		if (argc != 3)
			return fail("unexpected argument '%s'", argv[3]);
	}
	if (open_model() != 0)
		return EXIT_BAD;
	ret = ibvsim_fault(sim, argv[1], argv[2], count);
	if (ret == -ENOENT)
		return fail("no device named '%s'", argv[1]);
	return ret < 0 ? api_error(ret, argv[1], false) : 0;
}

static int
cmd_show(int argc, char **argv)
{
	bool json = false;
	int i, ret;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && !json)
			json = true;
		else
			return fail("unexpected argument '%s'", argv[i]);
	}
	if (open_model() != 0)
		return EXIT_BAD;
	ret = ibvsim_show(sim, stdout, json);
	return ret < 0 ? fail("%s", strerror(-ret)) : 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "group", cmd_group },
	{ "device", cmd_device },
	{ "pf", cmd_pf },
	{ "set", cmd_set },
	{ "fault", cmd_fault },
	{ "show", cmd_show },
};

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	char **args;
	int i, n = 0, ret;
	size_t c;

	args = calloc((size_t)argc + 1, sizeof(*args));
	if (args == NULL)
		return fail("%s", strerror(ENOMEM));
	/* --dir may come anywhere; everything else is the command's. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			free(args);
			return 0;
		}
		if (strcmp(argv[i], "--dir") == 0) {
			if (dir != NULL || i + 1 >= argc) {
				free(args);
				return fail(dir != NULL ? "--dir given twice" :
						"option --dir needs a value");
			}
			dir = argv[++i];
		} else if (strncmp(argv[i], "--dir=", 6) == 0) {
			if (dir != NULL) {
				free(args);
				return fail("--dir given twice");
			}
			dir = argv[i] + 6;
		} else {
			args[n++] = argv[i];
		}
	}
	if (n == 0) {
		free(args);
		if (dir != NULL)
			fail("no command after --dir %s", dir);
		fputs(usage_text, stderr);
		return EXIT_BAD;
	}
	for (c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
		if (strcmp(args[0], commands[c].name) == 0)
			break;
	if (c == sizeof(commands) / sizeof(commands[0])) {
		ret = fail("unknown command '%s' (see --help)", args[0]);
		free(args);
		return ret;
	}
	cmd_name = commands[c].name;
	/*
	 * Said before any change rather than ignored while one waits; show
	 * changes nothing.
	 */
	if (strcmp(cmd_name, "show") != 0 && ibvsim_drain_timeout_ms() < 0) {
		free(args);
		return fail("IBVSIM_DRAIN_TIMEOUT_MS='%s': not a number of "
				"milliseconds from 0 to 3600000",
				getenv("IBVSIM_DRAIN_TIMEOUT_MS"));
	}
	if (dir != NULL && *dir == '\0') {
		free(args);
		return fail("--dir: empty directory name");
	}
	if (dir == NULL)
		dir = getenv(IBVSIM_DIR_ENV);
	if (dir == NULL || *dir == '\0') {
		free(args);
		return fail("no state directory: use --dir DIR or set %s",
				IBVSIM_DIR_ENV);
	}
	state_dir = dir;
	ret = commands[c].fn(n, args);
	ibvsim_close(sim);
	free(args);
	return ret;
}
