package pubsub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parley-hub/parley/core/store"
)

// waitFor is the upper bound for anything a test waits on; reaching it is a
// failure, never the expected path.
const waitFor = 10 * time.Second

// received is a message reduced to what a subscriber must reproduce exactly.
type received struct {
	UUID     string
	Metadata map[string]string
	Payload  []byte
}

func reduce(m *message.Message) received {
	return received{UUID: m.UUID, Metadata: m.Metadata, Payload: m.Payload}
}

// next returns the next message of msgs, failing t after waitFor.
func next(t *testing.T, msgs <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case m, ok := <-msgs:
		if !ok {
			t.Fatal("message channel closed")
		}
		return m
	case <-time.After(waitFor):
		t.Fatal("no message within", waitFor)
		return nil
	}
}

// countMessages returns how many messages the store holds for topic.
func countMessages(t *testing.T, db *store.DB, topic string) int {
	t.Helper()
	var n int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM pubsub_messages WHERE topic = ?`, topic).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func subscribe(t *testing.T, sub *Subscriber, topic string) <-chan *message.Message {
	t.Helper()
	msgs, err := sub.Subscribe(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestMessagesArriveExactly(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	pub, sub := newPubSub(t, db, Config{})
	defer sub.Close()

	binary := []byte{0, 1, 2, 0xff, 0xfe, '\n'}
	msgs := []*message.Message{
		message.NewMessage("uuid-1", []byte("hello")),
		message.NewMessage("not-even-a-uuid ✓", binary),
		message.NewMessage("uuid-3", nil),
	}
	msgs[0].Metadata.Set("ascii", "v")
	msgs[0].Metadata.Set("unicode ключ", "значение <&> \"quoted\" \x00 nul")
	msgs[0].Metadata.Set("empty", "")
	if err := pub.Publish("exact", msgs...); err != nil {
		t.Fatal(err)
	}

	out := subscribe(t, sub, "exact")
	var got []received
	for range msgs {
		m := next(t, out)
		got = append(got, reduce(m))
		m.Ack()
	}
	want := []received{
		{UUID: "uuid-1", Payload: []byte("hello"), Metadata: map[string]string{
			"ascii": "v", "unicode ключ": "значение <&> \"quoted\" \x00 nul", "empty": "",
		}},
		{UUID: "not-even-a-uuid ✓", Payload: binary, Metadata: map[string]string{}},
		{UUID: "uuid-3", Payload: nil, Metadata: map[string]string{}},
	}
	// A nil payload and an empty one are the same message.
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

func TestInvalidMetadataIsRefused(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	pub, _ := newPubSub(t, db, Config{})
	ok := message.NewMessage("ok", nil)
	bad := message.NewMessage("bad", nil)
	bad.Metadata.Set("k", "\xff")

	err := pub.Publish("t", ok, bad)
	var me *MetadataError
	if !errors.Is(err, ErrInvalidMetadata) || !errors.As(err, &me) || me.MessageUUID != "bad" || me.Key != "k" {
		t.Fatalf("Publish: got %v, want a *MetadataError for message bad, key k", err)
	}
	if n := countMessages(t, db, "t"); n != 0 {
		t.Errorf("%d messages stored, want 0: a failed Publish must publish none", n)
	}
}

func TestPublishTxRollbackPublishesNothing(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	_, sub := newPubSub(t, db, Config{})
	defer sub.Close()
	ctx := context.Background()
	out := subscribe(t, sub, "outbox")

	boom := errors.New("event rejected")
	err := db.Write(ctx, func(tx *store.Tx) error {
		if err := PublishTx(tx, "outbox", message.NewMessage("rolled-back", nil)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write: %v", err)
	}
	err = db.Write(ctx, func(tx *store.Tx) error {
		return PublishTx(tx, "outbox", message.NewMessage("committed", nil))
	})
	if err != nil {
		t.Fatal(err)
	}
	m := next(t, out)
	m.Ack()
	if m.UUID != "committed" {
		t.Errorf("first message = %q, want committed: the rolled-back publish was delivered", m.UUID)
	}
}

// TestPublishTxIsAtomicWithTheCallersWrites stores an event and its message in
// one transaction.
func TestPublishTxIsAtomicWithTheCallersWrites(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	ctx := context.Background()
	err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE test_events (id TEXT PRIMARY KEY)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	record := func(id string) error {
		return db.Write(ctx, func(tx *store.Tx) error {
			if err := PublishTx(tx, "events", message.NewMessage(id, nil)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO test_events (id) VALUES (?)`, id)
			return err
		})
	}
	if err := record("e1"); err != nil {
		t.Fatal(err)
	}
	if err := record("e1"); err == nil { // duplicate event: the message must go too
		t.Fatal("duplicate event accepted")
	}
	if n := countMessages(t, db, "events"); n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}

