package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parley-hub/parley/core/api"
)

// The environment variables of the client commands (parley dlq). They do
// not start with PARLEY_: the server refuses PARLEY_* names that are not
// config keys, and these may sit in the same shell.
const (
	// envURL is the base URL of the running Parley; default http://127.0.0.1:8080.
	envURL = "PARLEYCTL_URL"
	// envKey is the API key the client sends.
	envKey = "PARLEYCTL_API_KEY"
)

const dlqUsage = `usage: parley dlq list [--topic T] [--replayed true|false] [--limit N] [--before ID] [--json]
       parley dlq show ID
       parley dlq replay ID
       parley dlq replay --all [--topic T]
Each talks to a running Parley: --url (default $` + envURL + `, else http://127.0.0.1:8080)
with an API key: --key, else $` + envKey + `, else the sandbox's key in --data DIR/sandbox.json.
list and show need scope dlq:read; replay needs dlq:replay (and dlq:read with --all).`

// dlqCmd is "parley dlq list|show|replay": the dead-letter queue of a
// running Parley, through its API.
type dlqCmd struct {
	env
	sub string // list, show or replay
	// getenv reads the environment; nil means os.Getenv.
	getenv func(string) string
}

func (c *dlqCmd) Run(ctx context.Context, args []string) int {
	fs := c.newFlags("dlq " + c.sub)
	base := fs.String("url", "", "base URL of the running Parley (default $"+envURL+", else http://127.0.0.1:8080)")
	key := fs.String("key", "", "API key (default $"+envKey+", else the sandbox key in --data); prefer the variable: flags show in ps")
	data := fs.String("data", "./parley-data", "sandbox data directory whose sandbox.json holds a key, used when no key is given")
	topic := fs.String("topic", "", "only letters of this topic (list, replay --all)")
	replayed := fs.String("replayed", "", "list: true for replayed letters only, false for those not replayed")
	limit := fs.Int("limit", 50, "list: at most this many letters (1-500)")
	before := fs.Int64("before", 0, "list: only letters older than this id (the next page)")
	asJSON := fs.Bool("json", false, "list: print the API's JSON")
	all := fs.Bool("all", false, "replay: every letter not replayed yet (of --topic)")
	fs.Usage = func() { fmt.Fprintln(c.stderr, dlqUsage); fs.PrintDefaults() }
	pos, code, ok := parseInterleaved(fs, args)
	if !ok {
		return code
	}
	wantID := c.sub == "show" || (c.sub == "replay" && !*all)
	if len(pos) != btoi(wantID) {
		fmt.Fprintln(c.stderr, dlqUsage)
		return 2
	}
	cl, err := c.client(*base, *key, *data)
	if err != nil {
		return c.fail(err)
	}
	switch {
	case c.sub == "list":
		q := url.Values{"limit": {strconv.Itoa(*limit)}}
		for k, v := range map[string]string{"topic": *topic, "replayed": *replayed} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if *before > 0 {
			q.Set("before", strconv.FormatInt(*before, 10))
		}
		var page dlqPage
		raw, err := cl.do(ctx, "GET", "/v1/dlq?"+q.Encode(), &page)
		if err != nil {
			return c.fail(err)
		}
		if *asJSON {
			_, _ = c.stdout.Write(raw)
			return 0
		}
		c.table(page)
		return 0
	case c.sub == "show":
		raw, err := cl.do(ctx, "GET", "/v1/dlq/"+url.PathEscape(pos[0]), nil)
		if err != nil {
			return c.fail(err)
		}
		var out bytes.Buffer
		_ = json.Indent(&out, raw, "", "  ")
		_, _ = c.stdout.Write(out.Bytes())
		return 0
	case *all:
		return c.replayAll(ctx, cl, *topic)
	default:
		var l api.DeadLetter
		if _, err := cl.do(ctx, "POST", "/v1/dlq/"+url.PathEscape(pos[0])+"/replay", &l); err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.stdout, "replayed dead letter %d on %s (payload %s)\n", l.ID, l.Topic, l.Payload)
		return 0
	}
}

