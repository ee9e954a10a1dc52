# SPDX-License-Identifier: GPL-2.0
#
# hmkit: `make` builds hmkit.ko against the cached test kernel; `make run`
# and `make test` are the two commands of the README. Everything installs
# and builds what it needs, and reuses what is up to date.

FLAVOUR ?= plain
KDIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/hmkit/kernels/$(FLAVOUR)
RUSTC ?= /usr/bin/rustc
# The flavour's architecture (arm for the flavours with arm.config) and
# its toolchain: ARM kernels and modules are built with LLVM (clang-14).
KARCH := $(or $(shell awk -v f=$(FLAVOUR) '$$1 == f { print (/ arm\.config/ ? "arm" : "i386") }' $(CURDIR)/qemu/config/flavours),i386)
KTOOLS := $(if $(filter arm,$(KARCH)),LLVM=-14)

all: module

# Build the module in place against KDIR (the cached kernel by default).
module:
	@[ -f $(KDIR)/Makefile ] || qemu/build-kernel.sh $(FLAVOUR)
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=$(KARCH) $(KTOOLS) RUSTC=$(RUSTC) modules

kernel:
	qemu/build-kernel.sh $(FLAVOUR)

kernels:
	for f in $$(awk '!/^#/ && NF { print $$1 }' qemu/config/flavours); do qemu/build-kernel.sh $$f || exit 1; done

hmctl:
	tools/build-hmctl.sh

setup:
	tools/setup.sh

# Boot the VM and print the state report (RUN_ARGS: options for qemu/run.sh;
# FLAVOUR=arm boots the ARM kernel under qemu-system-arm).
run:
	qemu/run.sh --flavour $(FLAVOUR) $(RUN_ARGS)

# Host tests, module build, and the VM suite on the @test flavours (3G/1G,
# both page-table formats); the split-dependent tests on the @split
# flavours (VMSPLIT_2G_OPT without PAE, VMSPLIT_2G with it), and the
# what-if of each 3G/1G kernel against their real boots.
test:
	tools/test.sh

# The VMSPLITs of HIGHMEM kernels (the @matrix flavours of
# qemu/config/flavours: 3G, 3G_OPT, 2G, 2G_OPT; 3G and 2G on PAE): the whole suite on each, the same workload on
# each (MATRIX_WORKLOAD, "NAME MIB SECONDS"), and the report side by side:
# results/matrix.{md,json,svg}, with what each kernel saved in
# results/matrix/FLAVOUR/.
# MATRIX_ARCH=i386 or arm: one architecture's kernels only.
MATRIX_WORKLOAD ?= mix 128 10
MATRIX_ARCH ?=
matrix:
	MATRIX_WORKLOAD="$(MATRIX_WORKLOAD)" MATRIX_ARCH="$(MATRIX_ARCH)" tools/test.sh --matrix $(RESULTS)

# The benchmark on a flavour without debug checkers (bench, or bench-pae
# for PAE page tables), booted twice: under --icount (instructions per op,
# and the kernel's flush events per op) and on the host's clock (TCG wall
# ns per op, min/median/max of BENCH_RUNS). bench-report merges them into
# one table: on the console, results/bench.md, results/bench.json, and a
# chart results/bench.svg; each run's own report is kept beside them. Each
# boot also measures what tracing with hmctl kmaps adds to a map+unmap
# (results/bench-kmaps-overhead-{icount,wall}.txt: the same loops without
# and with the probes).
RESULTS ?= results
BENCH_FLAVOUR ?= bench
BENCH_RUNS ?= 5
BENCH_HMCTL = $(or $(HMKIT_BUILD),build)/hmctl
bench:
	tools/build.sh $(BENCH_FLAVOUR)
	mkdir -p $(RESULTS)
	@echo "==> $(BENCH_FLAVOUR): instruction counts (qemu -icount, one CPU), $(BENCH_RUNS) runs"
	qemu/run.sh --flavour $(BENCH_FLAVOUR) --no-build --icount --smp 1 --out $(RESULTS) --timeout 3600 -- \
		sh -c 'hmctl bench --runs $(BENCH_RUNS) --json-out /out/$(BENCH_FLAVOUR)-icount.json && \
		hmctl kmaps --overhead >/out/$(BENCH_FLAVOUR)-kmaps-overhead-icount.txt && cat /out/$(BENCH_FLAVOUR)-kmaps-overhead-icount.txt'
	@echo "==> $(BENCH_FLAVOUR): wall time under TCG, $(BENCH_RUNS) runs"
	qemu/run.sh --flavour $(BENCH_FLAVOUR) --no-build --out $(RESULTS) --timeout 3600 -- \
		sh -c 'hmctl bench --runs $(BENCH_RUNS) --json-out /out/$(BENCH_FLAVOUR)-wall.json && \
		hmctl kmaps --overhead >/out/$(BENCH_FLAVOUR)-kmaps-overhead-wall.txt && cat /out/$(BENCH_FLAVOUR)-kmaps-overhead-wall.txt'
	$(BENCH_HMCTL) bench-report $(RESULTS)/$(BENCH_FLAVOUR)-icount.json $(RESULTS)/$(BENCH_FLAVOUR)-wall.json \
		--markdown $(RESULTS)/$(BENCH_FLAVOUR).md --json-out $(RESULTS)/$(BENCH_FLAVOUR).json --svg $(RESULTS)/$(BENCH_FLAVOUR).svg

