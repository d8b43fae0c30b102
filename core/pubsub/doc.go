// Package pubsub is Parley's durable Watermill Pub/Sub, stored in the
// SQLite database of package store. It implements message.Publisher and
// message.Subscriber and passes Watermill's universal test suite.
//
// Start with PublishTx (publisher.go): it enqueues messages inside the
// caller's store transaction, so an event and the messages it triggers commit
// together (a transactional outbox). Then Subscriber.Subscribe
// (subscriber.go), which runs one consume loop per subscription, and queue.go,
// which holds every SQL statement.
//
// # Delivery
//
// Subscribers lease messages instead of holding a transaction open while a
// handler runs, which on SQLite would serialize every route behind one write
// lock:
//
//  1. claim: a short write transaction leases a batch of up to BatchSize
//     messages of a topic, oldest first, to the subscriber for LeaseTimeout
//     (one pubsub_leases row per batch);
//  2. handle: each message is sent on the output channel with no transaction
//     open, and the next one only after the handler acked the previous one,
//     so a single subscriber sees a topic in publish order;
//  3. ack: acks are kept in memory and written with the next claim (or lease
//     renewal), together with the deletion of the messages every group has
//     acked; a nack redelivers the same message after NackDelay.
//
// A subscriber that dies mid-batch (crash, kill -9) leaves its lease to
// expire; the unacked rest of the batch is then claimed again. Close releases
// it at once. Delivery is therefore at-least-once: a crash can redeliver
// messages whose handlers already succeeded, up to one batch per subscriber.
// Handlers must be idempotent.
//
// Publishes in this process wake the topic's subscribers as soon as they
// commit (Tx.AfterCommit); PollInterval is only the fallback for expired
// leases and for publishes from other processes.
//
// # Consumer groups and cleanup
//
// Each consumer group receives every message of a topic once; subscribers of
// the same group share the messages, batch by batch. Subscribe (or
// SubscribeInitialize) registers its group for the topic; a group that
// registers for the first time starts at the oldest message still stored.
// A message is deleted as soon as every group registered for its topic has
// acked it. So messages on a topic no group has registered for are kept until
// one does, and a group that stops consuming for good keeps its topics'
// messages until its pubsub_subscriptions row is deleted (the next Subscribe
// on the topic then sweeps them).
package pubsub
