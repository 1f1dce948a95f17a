/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The command line: testpmd's commands lagpmd shares (same syntax, same
 * output), the txq rebalance commands, and the three ways to feed them
 * (interactive prompt, --cmdline-file, a script on stdin).
 */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_num.h>
#include <cmdline_parse_string.h>
#include <cmdline_socket.h>

#include "lagpmd.h"

static bool quit_requested;

/* Output of a command reaches the terminal before the next prompt. */
static void
cmd_done(void)
{
	fflush(stdout);
	fflush(stderr);
}

static bool
port_valid_warn(uint16_t port_id)
{
	if (rte_eth_dev_is_valid_port(port_id))
		return true;
	fprintf(stderr, "Invalid port %d\n", port_id);
	lp_print_valid_ports();
	return false;
}

/* A forwarding port (one lagpmd sends on). */
static int
fwd_port_warn(unsigned long port_id)
{
	int idx = port_id < RTE_MAX_ETHPORTS ?
		lp_port_index((uint16_t)port_id) : -1;

	if (idx < 0)
		fprintf(stderr, "Invalid port %lu\n", port_id);
	return idx;
}

/* *** show port info|stats|speed <id> *** */
struct cmd_show_port_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t what;
	uint16_t port_id;
};

static void
show_port_one(const char *what, uint16_t port_id)
{
	if (!strcmp(what, "info"))
		lp_port_infos_display(port_id);
	else if (!strcmp(what, "stats"))
		lp_port_stats_display(port_id);
	else if (!strcmp(what, "speed"))
		lp_port_speed_show(stdout, port_id);
}

static void
cmd_show_port_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_show_port_result *res = parsed;

	if (port_valid_warn(res->port_id))
		show_port_one(res->what, res->port_id);
	cmd_done();
}

static cmdline_parse_token_string_t cmd_show_port_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_result, show, "show");
static cmdline_parse_token_string_t cmd_show_port_port =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_result, port, "port");
static cmdline_parse_token_string_t cmd_show_port_what =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_result, what,
		"info#stats#speed");
static cmdline_parse_token_num_t cmd_show_port_id =
	TOKEN_NUM_INITIALIZER(struct cmd_show_port_result, port_id, RTE_UINT16);

static cmdline_parse_inst_t cmd_show_port = {
	.f = cmd_show_port_parsed,
	.help_str = "show port info|stats|speed <port_id>",
	.tokens = {
		(void *)&cmd_show_port_show,
		(void *)&cmd_show_port_port,
		(void *)&cmd_show_port_what,
		(void *)&cmd_show_port_id,
		NULL,
	},
};

/* *** show port info|stats|speed|summary all *** */
struct cmd_show_port_all_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t what;
	cmdline_fixed_string_t all;
};

static void
cmd_show_port_all_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_show_port_all_result *res = parsed;
	uint16_t pid;

	if (!strcmp(res->what, "summary"))
		lp_port_summary_display();
	else if (!strcmp(res->what, "stats"))
		lp_port_stats_display_all();
	else
		RTE_ETH_FOREACH_DEV(pid)
			show_port_one(res->what, pid);
	cmd_done();
}

static cmdline_parse_token_string_t cmd_show_port_all_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_all_result, show, "show");
static cmdline_parse_token_string_t cmd_show_port_all_port =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_all_result, port, "port");
static cmdline_parse_token_string_t cmd_show_port_all_what =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_all_result, what,
		"info#stats#speed#summary");
static cmdline_parse_token_string_t cmd_show_port_all_all =
	TOKEN_STRING_INITIALIZER(struct cmd_show_port_all_result, all, "all");

static cmdline_parse_inst_t cmd_show_port_all = {
	.f = cmd_show_port_all_parsed,
	.help_str = "show port info|stats|speed|summary all",
	.tokens = {
		(void *)&cmd_show_port_all_show,
		(void *)&cmd_show_port_all_port,
		(void *)&cmd_show_port_all_what,
		(void *)&cmd_show_port_all_all,
		NULL,
	},
};

/* *** clear port stats <id>|all *** */
struct cmd_clear_stats_result {
	cmdline_fixed_string_t clear;
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t stats;
	uint16_t port_id; /* a number as the other commands take it */
};

