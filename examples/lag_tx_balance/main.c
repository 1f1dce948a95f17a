/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * lag_tx_balance: send generated flows over every port in proportion to
 * the ports' link speeds, and follow speed changes live.
 *
 * The link speed of an mlx5 VF in a VF-LAG / MP-Ethernet group is the sum
 * of the speeds of the PFs that are up (with the lagspeed plugin loaded).
 * A port twice as fast gets twice the flows; when a PF goes down, the port
 * reports a link state change (LSC) and the flows are redistributed at
 * once, moving as few of them as possible, without stopping traffic.
 *
 *   main lcore        : setup, then statistics every --interval-ms
 *   forwarding lcores : build packets, look each flow up in the table,
 *                       transmit on their own TX queue of the chosen port
 *   EAL interrupt     : LSC callback -> new weights -> table update
 *   thread
 *
 * See doc/guides/lag_tx_balance.md for a walk through this file.
 */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_mempool.h>
#include <rte_udp.h>

#include <rte_pmd_mlx5_lagspeed.h>
#include <rte_txweight.h>

#define BURST_SIZE 32
#define NB_RXD 512
#define NB_TXD 1024
#define MBUF_CACHE_SIZE 256

#define DEFAULT_FLOWS 16384
#define MAX_FLOWS (1u << 20)
#define DEFAULT_TABLE_SIZE 4096
#define DEFAULT_PKT_SIZE 64
#define DEFAULT_INTERVAL_MS 1000
#define PRINT_PERIOD_MS 1000

/* Ethernet + IPv4 + UDP: the header every generated packet carries. */
#define HDR_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + \
		 sizeof(struct rte_udp_hdr))
/* Frame length without FCS, as testpmd counts it. */
#define MIN_PKT_SIZE 60
#define MAX_PKT_SIZE (RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN)
/*
 * Highest --rate: far above any port, and low enough that the packets
 * due after five years at that rate on one lcore (a double, then an
 * integer) stay below 2^64 (1.8e19 > 1e11 * 1.6e8 s).
 */
#define MAX_RATE_PPS UINT64_C(100000000000)

/* Exit status for a bad command line, as the usage says. */
#define EXIT_USAGE 2

/* Command-line options (after EAL's "--"). */
static struct {
	uint32_t n_flows;
	uint32_t pkt_size;
	uint64_t rate_pps;		/* all lcores together; 0: no limit */
	double duration_s;		/* 0: until SIGINT/SIGTERM */
	uint32_t interval_ms;		/* statistics/CSV period */
	uint32_t table_size;
	const char *csv_path;
	uint32_t cap_mbps[RTE_MAX_ETHPORTS];	/* by port id; 0: none */
} opt = {
	.n_flows = DEFAULT_FLOWS,
	.pkt_size = DEFAULT_PKT_SIZE,
	.interval_ms = DEFAULT_INTERVAL_MS,
	.table_size = DEFAULT_TABLE_SIZE,
};

/* The ports in use: every probed port, in port-id order. */
static uint16_t nb_ports;
static uint16_t port_ids[RTE_MAX_ETHPORTS];
static uint16_t port_index[RTE_MAX_ETHPORTS];	/* port id -> index */
static struct rte_ether_addr port_mac[RTE_MAX_ETHPORTS]; /* by index */
static uint32_t port_cap[RTE_MAX_ETHPORTS];		/* by index */

/*
 * One generated flow: its UDP 5-tuple, already written out as the packet
 * header (checksum included), and the hash the flow table is indexed with.
 * The source MAC is the only field filled per packet, once the port is
 * known.
 */
struct flow {
	uint32_t hash;
	uint8_t hdr[HDR_LEN];
};

static struct flow *flows;
static struct rte_mempool *pktmbuf_pool;
static struct rte_txweight_table *flow_table;

/*
 * Per forwarding lcore, per port counters. Each lcore writes only its own
 * block (no atomics needed to count); the main lcore reads them with
 * relaxed atomic loads, which is enough for statistics.
 */
struct port_counters {
	uint64_t packets;	/* bytes = packets * --pkt-size */
	uint64_t dropped;	/* not accepted by the PMD, freed */
};

struct worker {
	unsigned int lcore_id;
	uint16_t queue_id;	/* this lcore's TX queue, on every port */
	unsigned int reader_id;	/* this lcore's id as a flow-table reader */
	uint64_t no_port;	/* packets dropped: no port had any weight */
	uint64_t alloc_failed;	/* bursts skipped: mempool empty */
	struct port_counters port[RTE_MAX_ETHPORTS];	/* by port index */
} __rte_cache_aligned;

static struct worker workers[RTE_MAX_LCORE];
static unsigned int nb_workers;

/*
 * What the last rebalance decided. Written by rebalance() (main lcore at
 * start, then the EAL interrupt thread), read by the statistics: a mutex
 * is fine, neither is on the data path.
 */
static struct {
	pthread_mutex_t lock;
	bool link_up[RTE_MAX_ETHPORTS];
	uint32_t speed_mbps[RTE_MAX_ETHPORTS];	/* 0 when down or unknown */
	uint64_t weight[RTE_MAX_ETHPORTS];
	uint32_t entries[RTE_MAX_ETHPORTS];	/* flow-table entries owned */
	uint64_t table_version;
	uint64_t lsc_events;
	uint64_t rebalances;
	bool started;	/* every port is set up: LSC events rebalance */
} balance = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static volatile bool force_quit;

/*
 * t = 0 when traffic starts, for logs and the CSV: CLOCK_MONOTONIC in ns.
 * Set at start-up, then again when traffic starts; the LSC callback may
 * read it meanwhile, hence one atomic word (earlier events get t < 0).
 */
static uint64_t start_ns;

