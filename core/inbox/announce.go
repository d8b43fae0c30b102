package inbox

import (
	"fmt"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/pubsub"
	"github.com/parley-hub/parley/core/store"
	"github.com/parley-hub/parley/core/whatsapp"
)

// WithInboundTopic makes the inbox announce each customer's message it
// applies on topic (the payload is the wamid, the key of inbound_messages),
// in the transaction that stores it, and returns in. A redelivered webhook
// announces its messages again, so consumers must be idempotent per wamid.
func (in *Inbox) WithInboundTopic(topic string) *Inbox {
	in.inbound = topic
	return in
}

// announceTx publishes a customer's message on the inbound topic, if any.
func (in *Inbox) announceTx(tx *store.Tx, it whatsapp.InboundItem) error {
	if in.inbound == "" || it.Message.ID == "" {
		return nil
	}
	if err := pubsub.PublishTx(tx, in.inbound, message.NewMessage(watermill.NewUUID(), []byte(it.Message.ID))); err != nil {
		return fmt.Errorf("announce inbound %s: %w", it.Message.ID, err)
	}
	return nil
}