static void
cmd_clear_stats_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_clear_stats_result *res = parsed;

	if (port_valid_warn(res->port_id))
		lp_port_stats_clear(res->port_id);
	cmd_done();
}

static cmdline_parse_token_string_t cmd_clear_stats_clear =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_result, clear, "clear");
static cmdline_parse_token_string_t cmd_clear_stats_port =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_result, port, "port");
static cmdline_parse_token_string_t cmd_clear_stats_stats =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_result, stats, "stats");
static cmdline_parse_token_num_t cmd_clear_stats_id =
	TOKEN_NUM_INITIALIZER(struct cmd_clear_stats_result, port_id, RTE_UINT16);

static cmdline_parse_inst_t cmd_clear_stats = {
	.f = cmd_clear_stats_parsed,
	.help_str = "clear port stats <port_id>",
	.tokens = {
		(void *)&cmd_clear_stats_clear,
		(void *)&cmd_clear_stats_port,
		(void *)&cmd_clear_stats_stats,
		(void *)&cmd_clear_stats_id,
		NULL,
	},
};

struct cmd_clear_stats_all_result {
	cmdline_fixed_string_t clear;
	cmdline_fixed_string_t port;
	cmdline_fixed_string_t stats;
	cmdline_fixed_string_t all;
};

static void
cmd_clear_stats_all_parsed(void *parsed __rte_unused,
	struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid)
		lp_port_stats_clear(pid);
	cmd_done();
}

static cmdline_parse_token_string_t cmd_clear_stats_all_clear =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_all_result, clear, "clear");
static cmdline_parse_token_string_t cmd_clear_stats_all_port =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_all_result, port, "port");
static cmdline_parse_token_string_t cmd_clear_stats_all_stats =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_all_result, stats, "stats");
static cmdline_parse_token_string_t cmd_clear_stats_all_all =
	TOKEN_STRING_INITIALIZER(struct cmd_clear_stats_all_result, all, "all");

static cmdline_parse_inst_t cmd_clear_stats_all = {
	.f = cmd_clear_stats_all_parsed,
	.help_str = "clear port stats all",
	.tokens = {
		(void *)&cmd_clear_stats_all_clear,
		(void *)&cmd_clear_stats_all_port,
		(void *)&cmd_clear_stats_all_stats,
		(void *)&cmd_clear_stats_all_all,
		NULL,
	},
};

/* *** start / stop / quit / help (one word) *** */
struct cmd_word_result {
	cmdline_fixed_string_t word;
};

static void
help_display(void)
{
	printf("\n"
		"Control:\n"
		"    start                              : start forwarding\n"
		"    stop                               : stop forwarding, show statistics\n"
		"    quit                               : exit\n"
		"    help                               : this list\n"
		"    sleep <ms>                         : pause the command stream\n"
		"\n"
		"Display:\n"
		"    show port info|stats|speed <port_id>|all\n"
		"    show port summary all\n"
		"    clear port stats <port_id>|all\n"
		"    show txq map                       : per-port weight, TX queues, share;\n"
		"                                         which lcore sends on which queue\n"
		"    show txq schedule                  : each lcore's round of bursts, in order\n"
		"\n"
		"Configuration:\n"
		"    set fwd txonly|io                  : forwarding mode (while stopped)\n"
		"    set txpkts <len>                   : txonly packet length, 42..2048\n"
		"                                         (while stopped)\n"
		"    set burst <n>                      : packets per burst, 1..512\n"
		"\n"
		"TX rebalancing:\n"
		"    txq rebalance speed                : weights = effective link speeds\n"
		"    txq rebalance weights <port>:<w>[,<port>:<w>...]\n"
		"                                       : manual weights (others keep theirs)\n"
		"    txq rebalance cap <port>:<Mbps>    : cap a port's speed (0: no cap),\n"
		"                                         then rebalance by speed\n"
		"    txq rebalance auto on|off          : rebalance by speed on every\n"
		"                                         link state change event\n"
		"\n");
}

static void
cmd_word_parsed(void *parsed, struct cmdline *cl, void *data __rte_unused)
{
	struct cmd_word_result *res = parsed;

	if (!strcmp(res->word, "start")) {
		lp_fwd_start();
	} else if (!strcmp(res->word, "stop")) {
		lp_fwd_stop();
	} else if (!strcmp(res->word, "help")) {
		help_display();
	} else if (!strcmp(res->word, "quit")) {
		quit_requested = true;
		if (cl != NULL)
			cmdline_quit(cl);
	}
	cmd_done();
}

