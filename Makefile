# edge-anomaly — the commands of the README. `make help` lists them.
SWIFT ?= swift
SHELL := /bin/bash

.PHONY: help demo demo-check deps test-deps build test test-unit test-tsan bench bench-mqtt bench-forest bench-emulator bench-agent bench-skab bench-skab-sensitivity soak soak-ci fuzz fuzz-ci fuzz-merge screenshot clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 16

demo: ## install what is missing, build, and run broker + agent + emulator until Ctrl-C
	@deploy/scripts/demo.sh

demo-check: ## the demo for 60 s, failing unless alerts arrived (CI)
	@deploy/scripts/demo.sh --duration 60 --check

deps: ## install the Debian packages that are missing (mosquitto, libmosquitto-dev, openssl, libjs-chart.js, …)
	@deploy/scripts/install-deps.sh

test-deps: ## deps, plus what the tests use: chromium (dashboard in a browser), promtool, curl
	@deploy/scripts/install-deps.sh --test

build: deps ## debug build of everything
	$(SWIFT) build

test: test-deps ## install what is missing, run every test, then the MQTT and HTTP server tests under ThreadSanitizer
	$(SWIFT) test
	$(MAKE) --no-print-directory test-tsan

test-unit: test-deps ## every test, without the ThreadSanitizer pass
	$(SWIFT) test

test-tsan: deps ## the MQTT and HTTP server tests under ThreadSanitizer (own build folder, so the normal build stays warm)
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter "MQTTTests|HTTP1ServerTests"

bench: bench-mqtt bench-forest bench-emulator bench-agent ## every benchmark (release builds)

bench-mqtt: deps ## MQTT client throughput next to the mosquitto_pub/mosquitto_sub ceiling
	$(SWIFT) run -c release bench-mqtt

bench-agent: deps ## agent throughput vs the broker ceiling, latency at 10k msg/s, start-up, memory with 1000 devices
	$(SWIFT) build -c release --product anomaly-agent
	$(SWIFT) build -c release --product bench-agent
	.build/release/bench-agent $(BENCH_AGENT_ARGS)

SOAK_SECONDS ?= 600
soak: deps ## the agent for 10 minutes at 5,000 msg/s over 1,000 devices; fails unless memory and fds stay flat
	$(SWIFT) build -c release --product anomaly-agent
	$(SWIFT) build -c release --product soak
	.build/release/soak --seconds $(SOAK_SECONDS) --rate 5000 --devices 1000

soak-ci: ## the soak for 60 s (CI)
	@$(MAKE) --no-print-directory soak SOAK_SECONDS=60

FUZZ_SECONDS ?= 60
fuzz: deps ## libFuzzer + ASan on the telemetry, configuration and model-file loaders, FUZZ_SECONDS (60) each
	@SWIFT="$(SWIFT)" deploy/scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-ci: ## the fuzzers for 20 s each (CI)
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

fuzz-merge: ## add to the committed corpus (Fuzz/corpus) what the last fuzz runs reached that it does not
	@SWIFT="$(SWIFT)" deploy/scripts/fuzz.sh --merge

SKAB_DIR ?= ../shared/datasets/skab
bench-skab: ## SKAB's outlier protocol, offline and through MQTT, next to the leaderboard (SKAB_DIR=…)
	@deploy/scripts/bench-skab.sh $(SKAB_DIR)

bench-skab-sensitivity: ## SKAB's pooled figures for other windows, tolerances and the forest, as a table (SKAB_DIR=…)
	@deploy/scripts/bench-skab-sensitivity.sh $(SKAB_DIR)

bench-emulator: deps ## sensor-emulator publish next to the mosquitto_pub/mosquitto_sub ceiling, and generate speed
	$(SWIFT) build -c release --product sensor-emulator
	$(SWIFT) build -c release --product bench-emulator
	.build/release/bench-emulator

bench-forest: ## Isolation Forest scoring and training speed (next to scikit-learn when installed)
	$(SWIFT) run -c release bench-forest

screenshot: test-deps ## run the browser test and save its dashboard screenshot as docs/images/dashboard.png
	EDGE_ANOMALY_ARTEFACTS=$(CURDIR)/docs/images $(SWIFT) test --filter DashboardBrowserTests

clean: ## remove build folders
	rm -rf .build .build-tsan .build-fuzz
