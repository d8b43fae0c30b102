package configure_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-hub/parley/sdk"
	"github.com/parley-hub/parley/sdk/configure"
)

var fields = []sdk.Field{
	{Name: "secret", Description: "Key.", Required: true, Secret: true},
	{Name: "old_secret", Description: "Previous key.", Secret: true},
	{Name: "name", Description: "A name.", Required: true},
	{Name: "base_url", Description: "API.", Default: "https://api.example.com/", Example: "http://127.0.0.1:8080"},
	{Name: "region", Description: "Region.", Example: "US"},
	{Name: "timeout", Description: "Timeout.", Default: "10s", Example: "5s"},
	{Name: "limit", Description: "Limit.", Default: "100"},
	{Name: "verbose", Description: "Verbose.", Default: "false"},
}

var upper = configure.Check{Want: "an upper-case code", OK: func(v string) bool { return v == strings.ToUpper(v) }}

type parsed struct {
	Secret, OldSecret string
	Name, Base        string
	Region            string
	Timeout           time.Duration
	Limit             int
	Verbose           bool
}

func parse(values sdk.Config) (parsed, error) {
	p := configure.NewParser(values, fields)
	out := parsed{
		Secret:    string(p.Secret("secret")),
		OldSecret: string(p.Secret("old_secret")),
		Name:      p.String("name"),
		Base:      p.String("base_url", configure.HTTPURL),
		Region:    p.String("region", upper),
		Timeout:   p.Duration("timeout"),
		Limit:     p.Int("limit"),
		Verbose:   p.Bool("verbose"),
	}
	return out, p.Err()
}

func TestParser(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		values   sdk.Config
		want     parsed
		problems []string
	}{
		{"defaults", sdk.Config{"secret": " s ", "name": " n "},
			parsed{Secret: " s ", Name: "n", Base: "https://api.example.com/", Timeout: 10 * time.Second, Limit: 100}, nil},
		{"everything", sdk.Config{"secret": "s", "old_secret": "o", "name": "n", "base_url": "http://h:1", "region": "BR", "timeout": "1m", "limit": "7", "verbose": "TRUE"},
			parsed{Secret: "s", OldSecret: "o", Name: "n", Base: "http://h:1", Region: "BR", Timeout: time.Minute, Limit: 7, Verbose: true}, nil},
		{"every problem at once, in order", sdk.Config{"secret": "  ", "old_secret": "hunter2", "base_url": "ftp://h", "region": "br", "timeout": "-1s", "limit": "0", "verbose": "maybe"},
			parsed{OldSecret: "hunter2"}, []string{
				`config field "secret": is required`,
				`config field "name": is required`,
				`config field "base_url": "ftp://h" is not an absolute http(s) URL such as "http://127.0.0.1:8080"`,
				`config field "region": "br" is not an upper-case code such as "US"`,
				`config field "timeout": "-1s" is not a positive duration such as "5s"`,
				`config field "limit": "0" is not a positive integer`,
				`config field "verbose": "maybe" is not true or false`,
			}},
		{"not durations or integers", sdk.Config{"secret": "s", "name": "n", "timeout": "soon", "limit": "x"},
			parsed{Secret: "s", Name: "n", Base: "https://api.example.com/"}, []string{
				`config field "timeout": "soon" is not a positive duration such as "5s"`,
				`config field "limit": "x" is not a positive integer`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := parse(tc.values)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			var problems []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var ce *sdk.ConfigError
					if !errors.As(e, &ce) {
						t.Errorf("%v is not a *sdk.ConfigError", e)
					}
					problems = append(problems, e.Error())
				}
				if !errors.Is(err, sdk.ErrBadRequest) {
					t.Errorf("%v does not wrap sdk.ErrBadRequest", err)
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("a secret shows in %v", err)
				}
			}
			if diff := cmp.Diff(tc.problems, problems); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParserUndeclaredField(t *testing.T) {
	t.Parallel()
	p := configure.NewParser(sdk.Config{"x": "1", "k": "s"}, nil)
	p.String("x")
	p.Secret("k")
	want := `config field "x": is read by the connector but not declared in its Spec` + "\n" +
		`config field "k": is read by the connector but not declared in its Spec`
	if err := p.Err(); err == nil || err.Error() != want {
		t.Errorf("Err() = %v, want %s", err, want)
	}
}

func TestParserFail(t *testing.T) {
	t.Parallel()
	p := configure.NewParser(sdk.Config{}, fields)
	if p.Err() != nil {
		t.Fatal("a fresh parser has an error")
	}
	p.Fail("name", "%q is taken", "bob")
	var ce *sdk.ConfigError
	if err := p.Err(); !errors.As(err, &ce) || ce.Field != "name" || ce.Problem != `"bob" is taken` {
		t.Errorf("Err() = %v", err)
	}
}

func TestState(t *testing.T) {
	t.Parallel()
	var s configure.State[parsed]
	if v, err := s.Get(); v != nil || !errors.Is(err, sdk.ErrNotConfigured) {
		t.Fatalf("Get before Set = %v, %v; want sdk.ErrNotConfigured", v, err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			if i%2 == 0 {
				s.Set(&parsed{Name: fmt.Sprint(i)})
			} else if v, err := s.Get(); err == nil && v.Name == "" {
				t.Errorf("Get returned an empty value")
			}
		})
	}
	wg.Wait()
	s.Set(&parsed{Name: "last"})
	if v, err := s.Get(); err != nil || v.Name != "last" {
		t.Errorf("Get after Set = %v, %v", v, err)
	}
}