static cmdline_parse_token_string_t cmd_word_word =
	TOKEN_STRING_INITIALIZER(struct cmd_word_result, word,
		"start#stop#help#quit");

static cmdline_parse_inst_t cmd_word = {
	.f = cmd_word_parsed,
	.help_str = "start|stop|help|quit",
	.tokens = {
		(void *)&cmd_word_word,
		NULL,
	},
};

/* *** sleep <ms> *** */
struct cmd_sleep_result {
	cmdline_fixed_string_t sleep;
	uint32_t ms;
};

static void
cmd_sleep_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_sleep_result *res = parsed;
	struct timespec ts = {
		.tv_sec = res->ms / 1000,
		.tv_nsec = (long)(res->ms % 1000) * 1000000,
	};

	cmd_done();
	/* A signal ends the pause: lagpmd is on its way out. */
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR &&
			lp_quit_signal == 0)
		;
}

static cmdline_parse_token_string_t cmd_sleep_sleep =
	TOKEN_STRING_INITIALIZER(struct cmd_sleep_result, sleep, "sleep");
static cmdline_parse_token_num_t cmd_sleep_ms =
	TOKEN_NUM_INITIALIZER(struct cmd_sleep_result, ms, RTE_UINT32);

static cmdline_parse_inst_t cmd_sleep = {
	.f = cmd_sleep_parsed,
	.help_str = "sleep <ms>: pause the command stream",
	.tokens = {
		(void *)&cmd_sleep_sleep,
		(void *)&cmd_sleep_ms,
		NULL,
	},
};

/* *** set fwd txonly|io *** */
struct cmd_set_fwd_result {
	cmdline_fixed_string_t set;
	cmdline_fixed_string_t fwd;
	cmdline_fixed_string_t mode;
};

static void
cmd_set_fwd_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_set_fwd_result *res = parsed;

	if (lp.started) {
		fprintf(stderr, "Please stop forwarding first\n");
	} else {
		lp.mode = !strcmp(res->mode, "io") ? LP_FWD_IO : LP_FWD_TXONLY;
		printf("Set %s packet forwarding mode\n", res->mode);
	}
	cmd_done();
}

static cmdline_parse_token_string_t cmd_set_fwd_set =
	TOKEN_STRING_INITIALIZER(struct cmd_set_fwd_result, set, "set");
static cmdline_parse_token_string_t cmd_set_fwd_fwd =
	TOKEN_STRING_INITIALIZER(struct cmd_set_fwd_result, fwd, "fwd");
static cmdline_parse_token_string_t cmd_set_fwd_mode =
	TOKEN_STRING_INITIALIZER(struct cmd_set_fwd_result, mode, "txonly#io");

static cmdline_parse_inst_t cmd_set_fwd = {
	.f = cmd_set_fwd_parsed,
	.help_str = "set fwd txonly|io: set the packet forwarding mode",
	.tokens = {
		(void *)&cmd_set_fwd_set,
		(void *)&cmd_set_fwd_fwd,
		(void *)&cmd_set_fwd_mode,
		NULL,
	},
};

/* *** set txpkts <len> / set burst <n> *** */
struct cmd_set_num_result {
	cmdline_fixed_string_t set;
	cmdline_fixed_string_t what;
	uint16_t value;
};

static void
cmd_set_num_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_set_num_result *res = parsed;

	if (!strcmp(res->what, "burst")) {
		if (res->value == 0 || res->value > LP_MAX_BURST)
			fprintf(stderr, "nb pkt per burst must be >= 1 and <= %d\n",
				LP_MAX_BURST);
		else {
			__atomic_store_n(&lp.burst, res->value,
				__ATOMIC_RELAXED);
			printf("Number of packets per burst set to %u\n",
				res->value);
		}
	} else if (lp.started) {
		/* The packet template is read by the lcores. */
		fprintf(stderr, "Please stop forwarding first\n");
	} else {
		lp_txpkt_len_set(res->value);
	}
	cmd_done();
}

