/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The lagspeed authors
 */

/*
 * The speed on every read path. An extended port gets a private copy of
 * its dev_ops whose link_update, dev_start, dev_set_link_up and
 * dev_set_link_down call the PMD's and then rewrite dev->data->dev_link
 * with the effective link: rte_eth_link_get() either calls link_update
 * (our wrapper) or returns dev_link (kept right by every writer we can
 * see). Lock-free: the effective link is one atomic word.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_eal.h>

#include "mlx5_lagspeed_link.h"
#include "mlx5_lagspeed_priv.h"

static inline struct lagspeed_port *
lagspeed_hook_port(struct rte_eth_dev *dev)
{
	return &lagspeed.ports[lagspeed_abi_port_id_fast(dev)];
}

/*
 * The link we want in dev_link, from cur (what it holds now), recording
 * the PMD's link (fix_lock held). A value that is not the one we wrote
 * last was written by the PMD: it becomes the PMD's view, on which the
 * effective link is laid. PMDs also update dev_link in part (net_null's
 * dev_start sets link_status alone): a speed still equal to ours is ours,
 * and the PMD's speed learnt before is kept. With pmd_down, the PMD is
 * known to have taken its link down though nothing shows it: a write of
 * "down" over a word already down changes nothing.
 */
static inline uint64_t
lagspeed_hook_want(struct lagspeed_port *p, uint64_t cur, bool pmd_down)
{
	union lagspeed_link_word pmd, want, written, now;

	written.word = __atomic_load_n(&p->written, __ATOMIC_RELAXED);
	pmd.word = __atomic_load_n(&p->pmd_link, __ATOMIC_RELAXED);
	if (cur != written.word) {
		now.word = cur;
		if (now.link.link_speed == written.link.link_speed)
			now.link.link_speed = pmd.link.link_speed;
		pmd.word = now.word;
		p->pmd_learns++;
	} else if (pmd_down) {
		pmd.link.link_status = RTE_ETH_LINK_DOWN;
	}
	__atomic_store_n(&p->pmd_link, pmd.word, __ATOMIC_RELAXED);
	want.link = lagspeed_link_apply(pmd.link,
		__atomic_load_n(&p->eff, __ATOMIC_ACQUIRE));
	return want.word;
}

/* Lay the effective link over dev_link (fix_lock held). */
static void
lagspeed_hook_fix_locked(struct lagspeed_port *p, bool pmd_down)
{
	uint64_t *dev_link = p->dev_link;
	uint64_t cur, want;

	cur = __atomic_load_n(dev_link, __ATOMIC_ACQUIRE);
	want = lagspeed_hook_want(p, cur, pmd_down);
	if (want != cur)
		__atomic_store_n(dev_link, want, __ATOMIC_RELEASE);
	__atomic_store_n(&p->written, want, __ATOMIC_RELEASE);
}

/*
 * Writers take turns: two fixers racing would otherwise take each other's
 * write for the PMD's. pmd_down: as lagspeed_hook_want().
 */
static void __rte_noinline
lagspeed_hook_fix_link_slow(struct lagspeed_port *p, bool pmd_down)
{
	rte_spinlock_lock(&p->fix_lock);
	lagspeed_hook_fix_locked(p, pmd_down);
	rte_spinlock_unlock(&p->fix_lock);
}

/*
 * Lock-free fast path: dev_link still holds what we wrote, and every
 * change of the effective link rewrites it at once (refresh below).
 */
static inline void
lagspeed_hook_fix_link_inline(struct lagspeed_port *p)
{
	if (likely(__atomic_load_n(p->dev_link, __ATOMIC_ACQUIRE) ==
			__atomic_load_n(&p->written, __ATOMIC_ACQUIRE)))
		return;
	lagspeed_hook_fix_link_slow(p, false);
}

void
lagspeed_hook_fix_link(struct lagspeed_port *p)
{
	lagspeed_hook_fix_link_inline(p);
}

void
lagspeed_hook_refresh(struct lagspeed_port *p)
{
	/* The effective link changed: rewrite even if we wrote dev_link. */
	lagspeed_hook_fix_link_slow(p, false);
}