// replayAll replays every letter not replayed yet, oldest first. Letters
// whose topic or rows refuse a replay (409) are reported and skipped.
func (c *dlqCmd) replayAll(ctx context.Context, cl *client, topic string) int {
	var ids []int64
	q := url.Values{"replayed": {"false"}, "limit": {"500"}}
	if topic != "" {
		q.Set("topic", topic)
	}
	for {
		var page dlqPage
		if _, err := cl.do(ctx, "GET", "/v1/dlq?"+q.Encode(), &page); err != nil {
			return c.fail(err)
		}
		for _, l := range page.Data {
			ids = append(ids, l.ID)
		}
		if page.Next == "" {
			break
		}
		q.Set("before", page.Next)
	}
	slices.Sort(ids)
	var replayed, skipped, failed int
	for _, id := range ids {
		var l api.DeadLetter
		_, err := cl.do(ctx, "POST", fmt.Sprintf("/v1/dlq/%d/replay", id), &l)
		var ae *apiError
		switch {
		case err == nil:
			replayed++
			fmt.Fprintf(c.stdout, "replayed dead letter %d on %s (payload %s)\n", l.ID, l.Topic, l.Payload)
		case errors.As(err, &ae) && ae.status == http.StatusConflict:
			skipped++
			fmt.Fprintf(c.stdout, "skipped dead letter %d: %s\n", id, ae.msg)
		default:
			failed++
			fmt.Fprintf(c.stderr, "parley: dead letter %d: %v\n", id, err)
			if ctx.Err() != nil {
				return 1
			}
		}
	}
	fmt.Fprintf(c.stdout, "%d replayed, %d skipped, %d failed\n", replayed, skipped, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

func (c *dlqCmd) table(page dlqPage) {
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTOPIC\tCREATED\tREPLAYED\tREASON")
	for _, l := range page.Data {
		replayed := "-"
		if l.ReplayedAt != nil {
			replayed = l.ReplayedAt.Format(time.RFC3339)
		} else if !l.Replayable {
			replayed = "(not replayable)"
		}
		reason := strings.Join(strings.Fields(l.Reason), " ")
		if len(reason) > 100 {
			reason = reason[:97] + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", l.ID, l.Topic, l.CreatedAt.Format(time.RFC3339), replayed, reason)
	}
	_ = tw.Flush()
	if page.Next != "" {
		fmt.Fprintf(c.stdout, "more: parley dlq list --before %s\n", page.Next)
	}
}

type dlqPage struct {
	Data []api.DeadLetter `json:"data"`
	Next string           `json:"next"`
}

// client calls the API of a running Parley.
type client struct {
	base, key string
	http      *http.Client
}

// client resolves the URL and the key from the flags, the environment and
// the sandbox's data directory, in that order.
func (c *dlqCmd) client(base, key, data string) (*client, error) {
	getenv := c.getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if base == "" {
		base = getenv(envURL)
	}
	if base == "" {
		base = "http://127.0.0.1:8080"
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q: want an http(s) URL such as http://127.0.0.1:8080", base)
	}
	if key == "" {
		key = getenv(envKey)
	}
	if key == "" {
		var s struct {
			APIKey string `json:"api_key"`
		}
		if b, err := os.ReadFile(filepath.Join(data, "sandbox.json")); err == nil && json.Unmarshal(b, &s) == nil {
			key = s.APIKey
		}
	}
	if key == "" {
		return nil, fmt.Errorf("no API key: pass --key or set %s", envKey)
	}
	return &client{base: strings.TrimSuffix(base, "/"), key: key, http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// apiError is an error answer of the API.
type apiError struct {
	status       int    // HTTP status code
	code, msg    string // the error body's code and message
	method, path string // the request
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.method, e.path, e.status, http.StatusText(e.status), e.msg)
}

// do calls the API and decodes a 2xx answer into out (unless nil); it
// returns the raw body.
func (cl *client) do(ctx context.Context, method, path string, out any) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, cl.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+cl.key)
	res, err := cl.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	p, _, _ := strings.Cut(path, "?")
	if res.StatusCode/100 != 2 {
		var eb api.ErrorBody
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &eb) == nil && eb.Error.Message != "" {
			msg = eb.Error.Message
		}
		return nil, &apiError{status: res.StatusCode, code: eb.Error.Code, msg: msg, method: method, path: p}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, p, err)
		}
	}
	return raw, nil
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns those.
func parseInterleaved(fs *flag.FlagSet, args []string) (pos []string, code int, ok bool) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, 0, false
			}
			return nil, 2, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, 0, true
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
