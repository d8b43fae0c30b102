package pubsub

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"

	"github.com/parley-hub/parley/core/store"
)

// fullSuiteEnv runs Watermill's universal suite at full size (minutes)
// instead of its short form (seconds):
//
//	PARLEY_PUBSUB_FULL=1 go test -run TestUniversalSuite -timeout 30m ./core/pubsub/
const fullSuiteEnv = "PARLEY_PUBSUB_FULL"

// features are the capabilities this Pub/Sub claims in Watermill's suite.
var features = tests.Features{
	ConsumerGroups:                      true,
	ExactlyOnceDelivery:                 false, // at-least-once: a crash redelivers
	GuaranteedOrder:                     true,
	GuaranteedOrderWithSingleSubscriber: true, // a group's subscribers share a topic
	Persistent:                          true,
	RequireSingleInstance:               false,
	NewSubscriberReceivesOldMessages:    false, // acked messages are deleted
	ContextPreserved:                    false,
}

// openDB opens a fresh store for t and closes it after t and its subtests.
func openDB(t testing.TB, cfg store.Config) *store.DB {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "parley.db")
	}
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// newPubSub returns a Publisher and a Subscriber on db.
func newPubSub(t testing.TB, db *store.DB, cfg Config) (*Publisher, *Subscriber) {
	t.Helper()
	pub, err := NewPublisher(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := NewSubscriber(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return pub, sub
}

// TestUniversalSuite runs Watermill's conformance suite, in its short form
// unless PARLEY_PUBSUB_FULL is set. Every Pub/Sub the suite builds shares one
// database, as the instances of one Parley binary do.
func TestUniversalSuite(t *testing.T) {
	f := features
	f.ForceShort = os.Getenv(fullSuiteEnv) == ""
	db := openDB(t, store.Config{Synchronous: "NORMAL"})
	cfg := Config{Logger: watermill.NewStdLogger(false, false)}

	tests.TestPubSub(t, f,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return newPubSub(t, db, cfg)
		},
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			cfg := cfg
			cfg.ConsumerGroup = group
			return newPubSub(t, db, cfg)
		},
	)
}
