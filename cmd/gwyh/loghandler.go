package main

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// lineHandler is the slog.Handler of `gwyh node`: one line per record,
// for people, in the command's own voice:
//
//	gwyh node: warning: no answer from seed 127.0.0.1:7999 within 5s: ... (k=v)
type lineHandler struct {
	mu     *sync.Mutex
	w      io.Writer
	level  slog.Leveler
	prefix string // "gwyh node"
	attrs  string // pre-formatted " k=v" of WithAttrs
	group  string // "g." of WithGroup
}

var _ slog.Handler = (*lineHandler)(nil)

func newLineHandler(w io.Writer, prefix string, level slog.Leveler) *lineHandler {
	return &lineHandler{mu: &sync.Mutex{}, w: w, level: level, prefix: prefix}
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(h.prefix)
	switch {
	case r.Level >= slog.LevelError:
		b.WriteString(": error: ")
	case r.Level >= slog.LevelWarn:
		b.WriteString(": warning: ")
	case r.Level >= slog.LevelInfo:
		b.WriteString(": ")
	default:
		b.WriteString(": debug: ")
	}
	b.WriteString(r.Message)
	attrs := h.attrs
	r.Attrs(func(a slog.Attr) bool {
		attrs += formatAttr(h.group, a)
		return true
	})
	if attrs != "" {
		b.WriteString(" (" + attrs[1:] + ")")
	}
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	for _, a := range as {
		c.attrs += formatAttr(h.group, a)
	}
	return &c
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.group += name + "."
	return &c
}

// formatAttr formats " key=value", quoting a value with spaces.
func formatAttr(group string, a slog.Attr) string {
	v := a.Value.Resolve().String()
	if v == "" || strings.ContainsAny(v, " \t\n\"=") {
		v = strconv.Quote(v)
	}
	return " " + group + a.Key + "=" + v
}
