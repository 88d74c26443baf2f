# kioskd. The two commands that matter on a fresh Debian 12 machine with Swift:
#   make demo   installs what it needs, builds, runs a demonstration call
#   make test   installs what it needs, builds with warnings as errors, runs every test
SWIFT ?= swift
export SWIFT_BACKTRACE ?= enable=no

.PHONY: all build test demo bench fuzz fuzz-build fuzz-smoke lab clean

all: build

build:
	scripts/deps.sh build
	$(SWIFT) build

# Suites that run browsers and daemons: one at a time, so a 2-core machine does not starve them.
HEAVY_TESTS = MediaPipelineThreadsTests|ChromiumInteropTests|ClinicianPageTests|WorkflowEndToEndTests|KioskScreensTests|DaemonTests|PeerSimulatedCallTests|HostileEndpointTests|VisitRecoveryTests|NetworkLabTests

test:
	scripts/deps.sh test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(HEAVY_TESTS)'
	$(SWIFT) test --skip-build --no-parallel --filter '$(HEAVY_TESTS)'
	$(MAKE) lab
	$(MAKE) fuzz-smoke

demo:
	scripts/deps.sh demo
	$(SWIFT) build --product kioskd
	$(SWIFT) build --product practice-dev
	$(SWIFT) build --product kioskd-demo
	.build/debug/kioskd demo

# The benchmarks, then (as root) issue 12's seven-link table: 30 s calls through the network
# lab against headless Chromium, printed beside the Chromium <-> Chromium figures.
bench:
	scripts/deps.sh test
	$(SWIFT) package --package-path Benchmarks benchmark
	$(SWIFT) build --build-tests
	$(SWIFT) build -c release --product kioskd
	KIOSKD_QUALITY_MATRIX=1 KIOSKD_BINARY=$(CURDIR)/.build/release/kioskd $(SWIFT) test --skip-build --no-parallel --filter QualityMatrixTests

# Builds every libFuzzer target and runs each for a few seconds over its corpus.
fuzz-build:
	$(SWIFT) build --package-path Fuzz --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address

fuzz-smoke: fuzz-build
	scripts/fuzz.sh 5

fuzz: fuzz-build
	scripts/fuzz.sh 60

lab:
	SWIFT="$(SWIFT)" image/lab/lab.sh

clean:
	rm -rf .build Fuzz/.build Benchmarks/.build
