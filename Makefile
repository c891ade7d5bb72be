# Thin wrapper around CMake and CTest. `make run` and `make test` do all
# set-up on a fresh Debian 12 machine (deploy/install-deps.sh first).

BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CONFIG ?= config/node.yaml
CMAKE_FLAGS ?=
# ctest fills $(JOBS) processor slots, one per core; a test that starts
# several nodes claims several slots (ctest's PROCESSORS property, set in
# tests/CMakeLists.txt), so integration tests do not fight over 2 cores.
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)

.PHONY: all deps configure build run test unit-test integration-test bench bench-http bench-agents bench-cluster format clean

all: build

deps:
	@./deploy/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@$(BUILD_DIR)/node/bsmd --config $(CONFIG)

test: build
	@./tests/peers/install.sh
	@cd $(BUILD_DIR) && ctest $(CTEST_FLAGS)

unit-test: build
	@cd $(BUILD_DIR) && ctest $(CTEST_FLAGS) -L unit

integration-test: build
	@./tests/peers/install.sh
	@cd $(BUILD_DIR) && ctest $(CTEST_FLAGS) -L integration

bench: build
	@./bench/run.sh $(BUILD_DIR)

bench-http: build
	@./bench/http_bench.sh $(BUILD_DIR)

bench-agents: build
	@./bench/agent_bench.sh $(BUILD_DIR)

bench-cluster: build
	@./bench/cluster_bench.sh $(BUILD_DIR)

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
