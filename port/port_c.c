// SPDX-License-Identifier: GPL-2.0
/*
 * The C half of hmkit_port: functions of every shape the i386 calling
 * convention distinguishes, for the Rust half to call and be called by.
 * Prototypes: port.h; the Rust declarations: port.rs.
 */

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/cpumask.h>
#include <linux/mm_types.h>
#include <linux/moduleparam.h>
#include <linux/pgtable.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/stddef.h>
#include <linux/time64.h>
#include <linux/string.h>

#include "port.h"

/* The checksum both sides compute: order- and width-sensitive. */
static u32 mix(u32 h, u32 v)
{
	return (h ^ v) * 0x01000193u + (h >> 15);
}

#define H0 0x811c9dc5u

u32 hmkit_port_cc1(u8 a)
{
	return mix(H0, a);
}

u32 hmkit_port_cc2(u16 a, u32 b)
{
	return mix(mix(H0, a), b);
}

u32 hmkit_port_cc3(u32 a, u8 b, u16 c)
{
	return mix(mix(mix(H0, a), b), c);
}

/*
 * A pointer argument is read without faulting: under a broken calling
 * convention (the mutants of tools/port-mutants.sh) it is whatever word sat
 * where the pointer should be, and the test must fail, not oops.
 */
static u32 read_word(const u32 *p)
{
	u32 v;

	return copy_from_kernel_nofault(&v, p, sizeof(v)) ? 0xbadbad : v;
}

/* p points to two words: *p is read, and ~checksum written to p[1] = *out. */
u32 hmkit_port_cc4(const u32 *p, u8 b, u16 c, u32 *out)
{
	u32 h = mix(mix(mix(H0, read_word(p)), b), c);

	/* Write only where the caller said, checked against the other pointer. */
	if (out != p + 1)
		return 0;
	*out = ~h;
	return h;
}

u32 hmkit_port_cc5(u8 a, u16 b, u32 c, const u32 *p, u32 e)
{
	return mix(mix(mix(mix(mix(H0, a), b), c), read_word(p)), e);
}

/* Each value sign-extended to 32 bits, then mixed in order. */
u32 hmkit_port_cc_signed(s8 a, s16 b, s32 c, s8 d, s16 e)
{
	return mix(mix(mix(mix(mix(H0, (s32)a), (s32)b), c), (s32)d), (s32)e);
}

u64 hmkit_port_ret_u64(u32 hi, u32 lo)
{
	return (u64)hi << 32 | lo;
}

s64 hmkit_port_ret_s64(s32 v)
{
	return (s64)v * 0x100000001ll;
}

struct hmkit_port_s4 hmkit_port_ret_s4(u32 a)
{
	return (struct hmkit_port_s4){ .a = a ^ 0x5a5a5a5a };
}

struct hmkit_port_s8 hmkit_port_ret_s8(u32 a, u32 b)
{
	return (struct hmkit_port_s8){ .a = b, .b = a };
}

struct hmkit_port_s2x2 hmkit_port_ret_s2x2(u16 a, u16 b)
{
	return (struct hmkit_port_s2x2){ .a = b, .b = a };
}

u32 hmkit_port_call5(u32 (*cb)(u8, u16, u32, const u32 *, u32), const u32 *p)
{
	return cb(0xa5, 0xbeef, 0x0eadbeef, p, 0x12345678);
}

struct hmkit_port_s8 hmkit_port_call_s8(struct hmkit_port_s8 (*cb)(u32, u32), u32 a, u32 b)
{
	/*
	 * Called with a fourth argument, which a correct callee ignores: it
	 * is the first stack word, where a callee built without
	 * -Zreg-struct-return looks for its hidden return pointer, so such a
	 * callee writes to the unmapped first page and oopses instead of
	 * corrupting whatever the stack held there.
	 */
	struct hmkit_port_s8 (*cb4)(u32, u32, u32, u32) = (void *)cb;

	return cb4(a, b, 0, 0x10);
}

void hmkit_port_layout(struct hmkit_port_layout *out)
{
	*out = (struct hmkit_port_layout){
		.pte_size = sizeof(pte_t), .pte_align = __alignof__(pte_t),
		.pmd_size = sizeof(pmd_t), .pmd_align = __alignof__(pmd_t),
		.pgd_size = sizeof(pgd_t), .pgd_align = __alignof__(pgd_t),
		.pgprot_size = sizeof(pgprot_t), .pgprot_align = __alignof__(pgprot_t),
		.pteval_size = sizeof(pteval_t),
		.phys_addr_size = sizeof(phys_addr_t),
		.dma_addr_size = sizeof(dma_addr_t),
		.resource_size_size = sizeof(resource_size_t),
		.page_size = sizeof(struct page), .page_align = __alignof__(struct page),
		.page_refcount_offset = offsetof(struct page, _refcount),
		.timespec64_size = sizeof(struct timespec64),
		.timespec64_nsec_offset = offsetof(struct timespec64, tv_nsec),
		.atomic64_size = sizeof(atomic64_t), .atomic64_align = __alignof__(atomic64_t),
		.pae = IS_ENABLED(CONFIG_X86_PAE) || IS_ENABLED(CONFIG_ARM_LPAE),
	};
}

/* Which tests run: bit N-1 for test N (tools/port-mutants.sh runs a few). */
static unsigned long tests = ~0UL;
module_param(tests, ulong, 0444);
MODULE_PARM_DESC(tests, "bit mask of the tests to run (bit 0: test 1); default all");

u32 hmkit_port_selected(u32 n)
{
	return n >= 1 && n <= BITS_PER_LONG && (tests & BIT(n - 1));
}

void hmkit_port_on_each_cpu(void (*fn)(void *), void *arg)
{
	on_each_cpu(fn, arg, 1);
}

u32 hmkit_port_num_online_cpus(void)
{
	return num_online_cpus();
}

static u32 xfail_seen[3];

void hmkit_port_xfail_u64(u64 a, u32 b)
{
	WRITE_ONCE(xfail_seen[0], (u32)a);
	WRITE_ONCE(xfail_seen[1], (u32)(a >> 32));
	WRITE_ONCE(xfail_seen[2], b);
}

void hmkit_port_xfail_struct(struct hmkit_port_s4 s, u32 b)
{
	WRITE_ONCE(xfail_seen[0], s.a);
	WRITE_ONCE(xfail_seen[1], 0);
	WRITE_ONCE(xfail_seen[2], b);
}

void hmkit_port_xfail_seen(u32 *words)
{
	memcpy(words, xfail_seen, sizeof(xfail_seen));
}