/*
 * Whether dev_link still holds what we wrote, and that is a link down laid
 * over a link the PMD reports up (the function is down): a PMD writing
 * "down" then leaves the word as it was (fix_lock held). The word, when
 * so, in *cur.
 */
static bool
lagspeed_hook_masking(struct lagspeed_port *p, uint64_t *cur)
{
	union lagspeed_link_word written;

	*cur = __atomic_load_n(p->dev_link, __ATOMIC_ACQUIRE);
	written.word = __atomic_load_n(&p->written, __ATOMIC_RELAXED);
	return *cur == written.word &&
		written.link.link_status == RTE_ETH_LINK_DOWN &&
		written.word != __atomic_load_n(&p->pmd_link, __ATOMIC_RELAXED);
}

bool
lagspeed_hook_pmd_lsc_masked(struct lagspeed_port *p, uint32_t *learns)
{
	uint64_t cur;
	bool masked;

	rte_spinlock_lock(&p->fix_lock);
	masked = lagspeed_hook_masking(p, &cur);
	*learns = p->pmd_learns;
	rte_spinlock_unlock(&p->fix_lock);
	return masked;
}

void
lagspeed_hook_fix_link_pmd_lsc(struct lagspeed_port *p, uint32_t learns)
{
	uint64_t cur;

	/*
	 * The PMD, asked for its link, wrote it again: over our link down,
	 * "up" shows (and is learnt, here or by a fixer in between), "down"
	 * does not. So a word still ours, with nothing learnt since the
	 * question, is the PMD's link, down.
	 */
	rte_spinlock_lock(&p->fix_lock);
	if (lagspeed_hook_masking(p, &cur) && p->pmd_learns == learns)
		__atomic_store_n(&p->pmd_link, cur, __ATOMIC_RELAXED);
	lagspeed_hook_fix_locked(p, false);
	rte_spinlock_unlock(&p->fix_lock);
}

static int
lagspeed_hook_link_update(struct rte_eth_dev *dev, int wait_to_complete)
{
	struct lagspeed_port *p = lagspeed_hook_port(dev);
	lagspeed_link_update_t orig = p->orig_link_update;
	int ret;

	/*
	 * A record already forgotten (a caller racing with the port's
	 * release) has no original to call and nothing to fix.
	 */
	if (unlikely(orig == NULL))
		return 0;
	ret = orig(dev, wait_to_complete);
	lagspeed_hook_fix_link_inline(p);
	return ret;
}

/*
 * In a secondary: answer from the shared dev_link that the primary keeps
 * right. Never call the PMD (mlx5 has no link_update in secondaries) and
 * never write a link back.
 */
static int
lagspeed_hook_link_update_secondary(struct rte_eth_dev *dev,
	int wait_to_complete)
{
	RTE_SET_USED(dev);
	RTE_SET_USED(wait_to_complete);
	return 0;
}

/* The PMD's dev_start / dev_set_link_up / dev_set_link_down, then fix. */
static inline int
lagspeed_hook_op_then_fix(struct rte_eth_dev *dev, enum lagspeed_abi_slot slot)
{
	struct lagspeed_port *p = lagspeed_hook_port(dev);
	lagspeed_dev_op_t orig = p->orig_op[slot];
	int ret;

	if (unlikely(orig == NULL))
		return -ENOTSUP;
	ret = orig(dev);
	if (unlikely(p->dev_link == NULL))
		return ret;
	/*
	 * After a dev_set_link_down that succeeded, the PMD's link is down,
	 * whether or not its write shows (over our link down, it does not).
	 */
	if (slot == LAGSPEED_SLOT_SET_LINK_DOWN && ret == 0)
		lagspeed_hook_fix_link_slow(p, true);
	else
		lagspeed_hook_fix_link_inline(p);
	return ret;
}

static int
lagspeed_hook_dev_start(struct rte_eth_dev *dev)
{
	return lagspeed_hook_op_then_fix(dev, LAGSPEED_SLOT_DEV_START);
}

