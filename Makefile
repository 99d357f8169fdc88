# gotapip — make run (the shell on tap0), make test (every tier).
GO        ?= go
BIN       := tapip
# A fuzz budget in executions, not seconds: a duration budget races the
# fuzz coordinator's deadline in Go 1.26 (golang/go#75804) and fails a clean
# run with "context deadline exceeded" on a loaded machine.
FUZZTIME  ?= 100000x
# Fuzz targets, as package:Target. make test runs each for FUZZTIME.
FUZZ_TARGETS := \
	./netdev:FuzzEthernetParse \
	./netdev:FuzzParseMAC \
	./netdev:FuzzVnetHeader \
	./netdev/netmap:FuzzRegion \
	./netdev/netmap:FuzzRingOps \
	./netdev/packet:FuzzRxFrame \
	./netdev/macvtap:FuzzParseLink \
	./arp:FuzzARPParse \
	./ip:FuzzIPv4Parse \
	./ip:FuzzReassembly \
	./ip:FuzzFragment \
	./icmp:FuzzICMPParse \
	./internal/diagram:FuzzRender \
	./shell:FuzzDiagram \
	./stack:FuzzReceive \
	./udp:FuzzUDPParse \
	./sim:FuzzDNSServerAnswer \
	./dhcp:FuzzParse \
	./tcp:FuzzHeaderParse \
	./tcp:FuzzOptions \
	./tcp:FuzzSeq \
	./tcp:FuzzSegmentArrives

.PHONY: all build run test unit cross fuzz fuzz-short bench lint deps demos clean gvisor-target

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tapip

# The shell on the default TAP setup (TOP2): needs root for /dev/net/tun.
run: build
	./$(BIN) $(ARGS)

# Tools the tests call: ping and arping (iputils), tcpdump, ip (iproute2),
# setpriv and script (util-linux), shellcheck, tmux (the terminal tier), nft
# (nftables: loss on the kernel side in TCP tests), python3 (http.server:
# the kernel side's web server for the shell's curl), dnsmasq (the DNS and
# DHCP server in the kernel's namespace; dnsmasq-base is the program without
# the host-wide service the dnsmasq package starts). Installed with apt
# when missing and we are root; otherwise say what is missing.
deps:
	@missing=""; \
	for c in ping:iputils-ping arping:iputils-arping tcpdump:tcpdump ip:iproute2 setpriv:util-linux script:util-linux shellcheck:shellcheck tmux:tmux nft:nftables python3:python3 dnsmasq:dnsmasq-base ethtool:ethtool; do \
		command -v $${c%%:*} >/dev/null || missing="$$missing $${c#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing:$$missing (apt-get install$$missing)"; exit 1; \
		fi; \
	fi

lint:
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...

# Every tier: unit, in-process, kernel-peer and terminal tests (cmd/tapip:
# the program under tmux) with the race detector, the demos, then a short
# pass of every fuzz target. deps first installs the tools they call.
test: deps
	$(MAKE) lint cross unit demos fuzz-short

# The simulated LAN runs on any OS: every package and its tests must build
# for these too (go vet type-checks the tests), and tapip must link. The
# kernel drivers are Linux's, behind build tags (stack/open_other.go).
CROSS_OS ?= darwin freebsd windows
cross:
	@for os in $(CROSS_OS); do \
		echo "cross: GOOS=$$os"; \
		GOOS=$$os $(GO) vet ./... && GOOS=$$os $(GO) build -o /dev/null ./cmd/tapip || exit 1; \
	done

# The teaching demos (scripts/demos) on the simulated LAN, output checked.
demos: build
	TAPIP=./$(BIN) scripts/demos/run.sh

unit:
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run 'AllocatesNothing|NoAllocs' ./... # allocation pins: sync.Pool is random under -race

# A failing run leaves its input in the package's testdata/fuzz/TARGET;
# it is printed and moved out of the tree to FUZZ_FAILED/TARGET-HASH, so
# the tree stays clean. A real bug's input goes back in by hand, with a
# name, as a regression seed.
FUZZ_FAILED ?= $(or $(TMPDIR),/tmp)/gotapip-fuzz-failed
fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=1000x $$pkg && continue; \
		for f in $$(git ls-files --others --exclude-standard $$pkg/testdata/fuzz/$$name); do \
			out=$(FUZZ_FAILED)/$$name-$${f##*/}; mkdir -p $(FUZZ_FAILED) && mv $$f $$out; \
			echo "failing input moved to $$out (to keep it as a seed: move it back under $$pkg/testdata/fuzz/$$name/, named, and git add it):"; \
			cat $$out; \
		done; \
		rmdir $$pkg/testdata/fuzz/$$name $$pkg/testdata/fuzz $$pkg/testdata 2>/dev/null; \
		exit 1; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZTIME=5000000x

# Go micro-benchmarks (bench-results/go.txt, for benchstat), then the
# end-to-end run against the kernel and gVisor in namespaces of its own
# (bench-results/e2e.json; needs root, skipped without; about 10 min).
# gvisor-target is built first; if it cannot be (no module proxy), the
# gVisor cells are n/a and the rest runs. BENCHFLAGS go to tapbench, e.g.
# BENCHFLAGS="-runs 5 -tcp-runs 3"; see doc/performance.md.
bench:
	@mkdir -p bench-results
	@$(GO) test -run='^$$' -bench=. -benchmem ./... > bench-results/go.txt 2>&1; st=$$?; \
		cat bench-results/go.txt; exit $$st
	@$(MAKE) --no-print-directory gvisor-target || echo "bench: make gvisor-target failed: the gvisor cells will be n/a"
	$(GO) run ./cmd/tapbench -json bench-results/e2e.json -gvisor bin/gvisor-target $(BENCHFLAGS)

# gVisor's netstack on a TAP, the benchmark's other user-space target
# (bench/gvisor/README.md). A module of its own, so gotapip does not depend
# on gVisor: not part of test or cross; building it downloads gVisor.
gvisor-target:
	cd bench/gvisor && $(GO) build -o ../../bin/gvisor-target .

clean:
	rm -f $(BIN)
