package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/parley-hub/parley/internal/connectorpb"
)

// This file converts between sdk types and the generated wire types, for the
// server side. internal/connectorclient holds the mirror image.

func specToPB(s Spec) *pb.Spec {
	out := &pb.Spec{Name: s.Name, Version: s.Version, Description: s.Description, Config: fieldsToPB(s.Config)}
	for _, a := range s.Actions {
		out.Actions = append(out.Actions, &pb.ActionSpec{Name: a.Name, Description: a.Description, Input: fieldsToPB(a.Input)})
	}
	return out
}

func fieldsToPB(fs []Field) []*pb.Field {
	out := make([]*pb.Field, 0, len(fs))
	for _, f := range fs {
		out = append(out, &pb.Field{Name: f.Name, Description: f.Description, Default: f.Default,
			Example: f.Example, Required: f.Required, Secret: f.Secret})
	}
	return out
}

func webhookRequestFromPB(r *pb.WebhookRequest) WebhookRequest {
	h := make(http.Header, len(r.GetHeader()))
	for k, v := range r.GetHeader() {
		h[k] = v.GetValues()
	}
	req := WebhookRequest{Method: r.GetMethod(), Path: r.GetPath(), RawQuery: r.GetRawQuery(), Header: h, Body: r.GetBody()}
	if r.GetReceivedAt() != nil {
		req.ReceivedAt = r.GetReceivedAt().AsTime()
	}
	return req
}

func webhookResultToPB(r WebhookResult) (*pb.WebhookResponse, error) {
	evs, err := eventsToPB(r.Events)
	if err != nil {
		return nil, err
	}
	out := &pb.WebhookResponse{Events: evs, DedupeKey: r.DedupeKey, Status: int32(r.Status)}
	for _, s := range r.Skipped {
		out.Skipped = append(out.Skipped, &pb.Skip{Id: s.ID, Reason: s.Reason})
	}
	return out, nil
}

func pollResultToPB(r PollResult) (*pb.PollResponse, error) {
	evs, err := eventsToPB(r.Events)
	if err != nil {
		return nil, err
	}
	return &pb.PollResponse{Events: evs, Cursor: r.Cursor, Wait: durationpb.New(r.Wait)}, nil
}

func eventsToPB(evs []Event) ([]*pb.Event, error) {
	out := make([]*pb.Event, 0, len(evs))
	for i, e := range evs {
		data, err := marshalObject(e.Data)
		if err != nil {
			return nil, fmt.Errorf("event %d (%s %s): data: %w", i, e.Type, e.ID, err)
		}
		attrs, err := marshalObject(e.Contact.Attributes)
		if err != nil {
			return nil, fmt.Errorf("event %d (%s %s): contact attributes: %w", i, e.Type, e.ID, err)
		}
		pe := &pb.Event{Type: e.Type, Source: e.Source, Id: e.ID, DataJson: data,
			Contact: &pb.Contact{Phone: e.Contact.Phone, Name: e.Contact.Name, Locale: e.Contact.Locale,
				Email: e.Contact.Email, ExternalId: e.Contact.ExternalID, AttributesJson: attrs}}
		if !e.OccurredAt.IsZero() {
			pe.OccurredAt = timestamppb.New(e.OccurredAt)
		}
		out = append(out, pe)
	}
	return out, nil
}

func actionRequestFromPB(r *pb.ActionRequest) (ActionRequest, error) {
	in, err := unmarshalObject(r.GetInputJson())
	if err != nil {
		return ActionRequest{}, fmt.Errorf("%w: action %q: input: %v", ErrBadRequest, r.GetAction(), err)
	}
	return ActionRequest{Action: r.GetAction(), IdempotencyKey: r.GetIdempotencyKey(), Input: in}, nil
}

// marshalObject encodes a JSON object; nil and empty maps encode as nothing.
func marshalObject(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}

// unmarshalObject decodes a JSON object keeping numbers as json.Number, so
// that large ids and prices cross the wire unchanged.
func unmarshalObject(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}
