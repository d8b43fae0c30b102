package connectorclient

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/parley-hub/parley/sdk"
)

// ErrTransport means the plugin could not be reached: the process died, or
// the connection broke. Package plugins reports it as its ErrUnavailable.
var ErrTransport = errors.New("connector plugin unreachable")

// remoteError is an error that happened in the plugin: its message as the
// plugin wrote it, and the sdk sentinel its gRPC code stands for.
type remoteError struct {
	msg string
	err error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.err }

// fromStatus decodes a gRPC error into sdk's errors; the mapping is written
// down in proto/connector/v1/connector.proto.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	msg := st.Message()
	switch st.Code() {
	case codes.Unauthenticated:
		return &remoteError{msg, sdk.ErrUnauthorized}
	case codes.InvalidArgument:
		var errs []error
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					errs = append(errs, &sdk.ConfigError{Field: v.GetField(), Problem: v.GetDescription()})
				}
			}
		}
		if len(errs) > 0 {
			return errors.Join(errs...)
		}
		return &remoteError{msg, sdk.ErrBadRequest}
	case codes.Unimplemented:
		return &remoteError{msg, sdk.ErrNotSupported}
	case codes.FailedPrecondition:
		return &remoteError{msg, sdk.ErrNotConfigured}
	case codes.Canceled:
		return &remoteError{msg, context.Canceled}
	case codes.DeadlineExceeded:
		return &remoteError{msg, context.DeadlineExceeded}
	case codes.Unavailable:
		for _, d := range st.Details() {
			if ri, ok := d.(*errdetails.RetryInfo); ok {
				return sdk.RetryableError{Err: &remoteError{msg, nil}, After: ri.GetRetryDelay().AsDuration()}
			}
		}
		return fmt.Errorf("%w: %s", ErrTransport, msg)
	case codes.Unknown:
		return &remoteError{msg, nil}
	default:
		return fmt.Errorf("connector plugin: %s: %s", st.Code(), msg)
	}
}
