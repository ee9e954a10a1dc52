/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The C side of hmkit_port, the i386 Rust port's tests (port/port.rs
 * declares the same functions by hand; tools/check-abi.py compares them).
 *
 * Every function here is called from Rust or calls into Rust, so each one
 * exercises the calling convention of qemu/patches/0001: the first three
 * 32-bit arguments in EAX, EDX and ECX, the rest on the stack, and structs
 * of up to 8 bytes returned in EAX(:EDX).
 */
#ifndef HMKIT_PORT_H
#define HMKIT_PORT_H

#include <linux/types.h>

/* Small structs returned by value (Rust: RawPortS4, RawPortS8, RawPortS2x2). */
struct hmkit_port_s4 {
	u32 a;
};

struct hmkit_port_s8 {
	u32 a, b;
};

struct hmkit_port_s2x2 {
	u16 a, b;
};

/* Rust -> C, 1 to 5 arguments: each returns hmkit_port_mix() of them in order. */
u32 hmkit_port_cc1(u8 a);
u32 hmkit_port_cc2(u16 a, u32 b);
u32 hmkit_port_cc3(u32 a, u8 b, u16 c);
/* cc4: p points to two words, out must be p + 1 (else nothing is written). */
u32 hmkit_port_cc4(const u32 *p, u8 b, u16 c, u32 *out);
u32 hmkit_port_cc5(u8 a, u16 b, u32 c, const u32 *p, u32 e);
u32 hmkit_port_cc_signed(s8 a, s16 b, s32 c, s8 d, s16 e);

/* Rust -> C, returns in registers. */
u64 hmkit_port_ret_u64(u32 hi, u32 lo);
s64 hmkit_port_ret_s64(s32 v);
struct hmkit_port_s4 hmkit_port_ret_s4(u32 a);
struct hmkit_port_s8 hmkit_port_ret_s8(u32 a, u32 b);
struct hmkit_port_s2x2 hmkit_port_ret_s2x2(u16 a, u16 b);

/* C -> Rust: call cb with fixed arguments (the Rust side knows them). */
u32 hmkit_port_call5(u32 (*cb)(u8, u16, u32, const u32 *, u32), const u32 *p);
struct hmkit_port_s8 hmkit_port_call_s8(struct hmkit_port_s8 (*cb)(u32, u32), u32 a, u32 b);

/* C's sizes, alignments and offsets of PAE-sensitive types (Rust: RawPortLayout). */
struct hmkit_port_layout {
	u32 pte_size, pte_align;
	u32 pmd_size, pmd_align;
	u32 pgd_size, pgd_align;
	u32 pgprot_size, pgprot_align;
	u32 pteval_size;
	u32 phys_addr_size, dma_addr_size, resource_size_size;
	u32 page_size, page_align, page_refcount_offset;
	u32 timespec64_size, timespec64_nsec_offset;
	u32 atomic64_size, atomic64_align;
	u32 pae;
};

void hmkit_port_layout(struct hmkit_port_layout *out);

/* Whether test n (1-based) is selected by the module parameter "tests". */
u32 hmkit_port_selected(u32 n);

/* Every online CPU at once (hard IRQ on all but the caller's). */
void hmkit_port_on_each_cpu(void (*fn)(void *), void *arg);
u32 hmkit_port_num_online_cpus(void);

/*
 * The known hazard: rustc passes a u64 or a struct by value differently from
 * GCC's -mregparm=3. Only the expected-failure tests call these, through
 * declarations that tools/check-abi.py allows by name. Each records the
 * arguments it received, and hmkit_port_xfail_seen() hands them back word by
 * word (words[0..3]: a's low and high half, or s.a and 0, then b).
 */
void hmkit_port_xfail_u64(u64 a, u32 b);
void hmkit_port_xfail_struct(struct hmkit_port_s4 s, u32 b);
void hmkit_port_xfail_seen(u32 *words);

#endif /* HMKIT_PORT_H */
