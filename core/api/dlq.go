package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/parley-hub/parley/core/deadletter"
)

// DeadLetters is what the API needs of the dead-letter queue
// (*deadletter.Queue); its methods are safe for concurrent use. Errors wrap
// deadletter.ErrNotFound, ErrReplayed or ErrNotReplayable, or are failures.
type DeadLetters interface {
	List(ctx context.Context, f deadletter.Filter) ([]deadletter.Letter, int64, error)
	Get(ctx context.Context, id int64) (*deadletter.Letter, error)
	Replay(ctx context.Context, id int64) (*deadletter.Letter, error)
	// Replayable reports whether letters of topic can be replayed at all.
	Replayable(topic string) bool
}

// DeadLetter is a dead letter as the API shows it.
type DeadLetter struct {
	deadletter.Letter
	// Replayable says whether a replay may be tried: the letter was not
	// replayed and its topic takes replays. The topic's stage may still
	// refuse it (409 not_replayable), say because the message was sent.
	Replayable bool `json:"replayable"`
}

func (s *Server) deadLetter(l *deadletter.Letter) DeadLetter {
	return DeadLetter{Letter: *l, Replayable: l.ReplayedAt == nil && s.cfg.DeadLetters.Replayable(l.Topic)}
}

// listDeadLetters is GET /v1/dlq[?topic=T][&replayed=true|false][&limit=N][&before=ID]:
// newest first, with the cursor of the next page.
func (s *Server) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := deadletter.Filter{Topic: q.Get("topic")}
	if v := q.Get("replayed"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("replayed: want true or false (got %q)", v), "replayed")
			return
		}
		f.Replayed = &b
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("limit: want 1 to 500 (got %q)", v), "limit")
			return
		}
		f.Limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "invalid_parameter", fmt.Sprintf("before: want a dead letter id (got %q)", v), "before")
			return
		}
		f.Before = n
	}
	letters, next, err := s.cfg.DeadLetters.List(r.Context(), f)
	if err != nil {
		s.internal(w, "list dead letters", err)
		return
	}
	out := make([]DeadLetter, len(letters))
	for i := range letters {
		out[i] = s.deadLetter(&letters[i])
	}
	body := map[string]any{"data": out}
	if next != 0 {
		body["next"] = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, body)
}

// letterID reads {id}; on error it has answered already.
func letterID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no dead letter with id %q", r.PathValue("id")), "id")
		return 0, false
	}
	return id, true
}

func (s *Server) getDeadLetter(w http.ResponseWriter, r *http.Request) {
	id, ok := letterID(w, r)
	if !ok {
		return
	}
	l, err := s.cfg.DeadLetters.Get(r.Context(), id)
	if errors.Is(err, deadletter.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no dead letter with id %d", id), "id")
		return
	}
	if err != nil {
		s.internal(w, "get dead letter", err)
		return
	}
	writeJSON(w, http.StatusOK, s.deadLetter(l))
}

// replayDeadLetter is POST /v1/dlq/{id}/replay: 200 with the letter as
// replayed; 409 already_replayed the second time (a letter is replayed at
// most once, so a message is not sent twice); 409 not_replayable when its
// topic or its rows do not allow it, with the reason.
func (s *Server) replayDeadLetter(w http.ResponseWriter, r *http.Request) {
	id, ok := letterID(w, r)
	if !ok {
		return
	}
	l, err := s.cfg.DeadLetters.Replay(r.Context(), id)
	switch {
	case errors.Is(err, deadletter.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no dead letter with id %d", id), "id")
	case errors.Is(err, deadletter.ErrReplayed):
		writeError(w, http.StatusConflict, "already_replayed", err.Error(), "id")
	case errors.Is(err, deadletter.ErrNotReplayable):
		writeError(w, http.StatusConflict, "not_replayable", err.Error(), "id")
	case err != nil:
		s.internal(w, "replay dead letter", err)
	default:
		s.cfg.Log.Info("dead letter replayed", "dead_letter_id", l.ID, "topic", l.Topic, "api_key", infoOf(r).key)
		writeJSON(w, http.StatusOK, s.deadLetter(l))
	}
}
