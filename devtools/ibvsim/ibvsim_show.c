/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * `ibvsim-ctl show`: the model as a table or as JSON. Speeds are in Mb/s,
 * like the rest of the command line. Names need no JSON escaping: their
 * characters are restricted (ibvsim_name_valid()).
 */

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ibvsim_private.h"

static const char *
flags_name(uint32_t flags)
{
	if (flags & IBVSIM_F_LEGACY)
		return "legacy";
	if (flags & IBVSIM_F_OLD_KERNEL)
		return "old-kernel";
	return "-";
}

static void
faults_name(uint32_t faults, char *buf, size_t size)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ IBVSIM_FAULT_QUERY_EIO, "query-eio" },
		{ IBVSIM_FAULT_OPEN_FAIL, "open-fail" },
		{ IBVSIM_FAULT_FATAL, "fatal" },
	};
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (faults & names[i].bit)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
					len ? "," : "", names[i].name);
	if (len == 0)
		snprintf(buf, size, "-");
}

/* A column as wide as its widest cell, and at least min wide. */
static int
col_width(int width, const char *cell)
{
	int len = (int)strlen(cell);

	return len > width ? len : width;
}

static void
show_table(const char *dir, const struct ibvsim_model *m, FILE *out)
{
	int gw = 16, dw = 16, fw = 20;
	char faults[64];
	uint32_t i, j;

	/* Long names widen their columns instead of shifting the rest. */
	for (i = 0; i < m->hdr.n_groups; i++)
		gw = col_width(gw, m->groups[i].name);
	for (i = 0; i < m->hdr.n_devices; i++) {
		dw = col_width(dw, m->devices[i].name);
		gw = col_width(gw, m->devices[i].group);
		faults_name(m->devices[i].faults, faults, sizeof(faults));
		fw = col_width(fw, faults);
	}

	fprintf(out, "%-*s %4s %12s %s\n", gw, "GROUP", "PF", "Mb/s", "STATE");
	for (i = 0; i < m->hdr.n_groups; i++) {
		const struct ibvsim_group_rec *g = &m->groups[i];

		for (j = 0; j < g->n_pf; j++)
			fprintf(out, "%-*s %4u %12u %s\n", gw, g->name, j,
					g->pf_mbps[j],
					(g->pf_up_mask & (1u << j)) ? "up" : "down");
		fprintf(out, "%-*s %4s %12u %s\n", gw, g->name, "max",
				g->max_mbps, "(internal loopback)");
	}
	fprintf(out, "\n%-*s %-4s %-*s %5s %5s %-6s %-10s %-*s %4s %12s\n",
			dw, "DEVICE", "TYPE", gw, "GROUP", "PORTS", "PORT",
			"STATE", "VERB", fw, "FAULTS", "CTX", "EFFECTIVE");
	for (i = 0; i < m->hdr.n_devices; i++) {
		const struct ibvsim_device_rec *d = &m->devices[i];
		uint64_t eff = ibvsim_effective_mbps(m, d);
		int ctx = ibvsim_ctx_count(dir, d->name);

		faults_name(d->faults, faults, sizeof(faults));
		for (j = 1; j <= d->n_ports; j++)
			fprintf(out, "%-*s %-4s %-*s %5u %5u %-6s %-10s %-*s "
					"%4d %7" PRIu64 " Mb/s\n",
					dw, d->name, ibvsim_type_name(d->type),
					gw, d->group[0] ? d->group : "-",
					d->n_ports, j, d->up ? "up" : "down",
					flags_name(d->flags), fw, faults,
					ctx < 0 ? 0 : ctx, eff);
	}
}

static void
show_json(const char *dir, const struct ibvsim_model *m, FILE *out)
{
	uint32_t i, j;

	fprintf(out, "{\"generation\": %" PRIu64 ", \"groups\": [",
			m->hdr.generation);
	for (i = 0; i < m->hdr.n_groups; i++) {
		const struct ibvsim_group_rec *g = &m->groups[i];

		fprintf(out, "%s\n  {\"name\": \"%s\", \"max_mbps\": %u, \"pfs\": [",
				i ? "," : "", g->name, g->max_mbps);
		for (j = 0; j < g->n_pf; j++)
			fprintf(out, "%s{\"index\": %u, \"mbps\": %u, \"up\": %s}",
					j ? ", " : "", j, g->pf_mbps[j],
					(g->pf_up_mask & (1u << j)) ? "true" : "false");
		fprintf(out, "]}");
	}
	fprintf(out, "%s],\n \"devices\": [", m->hdr.n_groups ? "\n " : "");
	for (i = 0; i < m->hdr.n_devices; i++) {
		const struct ibvsim_device_rec *d = &m->devices[i];
		uint64_t eff = ibvsim_effective_mbps(m, d);
		int ctx = ibvsim_ctx_count(dir, d->name);
		bool first = true;

		fprintf(out, "%s\n  {\"name\": \"%s\", \"type\": \"%s\", ",
				i ? "," : "", d->name, ibvsim_type_name(d->type));
		if (d->group[0])
			fprintf(out, "\"group\": \"%s\", ", d->group);
		else
			fprintf(out, "\"group\": null, \"speed_mbps\": %u, ",
					d->speed_mbps);
		fprintf(out, "\"ports\": %u, \"up\": %s, \"legacy\": %s, "
				"\"old_kernel\": %s, \"faults\": [",
				d->n_ports, d->up ? "true" : "false",
				(d->flags & IBVSIM_F_LEGACY) ? "true" : "false",
				(d->flags & IBVSIM_F_OLD_KERNEL) ? "true" : "false");
		if (d->faults & IBVSIM_FAULT_QUERY_EIO) {
			fprintf(out, "\"query-eio\"");
			first = false;
		}
		if (d->faults & IBVSIM_FAULT_OPEN_FAIL) {
			fprintf(out, "%s\"open-fail\"", first ? "" : ", ");
			first = false;
		}
		if (d->faults & IBVSIM_FAULT_FATAL)
			fprintf(out, "%s\"fatal\"", first ? "" : ", ");
		fprintf(out, "], \"effective_mbps\": %" PRIu64
				", \"contexts\": %d}", eff, ctx < 0 ? 0 : ctx);
	}
	fprintf(out, "%s]}\n", m->hdr.n_devices ? "\n " : "");
}

int
ibvsim_show(struct ibvsim *sim, FILE *out, bool json)
{
	struct ibvsim_model *m;
	const char *dir;
	int ret;

	if (sim == NULL || out == NULL)
		return -EINVAL;
	dir = ibvsim_dir(sim);
	m = malloc(sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	ret = ibvsim_model_load(dir, m);
	if (ret == 0) {
		if (json)
			show_json(dir, m, out);
		else
			show_table(dir, m, out);
		/* The stream's own error (ENOSPC on a full disk), if it has one. */
		errno = 0;
		if (fflush(out) != 0 || ferror(out))
			ret = errno != 0 ? -errno : -EIO;
	}
	free(m);
	return ret;
}
