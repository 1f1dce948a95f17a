/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * dpdk-lagpmd: options, port setup, then the command line.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "lagpmd.h"

struct lp_config lp = {
	.nb_txq = 0,           /* default: one per forwarding lcore */
	.nb_rxq = 1,
	.nb_txd = 512,
	.nb_rxd = 512,
	.nb_fwd_lcores = 0,    /* default: every worker lcore */
	.burst = 32,
	.txpkt_len = 64,
	.total_num_mbufs = 0,  /* default: computed */
	.mode = LP_FWD_TXONLY,
};

volatile sig_atomic_t lp_quit_signal;

/* The thread that runs the command line, and where its stdin goes at exit. */
static pthread_t main_thread;
static int devnull_fd = -1;

/*
 * SIGINT/SIGTERM, as testpmd: say so, then leave the command line; main()
 * stops forwarding (printing the statistics), closes the ports and exits
 * with status 0. Only async-signal-safe calls here. The command line
 * blocks in read() on stdin: the signal interrupts it (no SA_RESTART), and
 * stdin becomes /dev/null so that a read that had not started yet sees end
 * of input instead of blocking. A second signal exits at once.
 */
static void
signal_handler(int signum)
{
	static const char head[] = "\nSignal ";
	static const char tail[] = " received, preparing to exit...\n";
	char msg[sizeof(head) + sizeof(tail) + 12];
	size_t len = sizeof(head) - 1;
	char digits[12];
	int n = 0, v = signum;
	int saved_errno = errno;

	if (!pthread_equal(pthread_self(), main_thread)) {
		/* The main thread must see it: it is the one to wake up. */
		pthread_kill(main_thread, signum);
		errno = saved_errno;
		return;
	}
	if (lp_quit_signal != 0) {
		signal(signum, SIG_DFL);
		raise(signum);
		errno = saved_errno;
		return;
	}
	lp_quit_signal = signum;
	memcpy(msg, head, len);
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n < (int)sizeof(digits));
	while (n > 0)
		msg[len++] = digits[--n];
	memcpy(msg + len, tail, sizeof(tail) - 1);
	len += sizeof(tail) - 1;
	if (write(STDERR_FILENO, msg, len) < 0)
		msg[0] = '\0'; /* nothing else to do */
	if (devnull_fd >= 0)
		dup2(devnull_fd, STDIN_FILENO);
	errno = saved_errno;
}

static int
signals_setup(void)
{
	struct sigaction sa;

	main_thread = pthread_self();
	devnull_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = signal_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read() must return */
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
			sigaction(SIGTERM, &sa, NULL) != 0)
		return -errno;
	return 0;
}

int
lp_port_index(uint16_t port_id)
{
	unsigned int i;

	for (i = 0; i < lp.nb_ports; i++)
		if (lp.ports[i].port_id == port_id)
			return (int)i;
	return -1;
}

uint64_t
lp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

uint64_t
lp_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
usage(const char *prog)
{
	printf("Usage: %s [EAL options] -- [options]\n"
		"  --portmask=MASK          hexadecimal bitmask of the ports to use\n"
		"  --ports=LIST             ports to use, e.g. 0,1\n"
		"  --txq=N                  TX queues per port (default: forwarding lcores)\n"
		"  --rxq=N                  RX queues per port (default 1)\n"
		"  --txd=N                  TX descriptors per queue (default 512)\n"
		"  --rxd=N                  RX descriptors per queue (default 512)\n"
		"  --nb-cores=N             forwarding lcores (default: every worker)\n"
		"  --burst=N                packets per burst (default 32)\n"
		"  --txpkts=LEN             txonly packet length (default 64)\n"
		"  --forward-mode=MODE      txonly (default) or io\n"
		"  --total-num-mbufs=N      mbufs in the pool\n"
		"  -i, --interactive        interactive prompt\n"
		"  --cmdline-file=FILE      run the commands of FILE first\n"
		"  --auto-rebalance         txq rebalance auto on from the start\n"
		"  --stats-period=SECONDS   without -i: forward at once and print the\n"
		"                           port statistics every SECONDS until a signal\n"
		"  --disable-link-check     start without waiting for the links to be up\n"
		"  -h, --help               this help\n", prog);
}