static uint64_t
monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * NS_PER_S + now.tv_nsec;
}

static double
elapsed_s(void)
{
	return (double)(int64_t)(monotonic_ns() -
		__atomic_load_n(&start_ns, __ATOMIC_RELAXED)) / 1e9;
}

static void
signal_handler(int signum)
{
	if (signum == SIGINT || signum == SIGTERM)
		force_quit = true;
}

/* ---------------------------------------------------------------------- */
/* Command line                                                           */

static void
print_usage(FILE *out, const char *prgname)
{
	fprintf(out,
		"Usage: %s [EAL options] -- [options]\n"
		"  --flows N        flows to generate (default %u, max %u)\n"
		"  --pkt-size B     frame size in bytes without FCS (%u..%u, default %u)\n"
		"  --rate PPS       packets per second, all lcores together, up to\n"
		"                   10^11 (default 0: as fast as possible)\n"
		"  --cap PORT:MBPS  cap PORT's weight at MBPS (once per port; e.g. a VF\n"
		"                   rate limit the VF cannot see)\n"
		"  --table-size N   flow-table entries, a power of two (%u..%u,\n"
		"                   default %u)\n"
		"  --interval-ms MS statistics and CSV period (10..60000, default %u);\n"
		"                   the console table is printed every second\n"
		"  --csv FILE       write time_s,port,speed_mbps,weight,tx_packets,tx_bytes\n"
		"                   rows (per interval, per port) to FILE\n"
		"  --duration S     stop after S seconds (default: at SIGINT/SIGTERM)\n"
		"  -h, --help       this text\n",
		prgname, DEFAULT_FLOWS, MAX_FLOWS, MIN_PKT_SIZE, MAX_PKT_SIZE,
		DEFAULT_PKT_SIZE, RTE_TXWEIGHT_TABLE_MIN_SIZE,
		RTE_TXWEIGHT_TABLE_MAX_SIZE, DEFAULT_TABLE_SIZE,
		DEFAULT_INTERVAL_MS);
}

/* Parse an unsigned decimal in [min, max]; false if it is not one. */
static bool
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *val)
{
	unsigned long long v;
	char *end;

	/* digits only: strtoull() would take blanks and a sign */
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*val = v;
	return true;
}

/* --cap PORT:MBPS */
static bool
parse_cap(const char *s)
{
	char port_str[16];
	const char *colon = strchr(s, ':');
	uint64_t port_id, mbps;
	size_t len;

	if (colon == NULL)
		return false;
	len = colon - s;
	if (len == 0 || len >= sizeof(port_str))
		return false;
	memcpy(port_str, s, len);
	port_str[len] = '\0';
	if (!parse_u64(port_str, 0, RTE_MAX_ETHPORTS - 1, &port_id) ||
	    !parse_u64(colon + 1, 1, UINT32_MAX, &mbps))
		return false;
	if (!rte_eth_dev_is_valid_port(port_id)) {
		fprintf(stderr, "--cap: no port %" PRIu64 "\n", port_id);
		return false;
	}
	if (opt.cap_mbps[port_id] != 0) {
		fprintf(stderr, "--cap: port %" PRIu64 " capped twice\n",
			port_id);
		return false;
	}
	opt.cap_mbps[port_id] = mbps;
	return true;
}

/* Returns 0, 1 for --help, or -1 for a bad option. */
static int
parse_args(int argc, char **argv)
{
	enum {
		OPT_FLOWS = 256, OPT_PKT_SIZE, OPT_RATE, OPT_CAP,
		OPT_TABLE_SIZE, OPT_INTERVAL, OPT_CSV, OPT_DURATION,
	};
	static const struct option long_opts[] = {
		{ "flows", required_argument, NULL, OPT_FLOWS },
		{ "pkt-size", required_argument, NULL, OPT_PKT_SIZE },
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "cap", required_argument, NULL, OPT_CAP },
		{ "table-size", required_argument, NULL, OPT_TABLE_SIZE },
		{ "interval-ms", required_argument, NULL, OPT_INTERVAL },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	char *end;
	int c;

	optind = 1;	/* EAL used getopt before us */
	while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_FLOWS:
			if (!parse_u64(optarg, 1, MAX_FLOWS, &v))
				goto bad;
			opt.n_flows = v;
			break;
		case OPT_PKT_SIZE:
			if (!parse_u64(optarg, MIN_PKT_SIZE, MAX_PKT_SIZE, &v))
				goto bad;
			opt.pkt_size = v;
			break;
		case OPT_RATE:
			if (!parse_u64(optarg, 0, MAX_RATE_PPS, &v))
				goto bad;
			opt.rate_pps = v;
			break;
		case OPT_CAP:
			if (!parse_cap(optarg))
				goto bad;
			break;
		case OPT_TABLE_SIZE:
			if (!parse_u64(optarg, RTE_TXWEIGHT_TABLE_MIN_SIZE,
					RTE_TXWEIGHT_TABLE_MAX_SIZE, &v) ||
			    !rte_is_power_of_2(v))
				goto bad;
			opt.table_size = v;
			break;
		case OPT_INTERVAL:
			if (!parse_u64(optarg, 10, 60000, &v))
				goto bad;
			opt.interval_ms = v;
			break;
		case OPT_CSV:
			opt.csv_path = optarg;
			break;
		case OPT_DURATION:
			/* Plain decimals: strtod() would take blanks, a sign,
			 * hexadecimal and exponents too.
			 */
			if (optarg[strspn(optarg, "0123456789.")] != '\0')
				goto bad;
			errno = 0;
			opt.duration_s = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(opt.duration_s > 0 && opt.duration_s < 1e7))
				goto bad;
			break;
		case 'h':
			return 1;
		default:	/* getopt already said what is wrong */
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "unexpected argument: %s\n", argv[optind]);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "invalid value for --%s: %s\n",
		long_opts[c - OPT_FLOWS].name, optarg);
	return -1;
}

