# gotapip — make run (the shell on tap0), make test (every tier).
GO        ?= go
BIN       := tapip
FUZZTIME  ?= 5s
# Fuzz targets, as package:Target. make test runs each for FUZZTIME.
FUZZ_TARGETS := \
	./stack:FuzzReceive \
	./udp:FuzzUDPParse

.PHONY: all build run test unit fuzz fuzz-short bench lint deps clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/tapip

# The shell on the default TAP setup (TOP2): needs root for /dev/net/tun.
run: build
	./$(BIN) $(ARGS)

# Tools the kernel-peer tests call: ping (iputils) and tcpdump. Installed
# with apt when missing and we are root; otherwise say what is missing.
deps:
	@missing=""; \
	for c in ping:iputils-ping tcpdump:tcpdump ip:iproute2; do \
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

# Every tier: unit, in-process and kernel-peer tests with the race detector,
# then a short pass of every fuzz target.
test: lint unit fuzz-short

unit:
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run 'AllocatesNothing' ./... # allocation pins: sync.Pool is random under -race

fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "fuzz $$name ($$pkg) for $(FUZZTIME)"; \
		$(GO) test -run='^$$' -fuzz="^$$name\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=2s $$pkg || exit 1; \
	done

fuzz:
	$(MAKE) fuzz-short FUZZTIME=60s

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

clean:
	rm -f $(BIN)