static int
parse_uint(const char *arg, const char *name, unsigned long min,
	unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	/* Decimal, as testpmd reads them: no sign, no octal or hex prefix. */
	errno = 0;
	v = strtoul(arg, &end, 10);
	if (!isdigit((unsigned char)arg[0]) || errno != 0 || *end != '\0' ||
			v < min || v > max) {
		fprintf(stderr, "Invalid %s: %s (%lu..%lu)\n", name, arg, min,
			max);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_ports(const char *arg)
{
	const char *p = arg;

	lp.portmask = 0;
	while (*p != '\0') {
		char *end;
		unsigned long v;

		/* digits only: strtoul() would take blanks and a sign */
		if (!isdigit((unsigned char)*p)) {
			fprintf(stderr, "Invalid port list: %s\n", arg);
			return -1;
		}
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || v >= 64 || (*end != ',' && *end != '\0') ||
				(*end == ',' && end[1] == '\0')) {
			fprintf(stderr, "Invalid port list: %s\n", arg);
			return -1;
		}
		if (lp.portmask & (UINT64_C(1) << v)) {
			fprintf(stderr, "Port %lu given twice in the port list: %s\n",
				v, arg);
			return -1;
		}
		lp.portmask |= UINT64_C(1) << v;
		p = *end == ',' ? end + 1 : end;
	}
	if (lp.portmask == 0) {
		fprintf(stderr, "Invalid port list: %s\n", arg);
		return -1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv)
{
	enum {
		OPT_PORTMASK = 256, OPT_PORTS, OPT_TXQ, OPT_RXQ, OPT_TXD,
		OPT_RXD, OPT_NB_CORES, OPT_BURST, OPT_TXPKTS, OPT_FWD_MODE,
		OPT_MBUFS, OPT_CMDLINE_FILE, OPT_AUTO, OPT_STATS_PERIOD,
		OPT_NO_LINK_CHECK,
	};
	static const struct option opts[] = {
		{ "portmask", required_argument, NULL, OPT_PORTMASK },
		{ "ports", required_argument, NULL, OPT_PORTS },
		{ "txq", required_argument, NULL, OPT_TXQ },
		{ "rxq", required_argument, NULL, OPT_RXQ },
		{ "txd", required_argument, NULL, OPT_TXD },
		{ "rxd", required_argument, NULL, OPT_RXD },
		{ "nb-cores", required_argument, NULL, OPT_NB_CORES },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "txpkts", required_argument, NULL, OPT_TXPKTS },
		{ "forward-mode", required_argument, NULL, OPT_FWD_MODE },
		{ "total-num-mbufs", required_argument, NULL, OPT_MBUFS },
		{ "cmdline-file", required_argument, NULL, OPT_CMDLINE_FILE },
		{ "auto-rebalance", no_argument, NULL, OPT_AUTO },
		{ "stats-period", required_argument, NULL, OPT_STATS_PERIOD },
		{ "disable-link-check", no_argument, NULL, OPT_NO_LINK_CHECK },
		{ "interactive", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "ih", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_PORTMASK:
			/* Hexadecimal: no blank or sign, which strtoull() takes. */
			errno = 0;
			lp.portmask = strtoull(optarg, &end, 16);
			if (!isxdigit((unsigned char)optarg[0]) || errno != 0 ||
					*end != '\0' || lp.portmask == 0) {
				fprintf(stderr, "Invalid portmask: %s\n", optarg);
				return -1;
			}
			break;
		case OPT_PORTS:
			if (parse_ports(optarg) < 0)
				return -1;
			break;
		case OPT_TXQ:
			if (parse_uint(optarg, "txq", 1, LP_MAX_QUEUES, &v) < 0)
				return -1;
			lp.nb_txq = v;
			break;
		case OPT_RXQ:
			if (parse_uint(optarg, "rxq", 1, LP_MAX_QUEUES, &v) < 0)
				return -1;
			lp.nb_rxq = v;
			break;
		case OPT_TXD:
			if (parse_uint(optarg, "txd", 1, 32768, &v) < 0)
				return -1;
			lp.nb_txd = v;
			break;
		case OPT_RXD:
			if (parse_uint(optarg, "rxd", 1, 32768, &v) < 0)
				return -1;
			lp.nb_rxd = v;
			break;
		case OPT_NB_CORES:
			if (parse_uint(optarg, "nb-cores", 1, LP_MAX_FWD_LCORES,
					&v) < 0)
				return -1;
			lp.nb_fwd_lcores = v;
			break;
		case OPT_BURST:
			if (parse_uint(optarg, "burst", 1, LP_MAX_BURST, &v) < 0)
				return -1;
			lp.burst = v;
			break;
		case OPT_TXPKTS:
			if (parse_uint(optarg, "txpkts", LP_TXPKT_LEN_MIN,
					LP_TXPKT_LEN_MAX, &v) < 0 ||
					lp_txpkt_len_set(v) < 0)
				return -1;
			break;
		case OPT_FWD_MODE:
			if (!strcmp(optarg, "txonly")) {
				lp.mode = LP_FWD_TXONLY;
			} else if (!strcmp(optarg, "io")) {
				lp.mode = LP_FWD_IO;
			} else {
				fprintf(stderr,
					"Invalid %s packet forwarding mode\n",
					optarg);
				return -1;
			}
			break;
		case OPT_MBUFS:
			if (parse_uint(optarg, "total-num-mbufs", 1024,
					UINT32_MAX, &v) < 0)
				return -1;
			lp.total_num_mbufs = v;
			break;
		case OPT_CMDLINE_FILE:
			lp.cmdline_file = optarg;
			break;
		case OPT_AUTO:
			lp.auto_rebalance = true;
			break;
		case OPT_NO_LINK_CHECK:
			lp.no_link_check = true;
			break;
		case OPT_STATS_PERIOD:
			if (parse_uint(optarg, "stats-period", 1, 86400, &v) < 0)
				return -1;
			lp.stats_period = v;
			break;
		case 'i':
			lp.interactive = true;
			break;
		case 'h':
			usage(argv[0]);
			exit(EXIT_SUCCESS);
		default:
			usage(argv[0]);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "Unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	if (lp.stats_period != 0 && lp.interactive) {
		/* testpmd ignores it with -i; saying so is kinder. */
		fprintf(stderr, "--stats-period works without -i only\n");
		return -1;
	}
	return 0;
}

static int
port_setup(struct lp_port *port)
{
	uint16_t pid = port->port_id;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t q, nb_rxd = lp.nb_rxd, nb_txd = lp.nb_txd;
	int socket = rte_eth_dev_socket_id(pid);
	int ret;

	if (socket < 0)
		socket = (int)rte_socket_id();
	ret = rte_eth_dev_info_get(pid, &info);
	if (ret != 0)
		return ret;
	if (lp.nb_txq > info.max_tx_queues || lp.nb_rxq > info.max_rx_queues) {
		fprintf(stderr, "Port %u: at most %u TX / %u RX queues\n", pid,
			info.max_tx_queues, info.max_rx_queues);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	/* As testpmd: LSC interrupts where the port can raise them. */
	port->lsc_intr = info.dev_flags != NULL &&
		(*info.dev_flags & RTE_ETH_DEV_INTR_LSC);
	conf.intr_conf.lsc = port->lsc_intr;
	ret = rte_eth_dev_configure(pid, lp.nb_rxq, lp.nb_txq, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	for (q = 0; q < lp.nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(pid, q, nb_rxd, socket, NULL,
			lp.pool);
		if (ret != 0)
			return ret;
	}
	for (q = 0; q < lp.nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(pid, q, nb_txd, socket, NULL);
		if (ret != 0)
			return ret;
	}
	ret = rte_eth_dev_start(pid);
	if (ret != 0)
		return ret;
	port->dev_started = true;
	/* As testpmd: a port without promiscuous mode still forwards. */
	ret = rte_eth_promiscuous_enable(pid);
	if (ret != 0)
		fprintf(stderr, "Error during enabling promiscuous mode for "
			"port %u: %s - ignore\n", pid, rte_strerror(-ret));
	return 0;
}

/*
 * Stop and close the first n ports, as testpmd does at exit (a port whose
 * setup failed before it started is only closed).
 */
static void
ports_close(unsigned int n)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		uint16_t pid = lp.ports[i].port_id;

		if (lp.ports[i].dev_started) {
			printf("\nStopping port %u...\n", pid);
			ret = rte_eth_dev_stop(pid);
			if (ret != 0)
				fprintf(stderr, "Failed to stop port %u: %s\n",
					pid, rte_strerror(-ret));
		}
		printf("Closing port %u...\n", pid);
		ret = rte_eth_dev_close(pid);
		if (ret != 0)
			fprintf(stderr, "Failed to close port %u: %s\n", pid,
				rte_strerror(-ret));
	}
	fflush(stdout);
}

/*
 * Wait up to 9 s for every port's link to be up, as testpmd does before it
 * forwards: lagpmd starts with weights by speed, and a port whose link
 * came up a moment after its start (a bond, a real NIC) would otherwise
 * start with weight 0 and, with auto rebalance off, stay without TX.
 * Ports still down then are named.
 */
static void
wait_links(void)
{
	struct rte_eth_link link;
	unsigned int p, tries, down = 0;
	bool is_down[RTE_MAX_ETHPORTS];

	printf("Checking link statuses...\n");
	fflush(stdout);
	for (tries = 0; tries < 90 && lp_quit_signal == 0; tries++) {
		down = 0;
		for (p = 0; p < lp.nb_ports; p++) {
			is_down[p] = rte_eth_link_get_nowait(lp.ports[p].port_id,
					&link) != 0 ||
				link.link_status == RTE_ETH_LINK_DOWN;
			down += is_down[p];
		}
		if (down == 0)
			return;
		rte_delay_us_sleep(100 * 1000);
	}
	if (lp_quit_signal != 0)
		return;
	/* lp_rebalance_init() says what every port starts with then. */
	if (down == lp.nb_ports)
		return;
	for (p = 0; p < lp.nb_ports; p++)
		if (is_down[p])
			printf("Port %u: link down, weight 0 until `txq rebalance "
				"speed` or an automatic rebalance\n",
				lp.ports[p].port_id);
}

int
main(int argc, char **argv)
{
	unsigned int i, nb_workers, nb_setup = 0;
	int ret, status = EXIT_SUCCESS;
	uint16_t pid;

	/*
	 * Lines as they come, also into a pipe or a file: the errors on
	 * stderr then stay in order with the lines before them.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Before EAL: a signal during its start-up is seen afterwards. */
	ret = signals_setup();
	if (ret != 0) {
		fprintf(stderr, "Cannot set up signal handlers: %s\n",
			strerror(-ret));
		return EXIT_FAILURE;
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "Cannot init EAL: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	argc -= ret;
	argv += ret;
	if (parse_args(argc, argv) < 0) {
		rte_eal_cleanup();
		return EXIT_FAILURE;
	}

	nb_workers = rte_lcore_count() - 1;
	if (nb_workers == 0) {
		fprintf(stderr, "Need at least one forwarding lcore (-l 0-1)\n");
		goto fail;
	}
	if (lp.nb_fwd_lcores > nb_workers)
		printf("Warning: --nb-cores=%u but %u worker lcores: using %u\n",
			lp.nb_fwd_lcores, nb_workers,
			RTE_MIN(nb_workers, (unsigned int)LP_MAX_FWD_LCORES));
	if (lp.nb_fwd_lcores == 0 || lp.nb_fwd_lcores > nb_workers)
		lp.nb_fwd_lcores = RTE_MIN(nb_workers, (unsigned int)LP_MAX_FWD_LCORES);
	if (lp.nb_txq == 0)
		lp.nb_txq = lp.nb_fwd_lcores;
	if (lp.nb_txq < lp.nb_fwd_lcores) {
		/* A TX queue has one writer: extra lcores would idle. */
		printf("Warning: %u TX queues for %u forwarding lcores: "
			"using %u lcores\n", lp.nb_txq, lp.nb_fwd_lcores,
			lp.nb_txq);
		lp.nb_fwd_lcores = lp.nb_txq;
	}

	RTE_ETH_FOREACH_DEV(pid) {
		if (lp.portmask != 0 && (pid >= 64 ||
				!(lp.portmask & (UINT64_C(1) << pid))))
			continue;
		lp.ports[lp.nb_ports++].port_id = pid;
	}
	if (lp.nb_ports == 0 && lp.portmask == 0) {
		fprintf(stderr, "No probed ethernet devices\n");
		goto fail;
	}
	if (lp.portmask != 0 &&
			(unsigned int)__builtin_popcountll(lp.portmask) != lp.nb_ports) {
		fprintf(stderr, "Invalid port in the port list or mask\n");
		lp_print_valid_ports();
		goto fail;
	}
	if (lp.total_num_mbufs == 0)
		lp.total_num_mbufs = RTE_MAX(8192u, lp.nb_ports *
			(lp.nb_rxq * lp.nb_rxd + lp.nb_txq * lp.nb_txd) +
			lp.nb_fwd_lcores * (LP_MAX_BURST + 256) + 1024);

	ret = lp_fwd_init();
	if (ret < 0) {
		fprintf(stderr, "Cannot set up forwarding: %s\n", strerror(-ret));
		goto fail;
	}
	for (i = 0; i < lp.nb_ports; i++) {
		printf("Configuring Port %u (socket %d)\n", lp.ports[i].port_id,
			RTE_MAX(rte_eth_dev_socket_id(lp.ports[i].port_id), 0));
		/* Closed at exit even when its setup stops half way. */
		nb_setup = i + 1;
		ret = port_setup(&lp.ports[i]);
		if (ret != 0) {
			fprintf(stderr, "Fail to configure port %u: %s\n",
				lp.ports[i].port_id, strerror(-ret));
			goto fail;
		}
	}
	if (!lp.no_link_check)
		wait_links();
	ret = lp_rebalance_init();
	if (ret < 0) {
		fprintf(stderr, "Cannot set up rebalancing: %s\n",
			strerror(-ret));
		goto fail;
	}
	/* Set up, unless a signal cut the link check short. */
	if (lp_quit_signal == 0)
		printf("Done\n");
	fflush(stdout);

	/*
	 * A command line that could not run (a missing --cmdline-file,
	 * forwarding that would not start for --stats-period) still closes
	 * everything, then exits with a failure status.
	 */
	if (lp_quit_signal == 0 && lp_cli_run() < 0)
		status = EXIT_FAILURE;

	if (lp.started)
		lp_fwd_stop();
	lp_rebalance_fini();
	ports_close(nb_setup);
	lp_fwd_fini();
	ret = rte_eal_cleanup();
	if (ret != 0)
		fprintf(stderr, "EAL cleanup failed: %s\n", rte_strerror(-ret));
	printf("\nBye...\n");
	return status;
fail:
	/* The ports go before the pool their queues hold mbufs of. */
	lp_rebalance_fini();
	ports_close(nb_setup);
	lp_fwd_fini();
	rte_eal_cleanup();
	return EXIT_FAILURE;
}
