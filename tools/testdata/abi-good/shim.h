/* SPDX-License-Identifier: GPL-2.0 */
/* The C side of tools/testdata/abi-good/good.rs. */
#ifndef GOOD_H
#define GOOD_H
#define HMKIT_MACRO(x) \
	struct hmkit_not_a_struct { int x; }

struct page;
struct seq_file;

/* Several fields per line, a pointer to pointer, an array. */
struct hmkit_thing {
	unsigned long a, b;
	unsigned int c;
	const char *name;
	pte_t **ptes;
	int (*cb)(void *arg, unsigned long n);
	char tag[8];
};

struct hmkit_pair { unsigned long x, y; };

int hmkit_one(unsigned int a, struct hmkit_thing *t);
void hmkit_two(const void *p);
unsigned long hmkit_three(void);
void hmkit_four(void (*fn)(void *, unsigned int), void *arg);
int hmkit_five(struct hmkit_pair *p, const char **name, size_t len);
#endif
