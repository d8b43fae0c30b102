package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parley-hub/parley/sdk"
)

// Binaries built once by TestMain, with their checksums.
var bins = map[string]struct{ path, sum string }{}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // the tests that need real plugin processes skip themselves
	}
	dir, err := os.MkdirTemp("", "parley-plugins-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		for name, pkg := range map[string]string{
			"webhook": "../connectors/webhook/cmd/parley-connector-webhook",
			"crashy":  "./testdata/crashy",
		} {
			out := filepath.Join(dir, name)
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Stderr = os.Stderr
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n", pkg, err)
				return 1
			}
			b, err := os.ReadFile(out)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			sum := sha256.Sum256(b)
			bins[name] = struct{ path, sum string }{out, hex.EncodeToString(sum[:])}
		}
		return m.Run()
	}()
	os.Exit(code)
}

// records is a slog.Handler that keeps every record, with its attributes
// flattened to strings.
type records struct {
	mu    *sync.Mutex
	all   *[]map[string]string
	attrs []slog.Attr
}

func newRecords() *records { return &records{mu: &sync.Mutex{}, all: &[]map[string]string{}} }

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) WithAttrs(as []slog.Attr) slog.Handler {
	return &records{mu: r.mu, all: r.all, attrs: append(slices.Clone(r.attrs), as...)}
}
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	m := map[string]string{"msg": rec.Message, "level": rec.Level.String()}
	for _, a := range r.attrs {
		m[a.Key] = a.Value.String()
	}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.String(); return true })
	r.mu.Lock()
	*r.all = append(*r.all, m)
	r.mu.Unlock()
	return nil
}

func (r *records) find(msg string) (map[string]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range *r.all {
		if m["msg"] == msg {
			return m, true
		}
	}
	return nil, false
}

// needBinaries skips a test that runs real plugin processes under -short.
func needBinaries(t *testing.T) {
	t.Helper()
	if len(bins) == 0 {
		t.Skip("starts real plugin processes; skipped with -short")
	}
}

func crashyConfig(t *testing.T) Config {
	needBinaries(t)
	return Config{Name: "crashy", Path: bins["crashy"].path, SHA256: bins["crashy"].sum,
		Config: map[string]string{"greeting": "hello", "api_token": "tok-very-secret"}, HealthInterval: time.Hour}
}