static cmdline_parse_token_string_t cmd_set_num_set =
	TOKEN_STRING_INITIALIZER(struct cmd_set_num_result, set, "set");
static cmdline_parse_token_string_t cmd_set_num_what =
	TOKEN_STRING_INITIALIZER(struct cmd_set_num_result, what,
		"txpkts#burst");
static cmdline_parse_token_num_t cmd_set_num_value =
	TOKEN_NUM_INITIALIZER(struct cmd_set_num_result, value, RTE_UINT16);

static cmdline_parse_inst_t cmd_set_num = {
	.f = cmd_set_num_parsed,
	.help_str = "set txpkts <len>|burst <n>",
	.tokens = {
		(void *)&cmd_set_num_set,
		(void *)&cmd_set_num_what,
		(void *)&cmd_set_num_value,
		NULL,
	},
};

/* *** txq rebalance speed *** */
struct cmd_rebal_speed_result {
	cmdline_fixed_string_t txq;
	cmdline_fixed_string_t rebalance;
	cmdline_fixed_string_t speed;
};

static void
cmd_rebal_speed_parsed(void *parsed __rte_unused,
	struct cmdline *cl __rte_unused, void *data __rte_unused)
{
	lp_rebalance_speed("by speed");
	cmd_done();
}

static cmdline_parse_token_string_t cmd_rebal_speed_txq =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_speed_result, txq, "txq");
static cmdline_parse_token_string_t cmd_rebal_speed_rebalance =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_speed_result, rebalance,
		"rebalance");
static cmdline_parse_token_string_t cmd_rebal_speed_speed =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_speed_result, speed, "speed");

static cmdline_parse_inst_t cmd_rebal_speed = {
	.f = cmd_rebal_speed_parsed,
	.help_str = "txq rebalance speed: weights from the ports' effective speeds",
	.tokens = {
		(void *)&cmd_rebal_speed_txq,
		(void *)&cmd_rebal_speed_rebalance,
		(void *)&cmd_rebal_speed_speed,
		NULL,
	},
};

/* *** txq rebalance weights|cap <list> *** */
struct cmd_rebal_list_result {
	cmdline_fixed_string_t txq;
	cmdline_fixed_string_t rebalance;
	cmdline_fixed_string_t what;
	/* the rest of the line: a list of many ports outgrows a plain token */
	cmdline_multi_string_t list;
};

/*
 * Parse "<port>:<value>[,<port>:<value>...]" into per-port-index values;
 * set[i] tells which were given. Returns 0 or -1 (message printed).
 */
static int
parse_port_values(const char *list, bool multi, uint64_t *values, bool *set)
{
	const char *p = list;
	unsigned int n = 0;

	while (*p != '\0') {
		unsigned long port;
		unsigned long long value;
		char *end;
		int idx;

		/* digits only: strtoul() would take blanks and a sign */
		if (!isdigit((unsigned char)*p))
			goto bad;
		errno = 0;
		port = strtoul(p, &end, 10);
		if (end == p || *end != ':' || errno != 0)
			goto bad;
		p = end + 1;
		if (!isdigit((unsigned char)*p))
			goto bad;
		value = strtoull(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0') || errno != 0)
			goto bad;
		idx = fwd_port_warn(port);
		if (idx < 0)
			return -1;
		if (set[idx]) {
			fprintf(stderr, "Port %lu given twice\n", port);
			return -1;
		}
		set[idx] = true;
		values[idx] = value;
		n++;
		p = *end == ',' ? end + 1 : end;
		if (*end == ',' && *p == '\0')
			goto bad;
	}
	if (n == 0 || (!multi && n > 1))
		goto bad;
	return 0;
bad:
	fprintf(stderr, "Bad arguments\n");
	return -1;
}

static void
cmd_rebal_list_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_rebal_list_result *res = parsed;
	uint64_t values[RTE_MAX_ETHPORTS] = { 0 };
	bool set[RTE_MAX_ETHPORTS] = { false };
	size_t len = strlen(res->list);
	unsigned int i;

	/* The rest of the line comes with the blanks before its end. */
	while (len > 0 && isspace((unsigned char)res->list[len - 1]))
		res->list[--len] = '\0';
	if (!strcmp(res->what, "weights")) {
		if (parse_port_values(res->list, true, values, set) == 0)
			lp_rebalance_weights(values, set);
	} else if (parse_port_values(res->list, false, values, set) == 0) {
		for (i = 0; i < lp.nb_ports; i++) {
			if (!set[i])
				continue;
			if (values[i] > UINT32_MAX)
				fprintf(stderr, "Bad arguments\n");
			else
				lp_rebalance_cap(i, (uint32_t)values[i]);
		}
	}
	cmd_done();
}

