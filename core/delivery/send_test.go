package delivery

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/parley-hub/parley/core/deadletter"
	"github.com/parley-hub/parley/core/whatsapp"
)

type fakeClient struct {
	calls atomic.Int32
	err   error
}

func (f *fakeClient) Send(_ context.Context, req *whatsapp.SendRequest) (*whatsapp.SendResponse, error) {
	n := f.calls.Add(1)
	if f.err != nil {
		return nil, f.err
	}
	return &whatsapp.SendResponse{MessagingProduct: "whatsapp", Contacts: []whatsapp.ResponseContact{{Input: req.To, WaID: "16505551234"}},
		Messages: []whatsapp.ResponseMessage{{ID: "wamid.fake" + string(rune('0'+n))}}}, nil
}

func apiErr(code int) error {
	return &whatsapp.APIError{HTTPStatus: 400, Graph: whatsapp.GraphError{Code: code, Message: "(#" + string(rune('0'+code%10)) + ") test"}}
}

func TestSender(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		err        error
		wantErr    bool
		wantStatus string
		wantCode   int
	}{
		{"accepted by the platform", nil, false, StateAccepted, 0},
		{"permanent error fails the message", apiErr(131026), false, StateFailed, 131026},
		{"needs a template fails the message", apiErr(131047), false, StateFailed, 131047},
		{"throttled is retried", apiErr(130429), true, StateAccepted, 130429},
		{"transient is retried", apiErr(131000), true, StateAccepted, 131000},
		{"transport error is retried", errors.New("connection refused"), true, StateAccepted, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, s := openStore(t)
			id := newMessage(t, db, s, "+16505551234")
			fc := &fakeClient{err: tc.err}
			snd := NewSender(s, fc, slog.New(slog.DiscardHandler))
			err := snd.Handle(message.NewMessage("u1", []byte(id)))
			if (err != nil) != tc.wantErr {
				t.Fatalf("Handle error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && deadletter.IsPermanent(err) {
				t.Errorf("retryable failure marked permanent: %v", err)
			}
			m, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != tc.wantStatus {
				t.Errorf("status = %q, want %q", m.Status, tc.wantStatus)
			}
			if tc.err == nil && m.WAMID == "" {
				t.Errorf("wamid not recorded")
			}
			if tc.wantCode != 0 && (m.Error == nil || m.Error.Code != tc.wantCode) {
				t.Errorf("error = %+v, want code %d", m.Error, tc.wantCode)
			}
			// A redelivery never sends a submitted or failed message again.
			fc.err = nil
			before := fc.calls.Load()
			_ = snd.Handle(message.NewMessage("u2", []byte(id)))
			if again := fc.calls.Load() - before; (tc.wantStatus == StateFailed || tc.err == nil) && again != 0 {
				t.Errorf("redelivery sent %d more times, want 0", again)
			}
		})
	}
	t.Run("unknown message is permanent", func(t *testing.T) {
		_, s := openStore(t)
		err := NewSender(s, &fakeClient{}, slog.New(slog.DiscardHandler)).Handle(message.NewMessage("u", []byte("msg_nope")))
		if !deadletter.IsPermanent(err) || !errors.Is(err, ErrNotFound) {
			t.Fatalf("error = %v, want a permanent ErrNotFound", err)
		}
	})
}