static int
lagspeed_hook_set_link_up(struct rte_eth_dev *dev)
{
	return lagspeed_hook_op_then_fix(dev, LAGSPEED_SLOT_SET_LINK_UP);
}

static int
lagspeed_hook_set_link_down(struct rte_eth_dev *dev)
{
	return lagspeed_hook_op_then_fix(dev, LAGSPEED_SLOT_SET_LINK_DOWN);
}

/* A function pointer as the void * of an ops slot. */
#define LAGSPEED_FN_PTR(fn) __extension__ ((void *)(uintptr_t)(fn))

int
lagspeed_hook_install(struct lagspeed_port *p)
{
	static const struct {
		enum lagspeed_abi_slot slot;
		lagspeed_dev_op_t wrapper;
	} wrapped[] = {
		{ LAGSPEED_SLOT_DEV_START, lagspeed_hook_dev_start },
		{ LAGSPEED_SLOT_SET_LINK_UP, lagspeed_hook_set_link_up },
		{ LAGSPEED_SLOT_SET_LINK_DOWN, lagspeed_hook_set_link_down },
	};
	const void *ops = lagspeed_abi_ops(p->dev);
	unsigned int i;
	void *slot;

	p->secondary = rte_eal_process_type() != RTE_PROC_PRIMARY;
	p->dev_link = lagspeed_abi_dev_link(p->dev);
	p->ops_copy = malloc(lagspeed_abi_ops_size());
	if (p->ops_copy == NULL)
		return -ENOMEM;
	memcpy(p->ops_copy, ops, lagspeed_abi_ops_size());
	p->orig_ops = ops;

	slot = lagspeed_abi_ops_slot_get(ops, LAGSPEED_SLOT_LINK_UPDATE);
	memcpy(&p->orig_link_update, &slot, sizeof(slot));
	lagspeed_abi_ops_slot_set(p->ops_copy, LAGSPEED_SLOT_LINK_UPDATE,
		p->secondary ? LAGSPEED_FN_PTR(lagspeed_hook_link_update_secondary) :
		LAGSPEED_FN_PTR(lagspeed_hook_link_update));
	/* The others only in the primary, and only where the PMD has them. */
	for (i = 0; i < RTE_DIM(wrapped) && !p->secondary; i++) {
		slot = lagspeed_abi_ops_slot_get(ops, wrapped[i].slot);
		memcpy(&p->orig_op[wrapped[i].slot], &slot, sizeof(slot));
		if (slot != NULL)
			lagspeed_abi_ops_slot_set(p->ops_copy, wrapped[i].slot,
				LAGSPEED_FN_PTR(wrapped[i].wrapper));
	}
	if (!p->secondary) {
		/* What the PMD reports before we touch anything. */
		__atomic_store_n(&p->pmd_link,
			__atomic_load_n(p->dev_link, __ATOMIC_ACQUIRE),
			__ATOMIC_RELAXED);
		/* Not a link value: the first fix learns the PMD's link. */
		__atomic_store_n(&p->written, ~UINT64_C(0), __ATOMIC_RELAXED);
	}
	lagspeed_abi_ops_set(p->dev, p->ops_copy);
	p->hooked = true;
	if (!p->secondary)
		lagspeed_hook_fix_link(p);
	return 0;
}

lagspeed_link_update_t
lagspeed_hook_remove(struct lagspeed_port *p)
{
	bool ours;

	if (!p->hooked)
		return NULL;
	/* Only if nobody replaced ours in between. */
	ours = lagspeed_abi_ops(p->dev) == p->ops_copy;
	if (!p->secondary) {
		/* Give the PMD's own link back, as last learnt from dev_link. */
		__atomic_store_n(&p->eff, 0, __ATOMIC_RELEASE);
		lagspeed_hook_refresh(p);
	}
	if (ours)
		lagspeed_abi_ops_set(p->dev, p->orig_ops);
	p->hooked = false;
	/*
	 * The copy stays allocated until the record goes: a thread may still
	 * be inside a wrapper it read from it.
	 */
	return !p->secondary && ours ? p->orig_link_update : NULL;
}