static cmdline_parse_token_string_t cmd_rebal_list_txq =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_list_result, txq, "txq");
static cmdline_parse_token_string_t cmd_rebal_list_rebalance =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_list_result, rebalance,
		"rebalance");
static cmdline_parse_token_string_t cmd_rebal_list_what =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_list_result, what,
		"weights#cap");
static cmdline_parse_token_string_t cmd_rebal_list_list =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_list_result, list,
		TOKEN_STRING_MULTI);

static cmdline_parse_inst_t cmd_rebal_list = {
	.f = cmd_rebal_list_parsed,
	.help_str = "txq rebalance weights <port>:<w>[,<port>:<w>...] | "
		"txq rebalance cap <port>:<Mbps>",
	.tokens = {
		(void *)&cmd_rebal_list_txq,
		(void *)&cmd_rebal_list_rebalance,
		(void *)&cmd_rebal_list_what,
		(void *)&cmd_rebal_list_list,
		NULL,
	},
};

/* *** txq rebalance auto on|off *** */
struct cmd_rebal_auto_result {
	cmdline_fixed_string_t txq;
	cmdline_fixed_string_t rebalance;
	cmdline_fixed_string_t autom;
	cmdline_fixed_string_t onoff;
};

static void
cmd_rebal_auto_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_rebal_auto_result *res = parsed;
	bool on = !strcmp(res->onoff, "on");

	__atomic_store_n(&lp.auto_rebalance, on, __ATOMIC_RELEASE);
	printf("TX rebalance on link state change: %s\n", on ? "on" : "off");
	if (on)
		lp_rebalance_auto_check();
	cmd_done();
}

static cmdline_parse_token_string_t cmd_rebal_auto_txq =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_auto_result, txq, "txq");
static cmdline_parse_token_string_t cmd_rebal_auto_rebalance =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_auto_result, rebalance,
		"rebalance");
static cmdline_parse_token_string_t cmd_rebal_auto_auto =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_auto_result, autom, "auto");
static cmdline_parse_token_string_t cmd_rebal_auto_onoff =
	TOKEN_STRING_INITIALIZER(struct cmd_rebal_auto_result, onoff, "on#off");

static cmdline_parse_inst_t cmd_rebal_auto = {
	.f = cmd_rebal_auto_parsed,
	.help_str = "txq rebalance auto on|off: rebalance by speed on link "
		"state change events",
	.tokens = {
		(void *)&cmd_rebal_auto_txq,
		(void *)&cmd_rebal_auto_rebalance,
		(void *)&cmd_rebal_auto_auto,
		(void *)&cmd_rebal_auto_onoff,
		NULL,
	},
};

/* *** show txq map|schedule *** */
struct cmd_show_txq_result {
	cmdline_fixed_string_t show;
	cmdline_fixed_string_t txq;
	cmdline_fixed_string_t map;
};

static void
cmd_show_txq_parsed(void *parsed, struct cmdline *cl __rte_unused,
	void *data __rte_unused)
{
	struct cmd_show_txq_result *res = parsed;

	if (!strcmp(res->map, "map"))
		lp_txq_map_show(stdout);
	else
		lp_txq_schedule_show(stdout);
	cmd_done();
}

static cmdline_parse_token_string_t cmd_show_txq_show =
	TOKEN_STRING_INITIALIZER(struct cmd_show_txq_result, show, "show");
static cmdline_parse_token_string_t cmd_show_txq_txq =
	TOKEN_STRING_INITIALIZER(struct cmd_show_txq_result, txq, "txq");
static cmdline_parse_token_string_t cmd_show_txq_map =
	TOKEN_STRING_INITIALIZER(struct cmd_show_txq_result, map,
		"map#schedule");

