# Thin wrapper around CMake and CTest. `make run` and `make test` do all
# set-up on a fresh Debian 12 machine (deploy/install-deps.sh first).

BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
CONFIG ?= config/node.yaml
CMAKE_FLAGS ?=
# ctest fills $(JOBS) processor slots, one per core; a test that starts
# several nodes claims several slots (ctest's PROCESSORS property, set in
# tests/CMakeLists.txt), so integration tests do not fight over 2 cores.
CTEST_FLAGS ?= --output-on-failure -j $(JOBS)
# `make coverage` builds apart from `make test` (its own dir and flags).
COVERAGE_DIR ?= build-coverage
COVERAGE_CTEST_FLAGS ?= --output-on-failure -j 2

.PHONY: all deps configure build run test unit-test integration-test bench bench-http bench-agents bench-sessions bench-cluster bench-replica bench-stream bench-tasks bench-workflows interop coverage format clean

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

# SESSIONS chat turns (default 1,000,000) each opening a session: RSS and
# data dir every SESSIONS/10, restart-to-ready, history reads (issue 28).
bench-sessions: build
	@./bench/sessions_bench.sh $(BUILD_DIR)

bench-cluster: build
	@./bench/cluster_bench.sh $(BUILD_DIR)

# Three nodes: chat turns and memory writes with replication_factor 1
# against 2 in the same run, and the time a replica takes to serve after
# its owner is killed (issue 26).
bench-replica: build
	@./bench/replica_bench.py $(BUILD_DIR)

# A fake upstream that trickles deltas: the time to the first delta and each
# delta's relay latency, direct and through bsmd's two streamed routes
# (issue 17). STREAM_ARGS=--cluster: through a node that does not own the
# agent.
bench-stream: build
	@./bench/stream_bench.py $(STREAM_ARGS) $(BUILD_DIR)

# The task queue (issue 18): no-op tasks submitted over HTTP, then over the
# cluster port (bsm_cluster_bench tasks), to completion at 1 and 64
# concurrent submitters, durability os and fsync, against the durable
# mailbox send in the same run; then TASKS_BENCH_QUEUED (default
# 1,000,000) delayed tasks across 10 priorities: memory, data dir, and the
# first dispatch after kill -9 and restart. Needs wrk.
bench-tasks: build
	@./bench/tasks_bench.py $(BUILD_DIR)

# Workflows (issue 19): a 5-step chain of message steps to node_info,
# durability os, one run at a time and 16 at once (step transitions per
# second, runs started and ended), against the durable mailbox send in the
# same run; then the resume of a run after kill -9 with 10,000 other runs
# in the store. Needs wrk.
bench-workflows: build
	@./bench/workflows_bench.py $(BUILD_DIR)

# Other ecosystems' own checks (not part of test): the MCP conformance
# suite's server scenarios against /mcp and its client scenarios against
# the node's MCP client, the MCP Inspector's CLI against /mcp, the AI SDK
# and LangChain.js against /v1, @a2a-js/sdk's client against an agent
# over A2A (tests/interop/run.sh).
interop: build
	@./tests/interop/run.sh $(BUILD_DIR)

# Instrumented build, the whole suite, then docs/COVERAGE.md. Fails when a
# test fails or runtime/, actors/ or agents/ is below 90% of lines; the
# report is written either way so a long run is never wasted.
coverage: deps
	@cmake -S . -B $(COVERAGE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DBSM_COVERAGE=ON -DBSM_BUILD_BENCH=OFF $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(COVERAGE_DIR) -j $(JOBS)
	@./tests/peers/install.sh
	@find $(COVERAGE_DIR) -name '*.gcda' -delete
	@cd $(COVERAGE_DIR) && ctest $(COVERAGE_CTEST_FLAGS); status=$$?; \
	  cd $(CURDIR) && python3 deploy/coverage_report.py \
	    --build-dir $(COVERAGE_DIR) --ctest-status $$status && \
	  exit $$status

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR)