/* ---------------------------------------------------------------------- */
/* Flows and packets                                                      */

/*
 * A flow's table hash: a CRC of its UDP 5-tuple, as a NIC's RSS or a
 * software hash would give it. Computed once per flow, not per packet.
 */
static uint32_t
flow_hash(rte_be32_t src_ip, rte_be32_t dst_ip, rte_be16_t src_port,
	  rte_be16_t dst_port, uint8_t proto)
{
	uint32_t hash;

	/* Word by word, as l3fwd does: no padding or aliasing surprises. */
	hash = rte_hash_crc_4byte(src_ip, 0);
	hash = rte_hash_crc_4byte(dst_ip, hash);
	hash = rte_hash_crc_4byte((uint32_t)src_port << 16 | dst_port, hash);
	return rte_hash_crc_4byte(proto, hash);
}

/*
 * Generate the flows: UDP from 198.18.x.y:sport to 198.19.0.1:9 (RFC 2544
 * benchmark addresses), the source port and address counting up.
 *
 * Real flows land on the table's entries only evenly on average, so the
 * ports' shares of traffic would wobble around their shares of entries.
 * A generator can do better: a candidate tuple is kept only if its entry
 * holds fewer than ceil(flows / table size) flows. With --flows a multiple
 * of --table-size every entry carries the same number of flows, and each
 * port's share of packets is exactly its share of entries, which the table
 * keeps within one entry of its share of the weights.
 */
static void
flows_init(void)
{
	const uint32_t per_entry = (opt.n_flows + opt.table_size - 1) /
		opt.table_size;
	const uint32_t max_candidates = 1u << 26;	/* within 198.18/15 */
	uint32_t *entry_flows;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint32_t i, cand = 0;

	flows = calloc(opt.n_flows, sizeof(*flows));
	entry_flows = calloc(opt.table_size, sizeof(*entry_flows));
	if (flows == NULL || entry_flows == NULL)
		rte_exit(EXIT_FAILURE, "cannot allocate %u flows\n", opt.n_flows);

	for (i = 0; i < opt.n_flows; i++) {
		struct flow *f = &flows[i];
		rte_be32_t src_ip, dst_ip = rte_cpu_to_be_32(RTE_IPV4(198u, 19, 0, 1));
		rte_be16_t src_port, dst_port = rte_cpu_to_be_16(9);
		uint32_t entry;

		do {
			if (cand == max_candidates)
				rte_exit(EXIT_FAILURE, "cannot spread %u flows\n",
					 opt.n_flows);
			src_ip = rte_cpu_to_be_32(RTE_IPV4(198u, 18, 0, 1) +
						  cand / 64512);
			src_port = rte_cpu_to_be_16(1024 + cand % 64512);
			cand++;
			f->hash = flow_hash(src_ip, dst_ip, src_port, dst_port,
					    IPPROTO_UDP);
			entry = f->hash & (opt.table_size - 1);
		} while (entry_flows[entry] == per_entry);
		entry_flows[entry]++;

		eth = (struct rte_ether_hdr *)f->hdr;
		/* A locally administered destination: nobody's address. */
		eth->dst_addr = (struct rte_ether_addr)
			{ .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);

		ip = (struct rte_ipv4_hdr *)(eth + 1);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->total_length = rte_cpu_to_be_16(opt.pkt_size -
					sizeof(struct rte_ether_hdr));
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		ip->src_addr = src_ip;
		ip->dst_addr = dst_ip;
		ip->hdr_checksum = rte_ipv4_cksum(ip);

		udp = (struct rte_udp_hdr *)(ip + 1);
		udp->src_port = src_port;
		udp->dst_port = dst_port;
		udp->dgram_len = rte_cpu_to_be_16(opt.pkt_size -
				sizeof(struct rte_ether_hdr) -
				sizeof(struct rte_ipv4_hdr));
		udp->dgram_cksum = 0;	/* optional in IPv4 */
	}
	free(entry_flows);
}

/*
 * Every packet has the same length and only its header changes, so the
 * payload is written once per mbuf, here, and the TX loop copies just the
 * header.
 */
