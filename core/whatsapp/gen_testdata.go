//go:build ignore

// gen_testdata writes testdata/spec from Meta's OpenAPI description:
//
//	go generate ./core/whatsapp/
//
// It replaces testdata/spec entirely; hand-written payloads live elsewhere
// under testdata/ and are not touched.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parley-hub/parley/core/whatsapp/internal/specexamples"
)

func main() {
	spec := flag.String("spec", "../../../shared/whatsapp/business-messaging-api_v23.0.yaml", "path to business-messaging-api_v23.0.yaml")
	flag.Parse()
	if err := run(*spec); err != nil {
		fmt.Fprintln(os.Stderr, "gen_testdata:", err)
		os.Exit(1)
	}
}

func run(specPath string) error {
	spec, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	files, err := specexamples.Render(spec)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(specexamples.Dir); err != nil {
		return err
	}
	for name, data := range files {
		p := filepath.Join(specexamples.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("gen_testdata: wrote %d files under %s\n", len(files), specexamples.Dir)
	return nil
}