static cmdline_parse_inst_t cmd_show_txq = {
	.f = cmd_show_txq_parsed,
	.help_str = "show txq map|schedule: TX weights, queues and shares | "
		"each lcore's bursts in order",
	.tokens = {
		(void *)&cmd_show_txq_show,
		(void *)&cmd_show_txq_txq,
		(void *)&cmd_show_txq_map,
		NULL,
	},
};

static cmdline_parse_ctx_t lp_ctx[] = {
	(cmdline_parse_inst_t *)&cmd_show_port,
	(cmdline_parse_inst_t *)&cmd_show_port_all,
	(cmdline_parse_inst_t *)&cmd_clear_stats,
	(cmdline_parse_inst_t *)&cmd_clear_stats_all,
	(cmdline_parse_inst_t *)&cmd_word,
	(cmdline_parse_inst_t *)&cmd_sleep,
	(cmdline_parse_inst_t *)&cmd_set_fwd,
	(cmdline_parse_inst_t *)&cmd_set_num,
	(cmdline_parse_inst_t *)&cmd_rebal_speed,
	(cmdline_parse_inst_t *)&cmd_rebal_list,
	(cmdline_parse_inst_t *)&cmd_rebal_auto,
	(cmdline_parse_inst_t *)&cmd_show_txq,
	NULL,
};

/*
 * Run the commands of a stream line by line, echoing nothing: the output
 * of a script is the output of its commands. Stops at EOF or quit.
 * Returns 0, or a negative errno when the stream could not be read (a
 * directory given as --cmdline-file, an I/O error), a signal apart.
 */
static int
run_lines(FILE *in)
{
	struct cmdline *cl;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err = 0;

	cl = cmdline_new(lp_ctx, "", -1, STDOUT_FILENO);
	if (cl == NULL) {
		fprintf(stderr, "Failed to create the command line\n");
		return -ENOMEM;
	}
	errno = 0;
	while (!quit_requested && lp_quit_signal == 0 &&
			(len = getline(&line, &cap, in)) >= 0) {
		/* The longest token, a multi-string, plus the words before it. */
		char buf[STR_MULTI_TOKEN_SIZE + STR_TOKEN_SIZE];
		int ret;

		size_t chars = (size_t)len - (len > 0 && line[len - 1] == '\n');

		/* cmdline_parse() wants a whole line, end and NUL included. */
		if (chars > sizeof(buf) - 2) {
			fprintf(stderr, "Bad arguments: line longer than %zu "
				"characters\n", sizeof(buf) - 2);
			continue;
		}
		/* cmdline_parse() would take a NUL for the line's end. */
		if (memchr(line, '\0', len) != NULL) {
			fprintf(stderr, "Bad arguments: NUL byte in the line\n");
			continue;
		}
		memcpy(buf, line, len);
		if (len == 0 || buf[len - 1] != '\n')
			buf[len++] = '\n';
		buf[len] = '\0';
		ret = cmdline_parse(cl, buf);
		if (ret == CMDLINE_PARSE_AMBIGUOUS)
			fprintf(stderr, "Ambiguous command\n");
		else if (ret == CMDLINE_PARSE_NOMATCH)
			fprintf(stderr, "Command not found\n");
		else if (ret == CMDLINE_PARSE_BAD_ARGS)
			fprintf(stderr, "Bad arguments\n");
		cmd_done();
		errno = 0;
	}
	if (ferror(in) && lp_quit_signal == 0 && errno != EINTR)
		err = errno != 0 ? -errno : -EIO;
	free(line);
	cmdline_free(cl);
	return err;
}

/*
 * --stats-period, as testpmd's: forward (unless a --cmdline-file command
 * already started it) and print the statistics every period until a
 * signal; stdin is not read, so the tool can run detached. The periods
 * are kept on a monotonic schedule: printing does not make them drift.
 *
 * SIGINT and SIGTERM are blocked here but while waiting (ppoll() lets
 * them in atomically): one that comes between the check of
 * lp_quit_signal and the wait is then pending and ends the wait at once,
 * instead of being missed for a whole period.
 */