static void
mbuf_fill_payload(struct rte_mempool *mp __rte_unused, void *arg __rte_unused,
		  void *obj, unsigned int idx __rte_unused)
{
	struct rte_mbuf *m = obj;
	uint8_t *data = (uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM;

	memset(data + HDR_LEN, 0x5a, opt.pkt_size - HDR_LEN);
}

/* ---------------------------------------------------------------------- */
/* Weights and the flow table                                             */

/*
 * Read every port's link, turn speeds into weights and publish a new flow
 * table. Only the entries whose port must change move, so most flows stay
 * where they were. Called at start and from the LSC callback.
 */
static void
rebalance(const char *reason)
{
	uint64_t weights[RTE_MAX_ETHPORTS];
	uint32_t entries[RTE_MAX_ETHPORTS];
	uint64_t total = 0;
	int usable, moved;
	uint16_t i;

	pthread_mutex_lock(&balance.lock);

	for (i = 0; i < nb_ports; i++) {
		struct rte_eth_link link;

		/* _nowait: never block the interrupt thread on a PMD. */
		if (rte_eth_link_get_nowait(port_ids[i], &link) != 0)
			memset(&link, 0, sizeof(link));
		balance.link_up[i] = link.link_status == RTE_ETH_LINK_UP;
		balance.speed_mbps[i] = balance.link_up[i] &&
			link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN ?
			link.link_speed : 0;
	}

	/*
	 * Errors below can only come from bad arguments (a port gone, a sum
	 * of weights beyond the library's limit): the table in force is
	 * kept, and traffic goes on. rte_exit() is no option here, on the
	 * interrupt thread.
	 */
	usable = rte_txweight_weights_from_links(port_ids, port_cap, nb_ports,
						 weights);
	if (usable < 0) {
		printf("[%8.3f s] rebalance (%s): cannot compute the weights: "
		       "%s; table unchanged\n", elapsed_s(), reason,
		       strerror(-usable));
		pthread_mutex_unlock(&balance.lock);
		return;
	}

	/*
	 * nb_queues is NULL: the table picks only the port. Each lcore owns
	 * one TX queue on every port and always uses its own, so that no two
	 * lcores ever share a queue.
	 */
	moved = rte_txweight_table_update(flow_table, port_ids, weights, NULL,
					  nb_ports);
	if (moved < 0 && moved != -ENOENT) {
		printf("[%8.3f s] rebalance (%s): cannot update the flow "
		       "table: %s; table unchanged\n", elapsed_s(), reason,
		       strerror(-moved));
		pthread_mutex_unlock(&balance.lock);
		return;
	}
	rte_txweight_table_count(flow_table, port_ids, nb_ports, entries);

	for (i = 0; i < nb_ports; i++) {
		balance.weight[i] = weights[i];
		balance.entries[i] = entries[i];
		total += weights[i];
	}
	balance.table_version = rte_txweight_table_version(flow_table);
	balance.rebalances++;

	/* One printf per line: the statistics print from another thread. */
	flockfile(stdout);
	printf("[%8.3f s] rebalance (%s): table v%" PRIu64 ", ",
	       elapsed_s(), reason, balance.table_version);
	if (usable == 0)
		printf("no port has a usable link: packets are dropped\n");
	else
		printf("%d entries moved\n", moved);
	for (i = 0; i < nb_ports; i++)
		printf("             port %u: speed %6u Mb/s, weight %6" PRIu64
		       " (%5.1f%%), %5u of %u entries\n",
		       port_ids[i], balance.speed_mbps[i], weights[i],
		       total ? 100.0 * weights[i] / total : 0.0, entries[i],
		       opt.table_size);
	fflush(stdout);
	funlockfile(stdout);

	pthread_mutex_unlock(&balance.lock);
}

/*
 * LSC callback, run by the EAL interrupt thread when a port's link
 * changes: with the lagspeed plugin, also when only its speed changes.
 *
 * It rebalances right here rather than handing the work to the main
 * lcore: rte_txweight_table_update() publishes the new table at once and
 * then waits only until every forwarding lcore has reported a quiescent
 * state, which they do on every loop iteration (microseconds). The
 * interrupt thread is held that long, and the new weights take effect
 * without any polling delay.
 */
static int
lsc_event_callback(uint16_t port_id, enum rte_eth_event_type type,
		   void *param __rte_unused, void *ret_param __rte_unused)
{
	struct rte_eth_link link;
	char reason[64];
	bool started;

	if (type != RTE_ETH_EVENT_INTR_LSC)
		return 0;
	if (rte_eth_link_get_nowait(port_id, &link) != 0)
		memset(&link, 0, sizeof(link));
	pthread_mutex_lock(&balance.lock);
	balance.lsc_events++;
	started = balance.started;
	pthread_mutex_unlock(&balance.lock);

	printf("[%8.3f s] LSC event: port %u link %s, %u Mb/s\n",
	       elapsed_s(), port_id,
	       link.link_status == RTE_ETH_LINK_UP ? "up" : "down",
	       link.link_status == RTE_ETH_LINK_UP &&
	       link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN ?
	       link.link_speed : 0);
	/*
	 * While the ports are still being set up, the table cannot take the
	 * ones not configured yet; the first rebalance, once all are up,
	 * reads every link anyway.
	 */
	if (!started)
		return 0;
	snprintf(reason, sizeof(reason), "LSC on port %u", port_id);
	rebalance(reason);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Ports                                                                  */

static void
port_init(uint16_t port_id)
{
	struct rte_eth_conf port_conf = {
		.txmode = { .mq_mode = RTE_ETH_MQ_TX_NONE },
	};
	struct rte_pmd_mlx5_lagspeed_info info;
	struct rte_eth_dev_info dev_info;
	struct rte_eth_txconf txconf;
	uint16_t nb_rxd = NB_RXD, nb_txd = NB_TXD;
	int socket = rte_eth_dev_socket_id(port_id);
	bool lsc_intr;
	uint16_t q;
	int ret;

	ret = rte_eth_dev_info_get(port_id, &dev_info);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "port %u: cannot get info: %s\n",
			 port_id, strerror(-ret));

	/*
	 * LSC interrupts where the PMD has them (mlx5 does). Without them
	 * (net_null) rte_eth_link_get() asks the PMD each time, and the
	 * lagspeed plugin still raises LSC callbacks on speed changes.
	 */
	lsc_intr = *dev_info.dev_flags & RTE_ETH_DEV_INTR_LSC;
	port_conf.intr_conf.lsc = lsc_intr;
	if (dev_info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		port_conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;

	/* One RX queue (some PMDs need one), one TX queue per lcore. */
	if (dev_info.max_tx_queues < nb_workers)
		rte_exit(EXIT_FAILURE,
			 "port %u: %u TX queues at most, %u forwarding lcores\n",
			 port_id, dev_info.max_tx_queues, nb_workers);
	ret = rte_eth_dev_configure(port_id, 1, nb_workers, &port_conf);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "port %u: cannot configure: %s\n",
			 port_id, strerror(-ret));
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "port %u: bad descriptor counts: %s\n",
			 port_id, strerror(-ret));

	ret = rte_eth_rx_queue_setup(port_id, 0, nb_rxd, socket, NULL,
				     pktmbuf_pool);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "port %u: RX queue setup: %s\n",
			 port_id, strerror(-ret));
	txconf = dev_info.default_txconf;
	txconf.offloads = port_conf.txmode.offloads;
	for (q = 0; q < nb_workers; q++) {
		ret = rte_eth_tx_queue_setup(port_id, q, nb_txd, socket,
					     &txconf);
		if (ret != 0)
			rte_exit(EXIT_FAILURE,
				 "port %u: TX queue %u setup: %s\n",
				 port_id, q, strerror(-ret));
	}

	/* Registered before start, so that no change is missed. */
	ret = rte_eth_dev_callback_register(port_id, RTE_ETH_EVENT_INTR_LSC,
					    lsc_event_callback, NULL);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "port %u: cannot register LSC callback: %s\n",
			 port_id, strerror(-ret));

	ret = rte_eth_dev_start(port_id);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "port %u: cannot start: %s\n",
			 port_id, strerror(-ret));

	ret = rte_eth_macaddr_get(port_id, &port_mac[port_index[port_id]]);
	if (ret != 0)
		rte_exit(EXIT_FAILURE, "port %u: cannot get MAC: %s\n",
			 port_id, strerror(-ret));

	printf("Port %u (%s, %s): " RTE_ETHER_ADDR_PRT_FMT
	       ", %u TX queue(s), LSC interrupts %s",
	       port_id, dev_info.device ? rte_dev_name(dev_info.device) : "?",
	       dev_info.driver_name,
	       RTE_ETHER_ADDR_BYTES(&port_mac[port_index[port_id]]),
	       nb_workers, lsc_intr ? "on" : "off (not in this PMD)");
	/* Where the speed comes from, if the lagspeed plugin is loaded. */
	if (rte_pmd_mlx5_lagspeed_info_get_dyn(port_id, &info) == 0)
		printf(", speed from lagspeed (%s port %u, %s)", info.ib_device,
		       info.ib_port, rte_pmd_mlx5_lagspeed_state_name(info.state));
	if (port_cap[port_index[port_id]] != 0)
		printf(", weight capped at %u Mb/s", port_cap[port_index[port_id]]);
	printf("\n");
}

