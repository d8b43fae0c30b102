package action_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/action"
)

func TestInputs(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		input   map[string]any
		read    func(in *action.Inputs) any
		want    any
		wantErr string
	}{
		{"text, trimmed", map[string]any{"x": "  hi "}, func(in *action.Inputs) any { return in.String("x") }, "hi", ""},
		{"a number as text", map[string]any{"x": json.Number("12345678901234567890")}, func(in *action.Inputs) any { return in.String("x") }, "12345678901234567890", ""},
		{"a Go number as text", map[string]any{"x": 42}, func(in *action.Inputs) any { return in.String("x") }, "42", ""},
		{"absent text", nil, func(in *action.Inputs) any { return in.String("x") }, "", ""},
		{"text of the wrong type", map[string]any{"x": true}, func(in *action.Inputs) any { return in.String("x") }, "",
			`bad request: act: input "x" must be text, got bool`},
		{"required and missing", map[string]any{"x": " "}, func(in *action.Inputs) any { v := in.String("x"); in.Require("x", v); return v }, "",
			`bad request: act: input "x" is required`},
		{"bool", map[string]any{"b": false}, func(in *action.Inputs) any { return in.Bool("b", true) }, false, ""},
		{"bool as text", map[string]any{"b": " true "}, func(in *action.Inputs) any { return in.Bool("b", false) }, true, ""},
		{"bool absent", nil, func(in *action.Inputs) any { return in.Bool("b", true) }, true, ""},
		{"bool blank", map[string]any{"b": ""}, func(in *action.Inputs) any { return in.Bool("b", true) }, true, ""},
		{"bool unreadable", map[string]any{"b": "yes please"}, func(in *action.Inputs) any { return in.Bool("b", true) }, true,
			`bad request: act: input "b" "yes please" is not true or false`},
		{"bool of the wrong type", map[string]any{"b": 1}, func(in *action.Inputs) any { return in.Bool("b", false) }, false,
			`bad request: act: input "b" must be true or false, got int`},
		{"list as text", map[string]any{"l": "a, b,,c "}, func(in *action.Inputs) any { return in.List("l") }, []string{"a", "b", "c"}, ""},
		{"list as a list", map[string]any{"l": []any{"a", " b,c"}}, func(in *action.Inputs) any { return in.List("l") }, []string{"a", "b", "c"}, ""},
		{"list of strings", map[string]any{"l": []string{"a", ""}}, func(in *action.Inputs) any { return in.List("l") }, []string{"a"}, ""},
		{"list absent", nil, func(in *action.Inputs) any { return in.List("l") }, []string(nil), ""},
		{"list holding a number", map[string]any{"l": []any{"a", 1.0}}, func(in *action.Inputs) any { return in.List("l") }, []string(nil),
			`bad request: act: input "l" must hold text, got float64`},
		{"list of the wrong type", map[string]any{"l": 3}, func(in *action.Inputs) any { return in.List("l") }, []string(nil),
			`bad request: act: input "l" must be a list or comma-separated text, got int`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := action.Read(sdk.ActionRequest{Action: "act", Input: tc.input})
			if diff := cmp.Diff(tc.want, tc.read(in)); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
			err := in.Err()
			if got := fmt.Sprint(err); tc.wantErr == "" && err != nil || tc.wantErr != "" && got != tc.wantErr {
				t.Errorf("Err() = %v, want %q", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, sdk.ErrBadRequest) {
				t.Errorf("Err() does not wrap sdk.ErrBadRequest")
			}
		})
	}
}

func TestInputsCollectEveryProblem(t *testing.T) {
	t.Parallel()
	in := action.Read(sdk.ActionRequest{Action: "create_ticket", Input: map[string]any{"priority": "asap", "public": 3}})
	in.Require("subject", in.String("subject"))
	in.Bool("public", true)
	in.Fail("input %q %q is not one of low, high", "priority", in.String("priority"))
	want := `bad request: create_ticket: input "subject" is required; input "public" must be true or false, got int; input "priority" "asap" is not one of low, high`
	if err := in.Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v\nwant %s", err, want)
	}
	if in.Request().Action != "create_ticket" {
		t.Errorf("Request() = %+v", in.Request())
	}
}

func TestMemoEvictsTheOldest(t *testing.T) {
	t.Parallel()
	m := action.NewMemo(2)
	for _, k := range []string{"a", "b", "c", "b"} {
		m.Put(k, map[string]any{"k": k})
	}
	if _, ok := m.Get("a"); ok {
		t.Error("the oldest key was kept")
	}
	for _, k := range []string{"b", "c"} {
		if v, ok := m.Get(k); !ok || v["k"] != k {
			t.Errorf("key %q lost", k)
		}
	}
	m.Put("", map[string]any{"k": ""})
	if _, ok := m.Get(""); ok {
		t.Error("an empty key was remembered")
	}
}

func TestMemoDo(t *testing.T) {
	t.Parallel()
	m := action.NewMemo(10)
	runs := 0
	run := func(fail bool) func() (map[string]any, error) {
		return func() (map[string]any, error) {
			runs++
			if fail {
				return nil, errors.New("vendor down")
			}
			return map[string]any{"run": runs}, nil
		}
	}
	if _, err := m.Do("k", run(true)); err == nil {
		t.Fatal("a failed run returned no error")
	}
	first, err := m.Do("k", run(false))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := m.Do("k", run(false))
	other, _ := m.Do("", run(false))
	unkeyed, _ := m.Do("", run(false))
	if first["run"] != 2 || again["run"] != 2 || other["run"] != 3 || unkeyed["run"] != 4 || runs != 4 {
		t.Errorf("first %v, again %v, no key %v then %v, %d runs: a failure is not remembered, a success is, an empty key never", first, again, other, unkeyed, runs)
	}
}

func TestMemoConcurrent(t *testing.T) {
	t.Parallel()
	m := action.NewMemo(5)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			k := fmt.Sprint(i % 7)
			_, _ = m.Do(k, func() (map[string]any, error) { return map[string]any{"k": k}, nil })
			if v, ok := m.Get(k); ok && v["k"] != k {
				t.Errorf("key %s holds %v", k, v)
			}
		})
	}
	wg.Wait()
}