static int
stats_period_run(void)
{
	const uint64_t period_ns = (uint64_t)lp.stats_period * 1000000000;
	const bool clear_screen = isatty(STDOUT_FILENO);
	sigset_t quit_signals, orig;
	uint64_t next, now;
	int ret;

	if (!lp.started) {
		ret = lp_fwd_start();
		if (ret != 0)
			return ret;
	}
	printf("Port statistics every %u s; Ctrl-C or SIGTERM to stop\n",
		lp.stats_period);
	cmd_done();
	sigemptyset(&quit_signals);
	sigaddset(&quit_signals, SIGINT);
	sigaddset(&quit_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &quit_signals, &orig);
	lp_stats_period_begin();
	next = lp_mono_ns() + period_ns;
	while (lp_quit_signal == 0) {
		now = lp_mono_ns();
		if (now < next) {
			struct timespec wait = {
				.tv_sec = (time_t)((next - now) / 1000000000),
				.tv_nsec = (long)((next - now) % 1000000000),
			};

			/* Timeout, or a signal (checked above): look again. */
			ppoll(NULL, 0, &wait, &orig);
			continue;
		}
		lp_stats_period_display(clear_screen);
		cmd_done();
		next += period_ns;
		/* A period that printing overran is skipped, not caught up. */
		if (next <= lp_mono_ns())
			next = lp_mono_ns() + period_ns;
	}
	pthread_sigmask(SIG_SETMASK, &orig, NULL);
	if (lp.started)
		lp_fwd_stop();
	return 0;
}

static int
probe_write_char(struct rdline *rdl __rte_unused, char c __rte_unused)
{
	return 0;
}

static void
probe_validate(struct rdline *rdl __rte_unused, const char *buf __rte_unused,
	unsigned int size __rte_unused)
{
}

static int
probe_complete(struct rdline *rdl __rte_unused, const char *buf __rte_unused,
	char *dst __rte_unused, unsigned int size __rte_unused,
	int *state __rte_unused)
{
	return 0;
}

/* Characters in rdline's buffer, without the newline it appends. */
static size_t
rdline_length(struct rdline *rdl)
{
	const char *buf = rdline_get_buffer(rdl);

	return buf != NULL && buf[0] != '\0' ? strlen(buf) - 1 : 0;
}

/*
 * How many characters DPDK's line editor holds (512 in 22.11 and 23.11,
 * LINE_MAX since 24.11; its headers do not say): typed into a scratch
 * editor until it stops taking them. 0 if unknown.
 */
static size_t
prompt_capacity(void)
{
	struct rdline *rdl = rdline_new(probe_write_char, probe_validate,
		probe_complete, NULL);
	size_t len = 0, cap;

	if (rdl == NULL)
		return 0;
	rdline_newline(rdl, "");
	do {
		cap = len;
		rdline_char_in(rdl, 'x');
		len = rdline_length(rdl);
	} while (len > cap && len < 65536);
	rdline_free(rdl);
	return cap;
}

/*
 * Where a byte falls in the editor's escape sequences, tracked as DPDK's
 * vt100 parser does: ESC, then one byte, or '[' and bytes up to one in
 * '@'..'~'. Such bytes move the cursor or recall history; they insert
 * nothing.
 */
enum prompt_escape {
	PROMPT_PLAIN,
	PROMPT_ESC,
	PROMPT_CSI,
};

static enum prompt_escape
prompt_escape_next(enum prompt_escape state, char c)
{
	switch (state) {
	case PROMPT_ESC:
		return c == '[' ? PROMPT_CSI : PROMPT_PLAIN;
	case PROMPT_CSI:
		return c >= '@' && c <= '~' ? PROMPT_PLAIN : PROMPT_CSI;
	default:
		return c == '\033' ? PROMPT_ESC : PROMPT_PLAIN;
	}
}

/*
 * cmdline_interact(), but a line the editor has cut is refused: it drops
 * what does not fit and would run the rest, a command other than the one
 * typed (weights 1000 cut to 10). A line is refused when a character
 * typed into it was not taken, even if it was shortened since, or when it
 * is full at Enter (a yank or a completion may have been cut). Ends, as
 * cmdline_interact() does, on end of input, a failed read (a signal) and
 * quit.
 */
