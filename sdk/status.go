package sdk

import (
	"context"
	"errors"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/types/known/durationpb"
)

// toStatus turns a connector's error into the gRPC status the host decodes
// back into the same sentinel (see proto/connector/v1/connector.proto).
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if after, ok := IsRetryable(err); ok {
		st := status.New(codes.Unavailable, msg)
		return withDetails(st, &errdetails.RetryInfo{RetryDelay: durationpb.New(after)})
	}
	switch {
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, msg)
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, msg)
	case errors.Is(err, ErrUnauthorized):
		return status.Error(codes.Unauthenticated, msg)
	case errors.Is(err, ErrNotSupported):
		return status.Error(codes.Unimplemented, msg)
	case errors.Is(err, ErrNotConfigured):
		return status.Error(codes.FailedPrecondition, msg)
	case errors.Is(err, ErrBadRequest):
		st := status.New(codes.InvalidArgument, msg)
		var br errdetails.BadRequest
		for _, ce := range configErrors(err) {
			br.FieldViolations = append(br.FieldViolations,
				&errdetails.BadRequest_FieldViolation{Field: ce.Field, Description: ce.Problem})
		}
		if len(br.FieldViolations) == 0 {
			return st.Err()
		}
		return withDetails(st, &br)
	default:
		return status.Error(codes.Unknown, msg)
	}
}

func withDetails(st *status.Status, d ...protoadapt.MessageV1) error {
	s, err := st.WithDetails(d...)
	if err != nil {
		return st.Err()
	}
	return s.Err()
}

// configErrors finds every *ConfigError in err's tree, including the
// branches of errors.Join.
func configErrors(err error) []*ConfigError {
	var out []*ConfigError
	var walk func(error)
	walk = func(e error) {
		if ce, ok := e.(*ConfigError); ok {
			out = append(out, ce)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			if x := u.Unwrap(); x != nil {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}