/* Wait (up to 9 s) for every link to come up, as most examples do. */
static void
wait_links(void)
{
	struct rte_eth_link link;
	uint16_t i;

	for (i = 0; i < nb_ports; i++) {
		/* rte_eth_link_get() waits for the PMD to settle. */
		if (rte_eth_link_get(port_ids[i], &link) != 0 ||
		    link.link_status != RTE_ETH_LINK_UP)
			printf("Port %u: link down at start\n", port_ids[i]);
	}
}

/* ---------------------------------------------------------------------- */
/* The TX loop                                                            */

/* Per port mini-burst being built by one lcore. */
struct tx_buffer {
	uint16_t count;
	struct rte_mbuf *pkts[BURST_SIZE];
};

/* Send what was buffered for one port; free and count what did not go. */
static void
flush_port(struct worker *w, uint16_t idx, struct tx_buffer *buf)
{
	struct port_counters *pc = &w->port[idx];
	uint16_t sent;

	sent = rte_eth_tx_burst(port_ids[idx], w->queue_id, buf->pkts,
				buf->count);
	if (unlikely(sent < buf->count)) {
		rte_pktmbuf_free_bulk(&buf->pkts[sent], buf->count - sent);
		__atomic_store_n(&pc->dropped, pc->dropped + buf->count - sent,
				 __ATOMIC_RELAXED);
	}
	__atomic_store_n(&pc->packets, pc->packets + sent, __ATOMIC_RELAXED);
	buf->count = 0;
}

