package connectorclient

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/parley-hub/parley/sdk"
)

func TestFromStatus(t *testing.T) {
	t.Parallel()
	with := func(c codes.Code, msg string, d ...*errdetails.RetryInfo) error {
		st := status.New(c, msg)
		for _, x := range d {
			st, _ = st.WithDetails(x)
		}
		return st.Err()
	}
	br, _ := status.New(codes.InvalidArgument, "bad config").WithDetails(&errdetails.BadRequest{
		FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "secret", Description: "is required"}}})
	tests := []struct {
		name string
		in   error
		is   error
	}{
		{"unauthenticated", with(codes.Unauthenticated, "verify: unauthorized"), sdk.ErrUnauthorized},
		{"invalid argument", with(codes.InvalidArgument, "parse: bad request"), sdk.ErrBadRequest},
		{"config error", br.Err(), sdk.ErrBadRequest},
		{"unimplemented", with(codes.Unimplemented, "no"), sdk.ErrNotSupported},
		{"failed precondition", with(codes.FailedPrecondition, "no"), sdk.ErrNotConfigured},
		{"canceled", with(codes.Canceled, "c"), context.Canceled},
		{"deadline", with(codes.DeadlineExceeded, "d"), context.DeadlineExceeded},
		{"transport", with(codes.Unavailable, "connection refused"), ErrTransport},
	}
	for _, tt := range tests {
		if err := fromStatus(tt.in); !errors.Is(err, tt.is) {
			t.Errorf("%s: %v is not %v", tt.name, err, tt.is)
		}
	}
	var ce *sdk.ConfigError
	if err := fromStatus(br.Err()); !errors.As(err, &ce) || ce.Field != "secret" {
		t.Errorf("config error: %v", err)
	}
	err := fromStatus(with(codes.Unavailable, "zendesk: 429", &errdetails.RetryInfo{RetryDelay: durationpb.New(30 * time.Second)}))
	if after, ok := sdk.IsRetryable(err); !ok || after != 30*time.Second || err.Error() != "zendesk: 429" || errors.Is(err, ErrTransport) {
		t.Errorf("retryable: %v (%v, %v)", err, after, ok)
	}
}
