# Parley — make targets. Everything needs only Go; `race` needs a C compiler.
GO      ?= go
BIN     ?= bin/parley
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

FUZZTIME ?= 1m

.PHONY: test-reliability fuzz build run test test-race test-pubsub-full bench bench-plugins lint fmt clean plugins proto check-proto

## build: the single CGO-free binary at bin/parley
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/parley

## run: Parley in sandbox mode (embedded SQLite + Cloud API emulator)
run:
	$(GO) run ./cmd/parley serve

## test: vet, then every test (the end-to-end ones build and start the real binary)
test:
	$(GO) vet ./...
	$(GO) test -count=1 ./...

## test-race: every test under the race detector (needs cgo and a C compiler)
test-race:
	CGO_ENABLED=1 $(GO) test -race -count=1 ./...

## test-reliability: the real binary SIGKILLed and SIGTERMed under load, a Cloud API failing a fifth of
## requests, a full and a read-only disk (about a minute; the disk test needs root for a tmpfs)
test-reliability:
	$(GO) test -tags reliability -count=1 -run Reliability -v ./cmd/parley/

## fuzz: every fuzz target for FUZZTIME each (make fuzz FUZZTIME=10m)
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -parallel 1 ./core/whatsapp/
	$(GO) test -run '^$$' -fuzz '^FuzzRender$$' -fuzztime $(FUZZTIME) -parallel 1 ./core/flows/
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) -parallel 1 ./core/config/
	for c in shopify hubspot zendesk webhook; do $(GO) test -run '^$$' -fuzz '^FuzzHandleWebhook$$' -fuzztime $(FUZZTIME) -parallel 1 ./connectors/$$c/ || exit 1; done

## test-pubsub-full: Watermill's whole universal Pub/Sub suite against the SQLite Pub/Sub
test-pubsub-full:
	PARLEY_PUBSUB_FULL=1 $(GO) test -count=1 -timeout 30m -run 'TestUniversalSuite' -v ./core/pubsub/ 2>&1 | tail -40

## bench: drive the real binary over HTTP (load generator), then the Go micro-benchmarks
bench: build
	$(GO) run ./cmd/parley-load -binary $(BIN) -duration 20s -rate 0 -out bench-results/send-path-max.json
	$(GO) run ./cmd/parley-load -binary $(BIN) -duration 20s -rate 2000 -out bench-results/send-path-2000.json
	$(GO) run ./cmd/parley-load -binary $(BIN) -scenario statuses -messages 30000 -out bench-results/statuses.json
	$(GO) test -run '^$$' -bench . -benchtime 2s ./core/store/ ./core/pubsub/ ./core/whatsapp/emulator/
	$(GO) test -run '^$$' -bench BenchmarkPacer -benchtime 1x ./core/guard/

## bench-plugins: events through a real connector plugin process on 2 cores (HTTP → store → plugin → ingest), and the plugin hop's p50
bench-plugins:
	$(shell command -v taskset >/dev/null 2>&1 && echo taskset -c 0,1) $(GO) test -run '^$$' -bench 'Plugin' -benchtime 5s -cpu 2 ./core/connector/

## plugins: every connector plugin into bin/connectors/, with SHA256SUMS
plugins:
	@mkdir -p bin/connectors
	for d in connectors/*/cmd/parley-connector-*; do CGO_ENABLED=0 $(GO) build -trimpath -o bin/connectors/$$(basename $$d) ./$$d || exit 1; done
	cd bin/connectors && sha256sum parley-connector-* > SHA256SUMS

## proto: regenerate internal/connectorpb (needs protoc)
proto:
	./scripts/gen-proto.sh

## check-proto: fail if the committed generated code is stale (skips without protoc)
check-proto:
	./scripts/check-proto.sh

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf bin bench-results
