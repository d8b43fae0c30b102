package sdk

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestToStatus checks the error → gRPC code mapping the host decodes (the
// round trip is tested in internal/connectorclient and connectortest).
func TestToStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		code codes.Code
	}{
		{"unauthorized", fmt.Errorf("verify: %w", ErrUnauthorized), codes.Unauthenticated},
		{"bad request", fmt.Errorf("parse: %w", ErrBadRequest), codes.InvalidArgument},
		{"config", errors.Join(&ConfigError{Field: "a", Problem: "p"}), codes.InvalidArgument},
		{"retryable by value", RetryableError{Err: errors.New("429"), After: time.Second}, codes.Unavailable},
		{"retryable by pointer", fmt.Errorf("x: %w", &RetryableError{Err: errors.New("429")}), codes.Unavailable},
		{"not supported", ErrNotSupported, codes.Unimplemented},
		{"not configured", ErrNotConfigured, codes.FailedPrecondition},
		{"canceled", context.Canceled, codes.Canceled},
		{"other", errors.New("boom"), codes.Unknown},
	}
	for _, tt := range tests {
		st, _ := status.FromError(toStatus(tt.err))
		if st.Code() != tt.code {
			t.Errorf("%s: code = %s, want %s", tt.name, st.Code(), tt.code)
		}
		if tt.code == codes.Unavailable {
			if len(st.Details()) != 1 {
				t.Errorf("%s: no RetryInfo detail", tt.name)
			} else if ri, ok := st.Details()[0].(*errdetails.RetryInfo); !ok || (tt.name == "retryable by value" && ri.GetRetryDelay().AsDuration() != time.Second) {
				t.Errorf("%s: detail = %v", tt.name, st.Details()[0])
			}
		}
	}
}

func TestNumbersSurviveTheWire(t *testing.T) {
	t.Parallel()
	b, err := marshalObject(map[string]any{"id": 4501234567890123456, "price": "10.00"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := unmarshalObject(b)
	if err != nil || fmt.Sprint(m["id"]) != "4501234567890123456" {
		t.Errorf("id = %v (%v)", m["id"], err)
	}
}
