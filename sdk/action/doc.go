// Package action helps a connector implement sdk.Actor: Inputs reads an
// action's inputs, collecting every problem into one error wrapping
// sdk.ErrBadRequest, and Memo answers a retried call with the first
// result, for vendor APIs that have no idempotency key of their own.
//
//	func (c *Connector) addNote(ctx context.Context, req sdk.ActionRequest) (map[string]any, error) {
//		in := action.Read(req)
//		body := in.String("body")
//		in.Require("body", body)
//		public := in.Bool("public", false)
//		if err := in.Err(); err != nil {
//			return nil, err // bad request: add_note: input "body" is required
//		}
//		...
//	}
//
//	out, err := c.notes.Do(req.IdempotencyKey, func() (map[string]any, error) { return c.addNote(ctx, req) })
//
// It imports only the standard library and the sdk package.
package action
