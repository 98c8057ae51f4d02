# Thin wrapper over CMake. Every target installs what it needs first.
#   make            build build/ticklake
#   make test       install deps, build, run every unit + integration test
#   make up         install deps, build, run the embedded default
#   make chaos      the crash suite (tests/chaos/): SIGKILLs of stream (local, S3),
#                   compact and vacuum at chosen moments, a full disk; 20 kills each
#                   (CHAOS_KILLS=N, CHAOS_SEED=N); `make test` runs it with 4
#   make asan       the same tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make valgrind   unit tests under valgrind (leak check)
#   make fuzz       build libFuzzer targets with clang (build-fuzz/)
#   make bench      build benchmark programs
JOBS ?= $(shell nproc)
BUILD ?= build
CTEST_ARGS ?=

.PHONY: all deps build test unit integration up asan valgrind fuzz bench clean chaos
all: build

deps:
	@scripts/bootstrap

$(BUILD)/Makefile: CMakeLists.txt | deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null

build: deps $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

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

valgrind: build
	cd $(BUILD) && ctest --output-on-failure -L unit -T memcheck --overwrite MemoryCheckCommand=$$(command -v valgrind) \
	  --overwrite MemoryCheckCommandOptions="--leak-check=full --error-exitcode=99 --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind.supp"

fuzz: deps
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DTL_FUZZ=ON -DTL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-fuzz -j $(JOBS)

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target $$(cd bench && ls bench_*.c 2>/dev/null | sed 's/\.c$$//' | tr '\n' ' ')

clean:
	rm -rf build build-asan build-fuzz