func TestNackRedeliversInOrder(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	pub, sub := newPubSub(t, db, Config{NackDelay: time.Millisecond})
	defer sub.Close()
	for _, id := range []string{"m1", "m2", "m3"} {
		if err := pub.Publish("nack", message.NewMessage(id, []byte(id))); err != nil {
			t.Fatal(err)
		}
	}
	out := subscribe(t, sub, "nack")
	var got []string
	for i := 0; i < 5; i++ {
		m := next(t, out)
		got = append(got, m.UUID)
		if i < 2 {
			m.Payload[0] = 'X' // must not leak into the redelivery
			m.Nack()
		} else {
			m.Ack()
		}
	}
	if diff := cmp.Diff([]string{"m1", "m1", "m1", "m2", "m3"}, got); diff != "" {
		t.Errorf("delivery order (-want +got):\n%s", diff)
	}
}

// TestCloseReleasesLeases checks that a closed subscriber's unacked messages
// go to the next subscriber at once, not after the 30s lease.
func TestCloseReleasesLeases(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	pub, first := newPubSub(t, db, Config{})
	for i := range 5 {
		if err := pub.Publish("release", message.NewMessage(fmt.Sprint(i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	out := subscribe(t, first, "release")
	next(t, out).Ack()
	unacked := next(t, out) // held by the handler when the subscriber closes
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if _, open := <-out; open {
		t.Error("channel still open after Close")
	}
	if unacked.Context().Err() == nil {
		t.Error("message context not cancelled by Close")
	}

	second, err := NewSubscriber(db, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	out = subscribe(t, second, "release")
	var got []string
	for range 4 {
		m := next(t, out)
		got = append(got, m.UUID)
		m.Ack()
	}
	if diff := cmp.Diff([]string{"1", "2", "3", "4"}, got); diff != "" {
		t.Errorf("second subscriber received (-want +got):\n%s", diff)
	}
}

func TestConsumerGroupsAndCleanup(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	pub, a := newPubSub(t, db, Config{ConsumerGroup: "a"})
	b, err := NewSubscriber(db, Config{ConsumerGroup: "b"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range []*Subscriber{a, b} {
		if err := sub.SubscribeInitialize("groups"); err != nil {
			t.Fatal(err)
		}
	}
	const n = 10
	for i := range n {
		if err := pub.Publish("groups", message.NewMessage(fmt.Sprint(i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	consumeAll := func(sub *Subscriber) []string {
		out := subscribe(t, sub, "groups")
		var got []string
		for range n {
			m := next(t, out)
			got = append(got, m.UUID)
			m.Ack()
		}
		if err := sub.Close(); err != nil { // flushes the acks
			t.Fatal(err)
		}
		return got
	}
	want := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

	if diff := cmp.Diff(want, consumeAll(a)); diff != "" {
		t.Errorf("group a (-want +got):\n%s", diff)
	}
	if got := countMessages(t, db, "groups"); got != n {
		t.Errorf("after group a acked: %d messages stored, want %d (group b has not consumed them)", got, n)
	}
	if diff := cmp.Diff(want, consumeAll(b)); diff != "" {
		t.Errorf("group b (-want +got):\n%s", diff)
	}
	if got := countMessages(t, db, "groups"); got != 0 {
		t.Errorf("after both groups acked: %d messages stored, want 0", got)
	}
}

// TestExpiredLeaseIsRedelivered leaves a lease behind the way a crashed
// subscriber does and checks the message is redelivered once it expires, and
// not before.
func TestExpiredLeaseIsRedelivered(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	pub, sub := newPubSub(t, db, Config{PollInterval: 20 * time.Millisecond})
	defer sub.Close()
	if err := pub.Publish("lease", message.NewMessage("m1", nil)); err != nil {
		t.Fatal(err)
	}
	q := queue{topic: "lease", group: DefaultConsumerGroup}
	until := time.Now().Add(time.Second)
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		if err := q.register(context.Background(), tx); err != nil {
			return err
		}
		l, err := q.claim(context.Background(), tx, 10, time.Now().UnixMilli(), until.UnixMilli())
		if err == nil && l == nil {
			err = errors.New("nothing claimed")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	m := next(t, subscribe(t, sub, "lease"))
	m.Ack()
	if at := time.Now(); m.UUID != "m1" || at.Before(until) {
		t.Errorf("got %s at %s, want m1 no earlier than the lease expiry %s", m.UUID, at, until)
	}
}

// TestLeaseIsRenewedWhileTheBatchIsHandled handles a batch for longer than
// the lease: the subscriber must renew it, so that another subscriber of the
// group polling meanwhile gets none of its messages.
func TestLeaseIsRenewedWhileTheBatchIsHandled(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 4s")
	}
	t.Parallel()
	db := openDB(t, store.Config{})
	cfg := Config{LeaseTimeout: 3 * time.Second, PollInterval: 50 * time.Millisecond}
	pub, slow := newPubSub(t, db, cfg)
	defer slow.Close()
	for _, id := range []string{"m1", "m2", "m3"} {
		if err := pub.Publish("renew", message.NewMessage(id, nil)); err != nil {
			t.Fatal(err)
		}
	}
	out := subscribe(t, slow, "renew")
	first := next(t, out) // the slow subscriber holds the whole batch now

	other, err := NewSubscriber(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	stolen := subscribe(t, other, "renew")

	// 3 × 1.2s = 3.6s of handling, past the 3s lease; renewals come every 1s.
	m := first
	for i := 0; ; i++ {
		time.Sleep(1200 * time.Millisecond)
		m.Ack()
		if i == 2 {
			break
		}
		m = next(t, out)
	}
	select {
	case m := <-stolen:
		t.Errorf("another subscriber got %s while the lease was held", m.UUID)
	default:
	}
}

// crashEnv makes the test binary act as a subscriber process that dies in
// the middle of handling a message; see TestCrashedProcessMessagesAreRedelivered.
const crashEnv = "PARLEY_PUBSUB_CRASH_DB"

// TestMain runs the crashing subscriber when asked to.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashEnv); path != "" {
		crashWhileHandling(path)
		return
	}
	os.Exit(m.Run())
}

// crashWhileHandling receives one message of topic "crash", prints its UUID
// and exits without acking or closing anything, like a process killed
// mid-handler.
func crashWhileHandling(path string) {
	db, err := store.Open(context.Background(), store.Config{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sub, err := NewSubscriber(db, Config{LeaseTimeout: time.Hour})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	msgs, err := sub.Subscribe(context.Background(), "crash")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println((<-msgs).UUID)
	os.Exit(3)
}

// TestCrashedProcessMessagesAreRedelivered: a process dies holding a lease
// of an hour; the next process to open the database (the store's lock says
// it is the only one) releases the leases and gets both messages at once,
// in order.
func TestCrashedProcessMessagesAreRedelivered(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	first, err := store.Open(context.Background(), store.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := NewPublisher(first, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish("crash", message.NewMessage("m1", nil), message.NewMessage("m2", nil)); err != nil {
		t.Fatal(err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	stdout, err := cmd.Output()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("crashing subscriber: %v, output %q", err, stdout)
	}
	if got := strings.TrimSpace(string(stdout)); got != "m1" {
		t.Fatalf("crashing subscriber handled %q, want m1", got)
	}

	db := openDB(t, store.Config{Path: path})
	n, err := ReleaseLeases(context.Background(), db)
	if err != nil || n != 1 {
		t.Fatalf("ReleaseLeases = %d, %v; want the dead process's 1 lease", n, err)
	}
	_, sub := newPubSub(t, db, Config{PollInterval: time.Hour})
	defer sub.Close()
	out := subscribe(t, sub, "crash")
	var got []string
	for range 2 {
		m := next(t, out)
		got = append(got, m.UUID)
		m.Ack()
	}
	if diff := cmp.Diff([]string{"m1", "m2"}, got); diff != "" {
		t.Errorf("redelivered (-want +got):\n%s", diff)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	pub, sub := newPubSub(t, db, Config{})
	out := subscribe(t, sub, "closed")
	for _, c := range []interface{ Close() error }{pub, sub, pub, sub} {
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	if _, open := <-out; open {
		t.Error("channel open after Close")
	}
	if err := pub.Publish("closed", message.NewMessage("x", nil)); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close: %v, want ErrClosed", err)
	}
	if _, err := sub.Subscribe(context.Background(), "closed"); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v, want ErrClosed", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cfg    Config
		fields []string
	}{
		{name: "defaults", cfg: Config{}},
		{name: "immediate nack", cfg: Config{NackDelay: -1}},
		{name: "batch too big", cfg: Config{BatchSize: 5000}, fields: []string{"BatchSize"}},
		{
			name:   "every problem at once",
			cfg:    Config{BatchSize: -1, LeaseTimeout: time.Millisecond, PollInterval: -time.Second},
			fields: []string{"BatchSize", "LeaseTimeout", "PollInterval"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.withDefaults().validate()
			var got []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var ce *ConfigError
					if !errors.As(e, &ce) || !errors.Is(e, ErrInvalidConfig) {
						t.Fatalf("%v is not a *ConfigError wrapping ErrInvalidConfig", e)
					}
					got = append(got, ce.Field)
				}
			}
			if diff := cmp.Diff(tt.fields, got); diff != "" {
				t.Errorf("invalid fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMaxInFlight: with MaxInFlight n, n messages are handed out before any
// is acked, acks may come in any order, and every message is delivered.
func TestMaxInFlight(t *testing.T) {
	t.Parallel()
	db := openDB(t, store.Config{})
	pub, sub := newPubSub(t, db, Config{BatchSize: 50, MaxInFlight: 10})
	defer sub.Close()
	var sent []*message.Message
	for i := range 30 {
		sent = append(sent, message.NewMessage(fmt.Sprintf("m%02d", i), nil))
	}
	if err := pub.Publish("inflight", sent...); err != nil {
		t.Fatal(err)
	}
	out := subscribe(t, sub, "inflight")
	seen := map[string]bool{}
	for round := 0; len(seen) < 30; round++ {
		var held []*message.Message
		for range 10 { // ten arrive with none acked
			held = append(held, next(t, out))
		}
		select {
		case m := <-out:
			t.Fatalf("round %d: an eleventh message %s arrived before any ack", round, m.UUID)
		case <-time.After(50 * time.Millisecond):
		}
		for i := len(held) - 1; i >= 0; i-- { // ack newest first
			seen[held[i].UUID] = true
			held[i].Ack()
		}
	}
	if len(seen) != 30 {
		t.Fatalf("got %d distinct messages, want 30", len(seen))
	}
	// Every ack reaches the store: the acked messages are deleted.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left int
		if err := db.Reader().QueryRow(`SELECT count(*) FROM pubsub_messages WHERE topic = 'inflight'`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d acked messages still stored", left)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