static int
tx_loop(void *arg)
{
	struct worker *w = arg;
	struct tx_buffer bufs[RTE_MAX_ETHPORTS];
	struct rte_mbuf *pkts[BURST_SIZE];
	uint64_t start_tsc = rte_rdtsc();
	/*
	 * Each lcore takes its share of --rate (the first ones one packet
	 * per second more, so that the shares add up to the rate) and its
	 * slice of flows.
	 */
	const bool limited = opt.rate_pps != 0;
	uint64_t rate = opt.rate_pps / nb_workers +
		(w->reader_id < opt.rate_pps % nb_workers);
	double pkts_per_tsc = (double)rate / rte_get_tsc_hz();
	uint64_t generated = 0;
	uint32_t next_flow = (uint64_t)opt.n_flows * w->reader_id / nb_workers;
	uint16_t i, n;

	memset(bufs, 0, sizeof(bufs));
	if (rte_txweight_table_reader_register(flow_table, w->reader_id) != 0) {
		printf("lcore %u: cannot register as a flow-table reader\n",
		       w->lcore_id);
		return -1;
	}
	printf("lcore %u: TX queue %u on every port\n", w->lcore_id,
	       w->queue_id);

	while (!force_quit) {
		/*
		 * Nothing from an earlier lookup is held here: tell the
		 * table, so that a rebalance in progress can complete. This
		 * must happen on every iteration, idle ones included.
		 */
		rte_txweight_table_quiescent(flow_table, w->reader_id);

		n = BURST_SIZE;
		if (limited) {
			/* Packets due by now at the lcore's rate. */
			uint64_t due = (rte_rdtsc() - start_tsc) * pkts_per_tsc;

			if (due <= generated) {
				rte_pause();
				continue;
			}
			n = RTE_MIN(due - generated, (uint64_t)BURST_SIZE);
		}
		if (unlikely(rte_pktmbuf_alloc_bulk(pktmbuf_pool, pkts, n) != 0)) {
			w->alloc_failed++;
			continue;
		}
		generated += n;

		for (i = 0; i < n; i++) {
			const struct flow *f = &flows[next_flow];
			struct rte_mbuf *m = pkts[i];
			struct rte_txweight_target t;
			struct rte_ether_hdr *eth;
			struct tx_buffer *buf;
			uint16_t idx;

			if (++next_flow == opt.n_flows)
				next_flow = 0;

			/* One load and a mask: where this flow goes now. */
			t = rte_txweight_table_lookup(flow_table, f->hash);
			if (unlikely(t.port_id == RTE_TXWEIGHT_NO_PORT)) {
				rte_pktmbuf_free(m);
				__atomic_store_n(&w->no_port, w->no_port + 1,
						 __ATOMIC_RELAXED);
				continue;
			}
			idx = port_index[t.port_id];

			eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
			rte_memcpy(eth, f->hdr, HDR_LEN);
			rte_ether_addr_copy(&port_mac[idx], &eth->src_addr);
			m->data_len = opt.pkt_size;
			m->pkt_len = opt.pkt_size;
			m->hash.rss = f->hash;

			buf = &bufs[idx];
			buf->pkts[buf->count++] = m;
			if (buf->count == BURST_SIZE)
				flush_port(w, idx, buf);
		}
		/* Mini-bursts: whatever each port got from this burst. */
		for (i = 0; i < nb_ports; i++)
			if (bufs[i].count != 0)
				flush_port(w, i, &bufs[i]);
	}

	rte_txweight_table_reader_unregister(flow_table, w->reader_id);
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                             */

struct port_totals {
	uint64_t packets, bytes, dropped;
};

/* Packets dropped because no port had any weight, all lcores. */
static uint64_t
read_no_port(void)
{
	uint64_t no_port = 0;
	unsigned int wi;

	for (wi = 0; wi < nb_workers; wi++)
		no_port += __atomic_load_n(&workers[wi].no_port,
					   __ATOMIC_RELAXED);
	return no_port;
}

static void
read_counters(struct port_totals *tot)
{
	unsigned int wi;
	uint16_t i;

	memset(tot, 0, sizeof(*tot) * nb_ports);
	for (wi = 0; wi < nb_workers; wi++) {
		for (i = 0; i < nb_ports; i++) {
			struct port_counters *pc = &workers[wi].port[i];

			tot[i].packets += __atomic_load_n(&pc->packets,
							  __ATOMIC_RELAXED);
			tot[i].dropped += __atomic_load_n(&pc->dropped,
							  __ATOMIC_RELAXED);
		}
	}
	/* Every packet has the same length. */
	for (i = 0; i < nb_ports; i++)
		tot[i].bytes = tot[i].packets * opt.pkt_size;
}

/*
 * Port table for the last period: what the console shows every second.
 * The total row's drops include those no port could take (no_port).
 */
static void
print_table(double now, double period, const struct port_totals *delta,
	    uint64_t no_port)
{
	uint64_t total_pkts = 0, total_weight = 0, total_bytes = 0;
	uint64_t total_dropped = no_port;
	uint16_t i;

	for (i = 0; i < nb_ports; i++) {
		total_pkts += delta[i].packets;
		total_bytes += delta[i].bytes;
		total_dropped += delta[i].dropped;
	}

	pthread_mutex_lock(&balance.lock);
	for (i = 0; i < nb_ports; i++)
		total_weight += balance.weight[i];

	flockfile(stdout);
	printf("\n[%8.3f s] table v%" PRIu64 "\n"
	       "  port  link   speed Mb/s   weight  w-share     Mpps     Gbps   share"
	       "    dropped\n",
	       now, balance.table_version);
	for (i = 0; i < nb_ports; i++)
		printf("  %4u  %-4s  %11u  %7" PRIu64 "   %5.1f%%  %7.3f  %7.3f  %5.1f%%"
		       "  %9" PRIu64 "\n",
		       port_ids[i], balance.link_up[i] ? "up" : "down",
		       balance.speed_mbps[i], balance.weight[i],
		       total_weight ? 100.0 * balance.weight[i] / total_weight : 0.0,
		       delta[i].packets / period / 1e6,
		       delta[i].bytes * 8 / period / 1e9,
		       total_pkts ? 100.0 * delta[i].packets / total_pkts : 0.0,
		       delta[i].dropped);
	printf("  total%45.3f  %7.3f  %17" PRIu64 "\n",
	       total_pkts / period / 1e6, total_bytes * 8 / period / 1e9,
	       total_dropped);
	fflush(stdout);
	funlockfile(stdout);
	pthread_mutex_unlock(&balance.lock);
}

static void
write_csv(FILE *csv, double now, const struct port_totals *delta)
{
	uint16_t i;

	pthread_mutex_lock(&balance.lock);
	for (i = 0; i < nb_ports; i++)
		fprintf(csv, "%.3f,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
			now, port_ids[i], balance.speed_mbps[i],
			balance.weight[i], delta[i].packets, delta[i].bytes);
	pthread_mutex_unlock(&balance.lock);
	fflush(csv);	/* readers (tests, plots) follow the file live */
}

/* Statistics state of the main lcore: counters at the last row/print. */
static struct {
	struct port_totals csv_prev[RTE_MAX_ETHPORTS];
	struct port_totals print_prev[RTE_MAX_ETHPORTS];
	uint64_t print_prev_no_port;
	double last_print;
} stats;

/*
 * A statistics tick at time now: CSV rows for the interval just ended
 * (csv_row), the console table for the time since the last one
 * (table). Both at the end.
 */
static void
stats_tick(FILE *csv, double now, bool csv_row, bool table)
{
	struct port_totals now_tot[RTE_MAX_ETHPORTS];
	struct port_totals delta[RTE_MAX_ETHPORTS];
	uint64_t no_port;
	uint16_t i;

	read_counters(now_tot);
	no_port = read_no_port();
	if (csv_row) {
		for (i = 0; i < nb_ports; i++) {
			delta[i].packets = now_tot[i].packets -
				stats.csv_prev[i].packets;
			delta[i].bytes = now_tot[i].bytes -
				stats.csv_prev[i].bytes;
		}
		memcpy(stats.csv_prev, now_tot, sizeof(now_tot[0]) * nb_ports);
		if (csv != NULL)
			write_csv(csv, now, delta);
	}
	if (!table)
		return;
	for (i = 0; i < nb_ports; i++) {
		delta[i].packets = now_tot[i].packets -
			stats.print_prev[i].packets;
		delta[i].bytes = now_tot[i].bytes - stats.print_prev[i].bytes;
		delta[i].dropped = now_tot[i].dropped -
			stats.print_prev[i].dropped;
	}
	memcpy(stats.print_prev, now_tot, sizeof(now_tot[0]) * nb_ports);
	if (now > stats.last_print)
		print_table(now, now - stats.last_print, delta,
			    no_port - stats.print_prev_no_port);
	stats.print_prev_no_port = no_port;
	stats.last_print = now;
}

/* The next time of a periodic schedule; late, it does not catch up. */
static double
next_due(double due, double period, double now)
{
	due += period;
	return due <= now ? now + period : due;
}

/*
 * Main lcore: CSV rows every --interval-ms and the console table about
 * every second, until --duration or a signal. A table due within half a
 * CSV interval of a row comes with it, from the same read of the
 * counters, so that the table and the CSV agree. The last tick
 * is left to the caller, once the lcores have stopped, so that the CSV
 * counts every packet.
 */
static void
stats_loop(FILE *csv)
{
	const double interval = opt.interval_ms / 1e3;
	const double print_period = PRINT_PERIOD_MS / 1e3;
	double next_tick = interval, next_print = print_period, now, wake;
	bool row, table;

	for (;;) {
		now = elapsed_s();
		if (force_quit ||
		    (opt.duration_s != 0 && now >= opt.duration_s))
			return;
		row = now >= next_tick;
		table = now >= next_print ||
			(row && next_print - now < interval / 2);
		if (row || table) {
			stats_tick(csv, now, row, table);
			if (row)
				next_tick = next_due(next_tick, interval, now);
			/*
			 * Tables keep to whole seconds: one printed early
			 * with a row takes its second's slot, it does not
			 * move the next ones.
			 */
			if (table)
				next_print = next_due(next_print, print_period,
					now);
			continue;
		}
		/*
		 * Sleep until the next tick or table or the end of
		 * --duration, in steps of at most 50 ms so that a signal is
		 * seen quickly.
		 */
		wake = RTE_MIN(next_tick, next_print);
		if (opt.duration_s != 0)
			wake = RTE_MIN(wake, opt.duration_s);
		rte_delay_us_sleep((unsigned int)
			(RTE_MIN(wake - now, 0.05) * 1e6) + 1);
	}
}

static void
print_summary(double run_s)
{
	struct port_totals tot[RTE_MAX_ETHPORTS];
	uint64_t all_pkts = 0, all_bytes = 0, all_dropped = 0;
	uint64_t no_port = 0, alloc_failed = 0, oerrors = 0;
	unsigned int wi;
	uint16_t i;

	read_counters(tot);
	for (i = 0; i < nb_ports; i++) {
		all_pkts += tot[i].packets;
		all_bytes += tot[i].bytes;
		all_dropped += tot[i].dropped;
	}
	no_port = read_no_port();
	for (wi = 0; wi < nb_workers; wi++)
		alloc_failed += workers[wi].alloc_failed;

	printf("\n==== lag_tx_balance summary: %.3f s ====\n"
	       "  port   tx packets        tx bytes     Mpps     Gbps   share"
	       "   dropped  oerrors\n", run_s);
	for (i = 0; i < nb_ports; i++) {
		struct rte_eth_stats st;

		if (rte_eth_stats_get(port_ids[i], &st) != 0)
			memset(&st, 0, sizeof(st));
		oerrors += st.oerrors;
		printf("  %4u  %11" PRIu64 "  %14" PRIu64 "  %7.3f  %7.3f  %5.1f%%"
		       "  %8" PRIu64 "  %7" PRIu64 "\n",
		       port_ids[i], tot[i].packets, tot[i].bytes,
		       tot[i].packets / run_s / 1e6,
		       tot[i].bytes * 8 / run_s / 1e9,
		       all_pkts ? 100.0 * tot[i].packets / all_pkts : 0.0,
		       tot[i].dropped, st.oerrors);
	}
	printf("  total %11" PRIu64 "  %14" PRIu64 "  %7.3f  %7.3f          %8"
	       PRIu64 "  %7" PRIu64 "\n",
	       all_pkts, all_bytes, all_pkts / run_s / 1e6,
	       all_bytes * 8 / run_s / 1e9, all_dropped, oerrors);
	printf("  LSC events %" PRIu64 ", rebalances %" PRIu64
	       ", no-port drops %" PRIu64 ", mbuf shortages %" PRIu64 "\n",
	       balance.lsc_events, balance.rebalances, no_port, alloc_failed);
}

/* ---------------------------------------------------------------------- */

int
main(int argc, char **argv)
{
	struct rte_txweight_table_params table_params = { 0 };
	unsigned int lcore_id, nb_mbufs;
	struct timespec start_real;
	FILE *csv = NULL;
	uint16_t port_id, i;
	int status = EXIT_SUCCESS;
	double run_s;
	int ret;

	/*
	 * Line-buffered output even into a pipe or a file: the statistics
	 * and events are meant to be followed as they come.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* EAL first: it takes its own arguments, up to "--". */
	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		rte_exit(EXIT_FAILURE, "Invalid EAL arguments\n");
	argc -= ret;
	argv += ret;

	ret = parse_args(argc, argv);
	if (ret != 0) {
		print_usage(ret > 0 ? stdout : stderr, argv[0]);
		rte_eal_cleanup();
		return ret > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	}

	__atomic_store_n(&start_ns, monotonic_ns(), __ATOMIC_RELAXED);
	force_quit = false;
	signal(SIGINT, signal_handler);
	signal(SIGTERM, signal_handler);

	/* Before any port starts: a path that cannot be written stops here. */
	if (opt.csv_path != NULL) {
		csv = fopen(opt.csv_path, "w");
		if (csv == NULL)
			rte_exit(EXIT_FAILURE, "Cannot open %s: %s\n",
				 opt.csv_path, strerror(errno));
		fprintf(csv, "time_s,port,speed_mbps,weight,tx_packets,tx_bytes\n");
		fflush(csv);
	}

	RTE_ETH_FOREACH_DEV(port_id) {
		port_index[port_id] = nb_ports;
		port_cap[nb_ports] = opt.cap_mbps[port_id];
		port_ids[nb_ports++] = port_id;
	}
	if (nb_ports == 0)
		rte_exit(EXIT_FAILURE, "No Ethernet ports\n");

	/* Every lcore but the main one forwards. */
	RTE_LCORE_FOREACH_WORKER(lcore_id) {
		struct worker *w = &workers[nb_workers];

		w->lcore_id = lcore_id;
		w->queue_id = nb_workers;
		w->reader_id = nb_workers;
		nb_workers++;
	}
	if (nb_workers == 0)
		rte_exit(EXIT_FAILURE,
			 "Need at least 2 lcores: one for statistics, one to send\n");

	flows_init();

	nb_mbufs = RTE_MAX(nb_ports * (NB_RXD + NB_TXD) +
			   nb_workers * (BURST_SIZE + MBUF_CACHE_SIZE) + 1024,
			   8192u);
	pktmbuf_pool = rte_pktmbuf_pool_create("mbuf_pool", nb_mbufs,
			MBUF_CACHE_SIZE, 0,
			RTE_MAX((uint32_t)RTE_MBUF_DEFAULT_BUF_SIZE,
				opt.pkt_size + RTE_PKTMBUF_HEADROOM),
			rte_socket_id());
	if (pktmbuf_pool == NULL)
		rte_exit(EXIT_FAILURE, "Cannot create mbuf pool: %s\n",
			 rte_strerror(rte_errno));
	rte_mempool_obj_iter(pktmbuf_pool, mbuf_fill_payload, NULL);

	table_params.name = "lag_tx_balance";
	table_params.size = opt.table_size;
	table_params.socket_id = rte_socket_id();
	table_params.max_readers = nb_workers;
	flow_table = rte_txweight_table_create(&table_params);
	if (flow_table == NULL)
		rte_exit(EXIT_FAILURE, "Cannot create the flow table: %s\n",
			 rte_strerror(rte_errno));

	for (i = 0; i < nb_ports; i++)
		port_init(port_ids[i]);
	wait_links();

	__atomic_store_n(&start_ns, monotonic_ns(), __ATOMIC_RELAXED);
	clock_gettime(CLOCK_REALTIME, &start_real);
	pthread_mutex_lock(&balance.lock);
	balance.started = true;
	pthread_mutex_unlock(&balance.lock);
	rebalance("start");

	printf("Traffic started: %u flows, %u-byte packets, %s, %u lcore(s); "
	       "t=0 is UNIX time %ld.%06ld\n",
	       opt.n_flows, opt.pkt_size,
	       opt.rate_pps ? "rate-limited" : "as fast as possible",
	       nb_workers, (long)start_real.tv_sec,
	       (long)start_real.tv_nsec / 1000);
	for (i = 0; i < nb_workers; i++) {
		ret = rte_eal_remote_launch(tx_loop, &workers[i],
					    workers[i].lcore_id);
		if (ret != 0) {
			/* Stop at once, through the normal shutdown path. */
			printf("lcore %u: cannot launch: %s\n",
			       workers[i].lcore_id, strerror(-ret));
			force_quit = true;
			status = EXIT_FAILURE;
			break;
		}
	}

	stats_loop(csv);

	/*
	 * Stop: no more rebalances (unregistering fails with -EAGAIN while
	 * the callback runs, so retry), then the lcores, then the ports.
	 */
	force_quit = true;
	for (i = 0; i < nb_ports; i++)
		while (rte_eth_dev_callback_unregister(port_ids[i],
				RTE_ETH_EVENT_INTR_LSC, lsc_event_callback,
				NULL) == -EAGAIN)
			rte_delay_us_sleep(1000);
	for (i = 0; i < nb_workers; i++)
		if (rte_eal_wait_lcore(workers[i].lcore_id) < 0)
			status = EXIT_FAILURE;
	run_s = elapsed_s();

	stats_tick(csv, run_s, true, true);
	print_summary(run_s);

	for (i = 0; i < nb_ports; i++) {
		printf("Closing port %u...", port_ids[i]);
		ret = rte_eth_dev_stop(port_ids[i]);
		if (ret != 0)
			printf(" stop failed: %s", strerror(-ret));
		ret = rte_eth_dev_close(port_ids[i]);
		if (ret != 0)
			printf(" close failed: %s", strerror(-ret));
		printf(" done\n");
	}
	/* A CSV with rows missing (disk full...) is a failed run. */
	if (csv != NULL && (ferror(csv) | fclose(csv)) != 0) {
		printf("Error writing %s\n", opt.csv_path);
		status = EXIT_FAILURE;
	}
	rte_txweight_table_free(flow_table);
	rte_mempool_free(pktmbuf_pool);
	free(flows);

	rte_eal_cleanup();
	printf("Bye...\n");
	return status;
}