func startHost(t *testing.T, log *slog.Logger, cfgs ...Config) *Host {
	t.Helper()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h, err := New(cfgs, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func TestWebhookConnectorThroughHost(t *testing.T) {
	t.Parallel()
	needBinaries(t)
	const secret = "s3cret-for-tests"
	h := startHost(t, nil, Config{Name: "billing", Path: bins["webhook"].path, SHA256: bins["webhook"].sum,
		Config: map[string]string{"secret": secret, "id_path": "id", "type_path": "kind", "contact_phone_path": "phone"}})
	c, ok := h.Connector("billing")
	if !ok {
		t.Fatal("no connector billing")
	}
	body := []byte(`{"id":"inv_1","kind":"invoice.paid","phone":"+55 11 98765-4321","amount":12345678901234567890}`)
	req := func(sig []byte) sdk.WebhookRequest {
		return sdk.WebhookRequest{Method: "POST", Path: "/", Body: body, ReceivedAt: time.Now(),
			Header: http.Header{"X-Signature": {hex.EncodeToString(sig)}}}
	}
	res, err := c.HandleWebhook(t.Context(), req(sdk.SignHMACSHA256([]byte(secret), body)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Events) != 1 {
		t.Fatalf("events = %+v", res.Events)
	}
	ev := res.Events[0]
	if ev.Type != "invoice.paid" || ev.ID != "inv_1" || ev.Source != "webhook" || ev.Contact.Phone != "+5511987654321" {
		t.Errorf("event = %+v", ev)
	}
	if got := fmt.Sprint(ev.Data["amount"]); got != "12345678901234567890" {
		t.Errorf("a large number did not cross the wire unchanged: %s", got)
	}
	_, err = c.HandleWebhook(t.Context(), req(sdk.SignHMACSHA256([]byte("forged"), body)))
	if !errors.Is(err, sdk.ErrUnauthorized) {
		t.Errorf("forged: err = %v, want sdk.ErrUnauthorized", err)
	}
	st := h.List()[0]
	if st.State != StateRunning || st.Version != "0.1.0" || st.PID <= 0 || !slices.Equal(st.Capabilities, []string{"webhooks"}) {
		t.Errorf("status = %+v", st)
	}
	d, _ := h.Inspect("billing")
	if d.Config["secret"] != "[redacted]" || d.Config["id_path"] != "id" {
		t.Errorf("Inspect config = %v; want the secret redacted", d.Config)
	}
}

func TestChecksumMismatchRefused(t *testing.T) {
	t.Parallel()
	cfg := crashyConfig(t)
	cfg.SHA256 = strings.Repeat("ab", 32)
	h, err := New([]Config{cfg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	err = h.Start(t.Context())
	if !errors.Is(err, ErrChecksumMismatch) {
		t.Fatalf("Start: %v; want ErrChecksumMismatch", err)
	}
	if !strings.Contains(err.Error(), bins["crashy"].sum) {
		t.Errorf("the error does not say the actual checksum: %v", err)
	}
	if st := h.List()[0]; st.PID != 0 || st.State != StateStopped {
		t.Errorf("status after a refused start = %+v", st)
	}
	c, _ := h.Connector("crashy")
	if err := c.Health(t.Context()); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Health = %v; want ErrUnavailable", err)
	}
}

func TestConfigRefusedNamesTheField(t *testing.T) {
	t.Parallel()
	cfg := crashyConfig(t)
	cfg.Config = map[string]string{"api_token": "tok-very-secret"}
	h, err := New([]Config{cfg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	err = h.Start(t.Context())
	var ce *sdk.ConfigError
	if !errors.As(err, &ce) || ce.Field != "greeting" {
		t.Fatalf("Start: %v; want a *sdk.ConfigError for greeting", err)
	}
	if strings.Contains(err.Error(), "tok-very-secret") {
		t.Errorf("the error reveals a secret: %v", err)
	}
}

func TestNewReportsEveryProblem(t *testing.T) {
	t.Parallel()
	exe, sum := os.Args[0], strings.Repeat("0", 64) // any executable will do
	_, err := New([]Config{
		{Name: "Bad Name", Path: exe, SHA256: sum},
		{Name: "a", Path: "/no/such/binary", SHA256: "xyz"},
		{Name: "a", Path: exe, SHA256: sum},
	}, nil)
	for _, want := range []string{"plugins[0].name", "plugins[1].path", "plugins[1].sha256", "plugins[2].name"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

func TestErrorsCrossTheWire(t *testing.T) {
	t.Parallel()
	h := startHost(t, nil, crashyConfig(t))
	c, _ := h.Connector("crashy")
	if _, err := c.Do(t.Context(), sdk.ActionRequest{Action: "fail"}); !errors.Is(err, sdk.ErrUnauthorized) {
		t.Errorf("fail: %v; want sdk.ErrUnauthorized", err)
	}
	if _, err := c.Do(t.Context(), sdk.ActionRequest{Action: "nope"}); !errors.Is(err, sdk.ErrBadRequest) {
		t.Errorf("nope: %v; want sdk.ErrBadRequest", err)
	}
	if _, err := c.Poll(t.Context(), ""); !errors.Is(err, sdk.ErrNotSupported) {
		t.Errorf("Poll: %v; want sdk.ErrNotSupported", err)
	}
	res, err := c.Do(t.Context(), sdk.ActionRequest{Action: "echo", Input: map[string]any{"n": 1}})
	if err != nil || fmt.Sprint(res.Output["input"]) != "map[n:1]" {
		t.Errorf("echo: %v, %v", res, err)
	}
}

// waitBack polls until the plugin answers from a process other than old,
// and returns how long that took; every error seen meanwhile must be
// ErrUnavailable.
func waitBack(t *testing.T, c Client, old int, since time.Time) time.Duration {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := c.Do(t.Context(), sdk.ActionRequest{Action: "echo"})
		if err == nil {
			if pid, _ := strconv.Atoi(fmt.Sprint(res.Output["pid"])); pid != old {
				return time.Since(since)
			}
		} else if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("while restarting: %v; want ErrUnavailable", err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the plugin did not come back within 10s")
	return 0
}

func TestRestartAfterSIGKILL(t *testing.T) {
	t.Parallel()
	h := startHost(t, nil, crashyConfig(t))
	c, _ := h.Connector("crashy")
	pid := h.List()[0].PID
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	took := waitBack(t, c, pid, killed)
	t.Logf("back %s after SIGKILL", took)
	if took > 3*time.Second {
		t.Errorf("the plugin took %s to come back after SIGKILL; the target is 1s", took)
	}
	st := h.List()[0]
	if st.Restarts != 1 || st.State != StateRunning || st.PID == pid {
		t.Errorf("status after restart = %+v", st)
	}
}

func TestRestartBacksOff(t *testing.T) {
	t.Parallel()
	h := startHost(t, nil, crashyConfig(t))
	c, _ := h.Connector("crashy")
	var took []time.Duration
	for range 3 {
		pid := h.List()[0].PID
		start := time.Now()
		if _, err := c.Do(t.Context(), sdk.ActionRequest{Action: "crash"}); err != nil {
			t.Fatal(err)
		}
		took = append(took, waitBack(t, c, pid, start))
	}
	t.Logf("back after crashes 1, 2, 3: %v", took)
	if took[2] < firstBackoff*2 {
		t.Errorf("the third consecutive crash was restarted after %s; want a back-off of at least %s", took[2], firstBackoff*2)
	}
	if st := h.List()[0]; st.Restarts != 3 {
		t.Errorf("restarts = %d, want 3", st.Restarts)
	}
}

func TestPluginLogsReachSlog(t *testing.T) {
	t.Parallel()
	recs := newRecords()
	startHost(t, slog.New(recs), crashyConfig(t))
	deadline := time.Now().Add(5 * time.Second)
	var got, plain map[string]string
	for time.Now().Before(deadline) && (got == nil || plain == nil) {
		got, _ = recs.find("crashy configured")
		plain, _ = recs.find("plain stderr line after Serve")
		time.Sleep(10 * time.Millisecond)
	}
	if got == nil {
		t.Fatal("the plugin's slog record did not reach the host's logger")
	}
	if got["plugin"] != "crashy" || got["level"] != "INFO" || got["greeting"] != "hello" || got["answer"] != "42" {
		t.Errorf("record = %v", got)
	}
	if plain == nil || plain["plugin"] != "crashy" || plain["stream"] != "stderr" {
		t.Errorf("plain stderr line = %v", plain)
	}
	for _, msg := range []string{"configuring client automatic mTLS", "configuring server automatic mTLS"} {
		if _, ok := recs.find(msg); !ok {
			t.Errorf("no %q in the log: the connection is not mutually authenticated", msg)
		}
	}
}

func TestSocketDirCleanedAtStart(t *testing.T) {
	t.Parallel()
	dir, err := os.MkdirTemp("", "pst-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	stale := filepath.Join(dir, "parley-crashy", "1-old")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "not-ours")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := crashyConfig(t)
	cfg.SocketDir = dir
	h, err := New([]Config{cfg}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale socket directory survived Start: %v", err)
	}
	if socks, _ := filepath.Glob(filepath.Join(dir, "parley-crashy", "*", "plugin*")); len(socks) != 1 {
		t.Errorf("sockets in the socket directory: %v; want the plugin's one", socks)
	}
	h.Close()
	if _, err := os.Stat(filepath.Join(dir, "parley-crashy")); !os.IsNotExist(err) {
		t.Errorf("the socket directory survived Close: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("Start removed a file the host does not own: %v", err)
	}
}
