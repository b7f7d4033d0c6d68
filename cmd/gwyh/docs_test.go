package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documentation a user reads (the READMEs, docs/, and the commands'
// -h) points only at files in the repository, and every example's section
// says what it shows and how to stop it.
func TestDocsStayInRepo(t *testing.T) {
	root := filepath.Join("..", "..")
	files := []string{"README.md", "examples/README.md", "sim/README.md"}
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if len(docs) == 0 {
		t.Fatal("no docs/*.md")
	}
	for _, d := range docs {
		rel, _ := filepath.Rel(root, d)
		files = append(files, rel)
	}
	link := regexp.MustCompile(`\]\(([^)#\s]+)(#[^)]*)?\)`)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		checkOutside(t, f, string(b))
		for _, m := range link.FindAllStringSubmatch(string(b), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			if _, err := os.Stat(filepath.Join(root, filepath.Dir(f), target)); err != nil {
				t.Errorf("%s links %s, which is not in the repository", f, target)
			}
		}
	}
	for _, cmd := range []string{"demo", "node", "bench", "sim"} {
		var out, errb bytes.Buffer
		run([]string{cmd, "-h"}, &out, &errb)
		checkOutside(t, "gwyh "+cmd+" -h", errb.String())
	}

	b, err := os.ReadFile(filepath.Join(root, "examples", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sections := strings.Split(string(b), "\n## ")[1:]
	if len(sections) < 3 {
		t.Fatalf("examples/README.md has %d sections, want one per example", len(sections))
	}
	for _, s := range sections {
		name, _, _ := strings.Cut(s, "\n")
		if !strings.Contains(s, "What it shows:") || !strings.Contains(s, "How to stop it:") {
			t.Errorf("examples/README.md section %q does not say what it shows and how to stop it", name)
		}
	}
}

// checkOutside reports mentions of files outside the repository.
func checkOutside(t *testing.T, where, text string) {
	t.Helper()
	for _, bad := range []string{"shared/", "../"} {
		if i := strings.Index(text, bad); i >= 0 {
			t.Errorf("%s points outside the repository: %q", where, text[max(0, i-30):min(len(text), i+30)])
		}
	}
}