# The bench kernels side by side, x86 and ARM, both page-table formats
# each (one thread): instructions per op and the ratios to each kernel's
# own mechanisms, one column per kernel, from the results/FLAVOUR.json
# that `make bench BENCH_FLAVOUR=FLAVOUR` wrote: results/bench-compare.md.
BENCH_COMPARE ?= bench bench-pae arm-bench arm-lpae-bench
bench-compare:
	$(BENCH_HMCTL) bench-compare $(foreach f,$(BENCH_COMPARE),$(f)=$(RESULTS)/$(f).json) --markdown $(RESULTS)/bench-compare.md

# The instruction-count baselines of the guard in `make test`
# (tools/bench-guard.sh), one per test flavour, in qemu/bench-baseline/.
# Record them again after a change that is meant to change instruction
# counts, and commit them.
bench-baseline:
	for f in $$(awk '!/^#/ { for (i = 2; i <= NF; i++) if ($$i == "@test") print $$1 }' qemu/config/flavours); do \
		tools/build.sh $$f && tools/bench-guard.sh $$f --update || exit 1; done

# Where one mechanism's instructions go in hmkit.ko, function by function
# (PROFILE: "MECHANISM ITERATIONS WORKING_SET" as the bench file takes).
PROFILE ?= pool_miss 20000 2048
profile:
	tools/profile.sh $(BENCH_FLAVOUR) $(PROFILE)

# Every named workload (hmctl workload: pagecache, anon, tmpfs, metadata,
# swap, mix) at full size on the Debian root with a scratch disk, on both
# page-table formats: results/workloads/FLAVOUR/workload-NAME.{txt,json,svg}
# (census before, every second during and after; what-if at the busiest
# sample), and the census and what-if of the idle guest beside them.
# WORKLOAD_FLAVOURS="arm arm-lpae" runs them on the armhf root.
WORKLOAD_FLAVOURS ?= plain pae
WORKLOAD_MIB ?= 256
WORKLOAD_SECONDS ?= 60
workloads:
	for f in $(WORKLOAD_FLAVOURS); do \
		qemu/mkrootfs.sh --flavour $$f debian >/dev/null && \
		tools/build.sh $$f && mkdir -p $(RESULTS)/workloads/$$f && \
		qemu/run.sh --flavour $$f --no-build --rootfs debian --disk 4G --timeout 3600 --out $(RESULTS)/workloads/$$f -- sh -c \
			'hmctl census --svg /out/census-idle.svg >/out/census-idle.txt && hmctl whatif >/out/whatif-idle.txt && \
			 HMKIT_WORKLOAD_MIB=$(WORKLOAD_MIB) HMKIT_WORKLOAD_SECONDS=$(WORKLOAD_SECONDS) HMKIT_WORKLOAD_OUT=/out \
			 sh /selftests/hmkit/hmkit_workloads.sh' || exit 1; \
	done

# Each port test (port/, hmkit_port.ko) must fail when the part of the
# kernel series it guards is undone: one kernel build per mutant (about 5
# minutes each on 2 cores); results/port-mutants.md. PORT_MUTANTS: a
# subset, by name (see tools/port-mutants.sh).
port-mutants:
	tools/port-mutants.sh $(PORT_MUTANTS)

# Every mechanism at once on every CPU for SOAK_SECONDS (default 10
# minutes) on each kernel format, with at least SOAK_MIN_OPS verified pool
# operations in all.
SOAK_SECONDS ?= 600
SOAK_MIN_OPS ?= 10000000
soak:
	tools/soak.sh $(SOAK_SECONDS) $(SOAK_MIN_OPS) plain pae

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) ARCH=i386 clean 2>/dev/null || true
	rm -rf build

.PHONY: all module kernel kernels hmctl setup run test matrix bench bench-compare bench-baseline profile soak port-mutants workloads clean