static void
interact(struct cmdline *cl)
{
	/* Start of line, kill to its end, Enter: an empty line, validated. */
	static const char clear_line[] = { '\001', '\013', '\r' };
	struct rdline *rdl = cmdline_get_rdline(cl);
	enum prompt_escape esc = PROMPT_PLAIN, was;
	size_t cap = prompt_capacity();
	bool cut = false;
	char c;

	while (read(STDIN_FILENO, &c, 1) > 0) {
		was = esc;
		esc = prompt_escape_next(esc, c);
		if (cap != 0 && was == PROMPT_PLAIN && esc == PROMPT_PLAIN &&
				isprint((unsigned char)c) &&
				rdline_length(rdl) >= cap)
			cut = true; /* the editor will not take it */
		if (cap != 0 && was == PROMPT_PLAIN && (c == '\r' || c == '\n') &&
				(cut || rdline_length(rdl) >= cap)) {
			fprintf(stderr, "\nBad arguments: line too long (the prompt"
				" takes %zu characters; longer lines work from"
				" --cmdline-file or a pipe)\n", cap - 1);
			cut = false;
			/*
			 * Through the editor's own Enter, which also drops the
			 * line it kept in its history while Up was browsing.
			 */
			if (cmdline_in(cl, clear_line, sizeof(clear_line)) < 0)
				break;
			continue;
		}
		if (cmdline_in(cl, &c, 1) < 0)
			break;
	}
}

/*
 * The prompt on a terminal. DPDK's cmdline puts the terminal in raw mode
 * with its signal keys off, so Ctrl-C would be one more character: ISIG
 * is turned back on with only the interrupt key (Ctrl-C sends SIGINT,
 * which ends lagpmd as documented; Ctrl-Z and Ctrl-\ stay off, a
 * suspended or dumped process would leave the terminal raw). The
 * terminal's settings are put back through a descriptor of its own: the
 * signal handler points stdin at /dev/null to end the prompt, and
 * cmdline_stdin_exit() restores them on stdin.
 */
static int
interactive_run(void)
{
	static const char prompt[] = "lagpmd> ";
	struct termios saved, t;
	struct cmdline *cl;
	int tty = dup(STDIN_FILENO);
	bool restore = tty >= 0 && tcgetattr(tty, &saved) == 0;

	cl = cmdline_stdin_new(lp_ctx, prompt);
	if (cl == NULL) {
		fprintf(stderr, "Failed to create stdin based cmdline context\n");
		if (tty >= 0)
			close(tty);
		return -ENOMEM;
	}
	if (restore && tcgetattr(tty, &t) == 0) {
		t.c_lflag |= ISIG;
		t.c_cc[VQUIT] = _POSIX_VDISABLE;
		t.c_cc[VSUSP] = _POSIX_VDISABLE;
		tcsetattr(tty, TCSANOW, &t);
	}
	interact(cl);
	cmdline_stdin_exit(cl);
	if (restore)
		tcsetattr(tty, TCSANOW, &saved);
	if (tty >= 0)
		close(tty);
	return 0;
}

int
lp_cli_run(void)
{
	int ret;

	if (lp.cmdline_file != NULL) {
		FILE *f = fopen(lp.cmdline_file, "r");

		if (f == NULL) {
			int err = errno;

			fprintf(stderr,
				"Failed to create file based cmdline context: %s: %s\n",
				lp.cmdline_file, strerror(err));
			return -err;
		}
		ret = run_lines(f);
		fclose(f);
		if (ret < 0) {
			fprintf(stderr, "Failed to read %s: %s\n",
				lp.cmdline_file, strerror(-ret));
			return ret;
		}
		/* Not when a signal stopped it half way. */
		if (lp_quit_signal == 0)
			printf("Read CLI commands from %s\n",
				lp.cmdline_file);
		cmd_done();
		if (quit_requested || lp_quit_signal != 0)
			return 0;
	}
	if (lp.stats_period != 0) {
		return stats_period_run();
	} else if (!isatty(STDIN_FILENO)) {
		ret = run_lines(stdin);
		if (ret < 0) {
			fprintf(stderr, "Failed to read the commands on stdin: %s\n",
				strerror(-ret));
			return ret;
		}
	} else if (lp.interactive) {
		return interactive_run();
	} else {
		/* As testpmd without -i: forward until enter is pressed. */
		char c;

		lp_fwd_start();
		printf("Press enter to exit\n");
		cmd_done();
		/* Enter, end of input, or a signal (EINTR) all stop it. */
		if (read(STDIN_FILENO, &c, 1) < 0)
			c = 0;
		if (lp.started)
			lp_fwd_stop();
	}
	return 0;
}
