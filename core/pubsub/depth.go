package pubsub

import (
	"context"
	"database/sql"
	"fmt"
)

// Depth is how much of a topic one consumer group has not acked yet.
type Depth struct {
	Topic string
	Group string
	// Unclaimed counts the messages the group has not claimed yet.
	Unclaimed int64
	// Leased counts the messages of the group's unsettled batches: being
	// handled, or waiting for an expired lease to be claimed again.
	Leased int64
}

// Depths returns the depth of every topic for every consumer group
// subscribed to it, reading through r (a store.DB's Reader). It is the
// package's one query outside queue.go, for metrics; read-only, its cost
// grows with the backlog (range scans of the topic's id index), not with
// the history.
func Depths(ctx context.Context, r *sql.DB) ([]Depth, error) {
	rows, err := r.QueryContext(ctx, `
		SELECT s.topic, s.consumer_group,
			(SELECT count(*) FROM pubsub_messages AS m WHERE m.topic = s.topic AND m.id > s.claimed_through),
			(SELECT count(*) FROM pubsub_leases AS l JOIN pubsub_messages AS m
				ON m.topic = l.topic AND m.id BETWEEN l.first_id AND l.last_id
				WHERE l.topic = s.topic AND l.consumer_group = s.consumer_group)
		FROM pubsub_subscriptions AS s
		ORDER BY s.topic, s.consumer_group`)
	if err != nil {
		return nil, fmt.Errorf("pubsub: queue depths: %w", err)
	}
	defer rows.Close()
	var out []Depth
	for rows.Next() {
		var d Depth
		if err := rows.Scan(&d.Topic, &d.Group, &d.Unclaimed, &d.Leased); err != nil {
			return nil, fmt.Errorf("pubsub: queue depths: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pubsub: queue depths: %w", err)
	}
	return out, nil
}
