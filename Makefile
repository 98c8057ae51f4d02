# Thin wrapper over CMake. Every target installs what it needs first.
#   make            build build/ticklake
#   make test       install deps, build, run every unit + integration test, then
#                   each fuzz target for ~30 s (TL_TEST_FUZZ=0 skips the fuzz runs)
#   make up         install deps, build, run the embedded default
#   make chaos      the crash suite (tests/chaos/): SIGKILLs of stream (local, S3),
#                   compact and vacuum at chosen moments, a full disk; 20 kills each
#                   (CHAOS_KILLS=N, CHAOS_SEED=N); `make test` runs it with 4
#   make asan       the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#                   (LeakSanitizer fails a test that leaks), the fault sweeps included
#   make tsan       the unit tests of threaded code (TSAN_TESTS, a ctest -R regex)
#                   under ThreadSanitizer, in build-tsan/
#   make valgrind   unit tests under valgrind, the fault sweeps included: a memory error
#                   or a definite leak fails the test
#   make fuzz       build libFuzzer targets with clang (build-fuzz/)
#   make fuzz-smoke build them and run each fuzz/fuzz_<t>.c ~30 s (FUZZ_SECONDS) from
#                   fuzz/corpus/<t>/; a crash fails it (reproducer in build-fuzz/artifacts/)
#   make bench      build benchmark programs
JOBS ?= $(shell nproc)
BUILD ?= build
CTEST_ARGS ?=

.PHONY: all deps build test unit integration up asan valgrind fuzz bench clean chaos
.PHONY: fuzz-smoke tsan
FUZZ_SECONDS ?= 30
all: build

deps:
	@scripts/bootstrap

$(BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null

build: deps $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

# Every unit and integration test, then each fuzz target for FUZZ_SECONDS (a crash
# fails the run). TL_TEST_FUZZ=0 leaves the fuzz runs out.
TL_TEST_FUZZ ?= 1
test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)
	@if [ "$(TL_TEST_FUZZ)" != 0 ]; then $(MAKE) --no-print-directory fuzz-smoke; fi

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

integration: build
	cd $(BUILD) && ctest --output-on-failure -L integration

# The embedded default needs no Java or Python: skip the test tools' install
# (target-specific, so it reaches `deps` through `build`).
up: export TL_BOOTSTRAP_TOOLS = 0
up: build
	scripts/up $(ARGS)

chaos: build
	TICKLAKE=$(CURDIR)/$(BUILD)/ticklake TL_SOURCE_DIR=$(CURDIR) TL_BUILD_DIR=$(CURDIR)/$(BUILD) tests/chaos/run.sh

asan:
	$(MAKE) test BUILD=build-asan CMAKE_ARGS="-DTL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"

# Only what TSAN_TESTS names is built: the rest has no threads of its own.
# DuckDB and librdkafka are not instrumented; tests/tsan.supp names the
# races TSan cannot see the synchronisation of inside them.
TSAN_TESTS ?= unit/test_stream_parallel|unit/test_stream_run
tsan: deps
	cmake -S . -B build-tsan -DTL_TSAN=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-tsan -j $(JOBS) --target $$(echo '$(TSAN_TESTS)' | tr '|' '\n' | sed 's,^unit/,,' | tr '\n' ' ')
	cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  ctest --output-on-failure -R '$(TSAN_TESTS)'

# Every unit test under valgrind; --error-exitcode makes a memory error or a
# definite leak fail the test (ctest's memcheck alone only counts "defects").
# The fault sweeps (unit/test_faults_*) run here too, but with fewer Ns than in
# `make test` (TL_FAULT_BUDGET, tests/unit/tl_fault.h; 60 there): under
# valgrind one run of a path costs 20-50 times as much, and a sweep over a
# DuckDB path at 60 Ns takes most of an hour on a shared machine. Every sweep
# still tries its first and last N and then every N until the path no longer
# reaches the fault; VALGRIND_FAULT_BUDGET=0 tries every N.
VALGRIND_FAULT_BUDGET ?= 8
valgrind: build
	cd $(BUILD) && TL_FAULT_BUDGET=$(VALGRIND_FAULT_BUDGET) ctest --output-on-failure -L unit -T memcheck \
	  --overwrite MemoryCheckCommand=$$(command -v valgrind) \
	  --overwrite MemoryCheckCommandOptions="--leak-check=full --error-exitcode=99 --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind.supp"

fuzz: deps
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DTL_FUZZ=ON -DTL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j $(JOBS)

# New units go to a scratch corpus (the seeds stay as committed); the loader's
# messages for rejected files (fuzz_conf) are kept off the log (-close_fd_mask=2).
fuzz-smoke: fuzz
	@mkdir -p build-fuzz/artifacts; tmp=$$(mktemp -d); fail=0; \
	for f in build-fuzz/fuzz_*; do t=$${f#build-fuzz/fuzz_}; \
	  [ -x "$$f" ] && [ -f "fuzz/fuzz_$$t.c" ] || continue; \
	  mkdir -p "$$tmp/$$t"; mask=; [ "$$t" = conf ] && mask=-close_fd_mask=2; \
	  if "$$f" -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 $$mask \
	       -artifact_prefix=build-fuzz/artifacts/$$t- "$$tmp/$$t" "fuzz/corpus/$$t" \
	       >"build-fuzz/fuzz-smoke-$$t.log" 2>&1; then \
	    echo "fuzz-smoke: $$t: $$(sed -n 's/^stat::number_of_executed_units: *//p' "build-fuzz/fuzz-smoke-$$t.log") runs, no crash"; \
	  else echo "fuzz-smoke: $$t FAILED (build-fuzz/fuzz-smoke-$$t.log):"; \
	    tail -n 40 "build-fuzz/fuzz-smoke-$$t.log"; fail=1; fi; \
	done; rm -rf "$$tmp"; exit $$fail

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target $$(cd bench && ls bench_*.c 2>/dev/null | sed 's/\.c$$//' | tr '\n' ' ')

clean:
	rm -rf build build-asan build-fuzz build-tsan
