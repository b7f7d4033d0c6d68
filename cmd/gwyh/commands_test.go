package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDemo runs the README's first command, "gwyh demo", exactly as a
// newcomer would (smaller in -short mode), and checks it succeeds on its
// own and says what happened.
func TestDemo(t *testing.T) {
	args := []string{"demo"}
	if testing.Short() {
		args = append(args, "-n", "6", "-burst", "20", "-rate", "50", "-seconds", "0.4")
	}
	var out, errb bytes.Buffer
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("gwyh %v exited %d\nstdout:\n%s\nstderr:\n%s", args, code, out.String(), errb.String())
	}
	for _, want := range []string{"summary", "deliveries", "latency", "duplicates", "on the wire", "every message reached every node",
		"    burst        p50 ", "published at once, so most of this is waiting in queues", "    stream       p50 "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
	// No progress line repeats the one before: same counts, nothing new.
	prev := ""
	for _, l := range strings.Split(out.String(), "\n") {
		i := strings.Index(l, "published ")
		j := strings.Index(l, "  latency")
		if i < 0 || j < i {
			prev = ""
			continue
		}
		if counts := l[i:j]; counts == prev {
			t.Errorf("progress line printed twice: %q\n%s", counts, out.String())
		} else {
			prev = counts
		}
	}
}

func TestBenchJSONKeys(t *testing.T) {
	var out, errb bytes.Buffer
	dir := t.TempDir()
	cpu, heap, tr := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "heap.prof"), filepath.Join(dir, "run.trace")
	args := []string{"bench", "-n", "4", "-degree", "2", "-msgs", "50", "-heartbeat", "200ms",
		"-cpuprofile", cpu, "-memprofile", heap, "-trace", tr}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out.String())
	}
	keys := "impl scenario net n degree d publishers msgs size rate seconds sign " +
		"msgs_per_sec delivery_ratio lat_p50_us lat_p90_us lat_p99_us lat_max_us " +
		"dup_per_msg_per_node bytes_per_msg_per_node peak_rss_mb cpu_s " +
		"peak_rss_mb_per_node heap_inuse_mb packets_per_write_batch packets_per_read_batch"
	for _, k := range strings.Fields(keys) {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	if rss, per := m["peak_rss_mb"].(float64), m["peak_rss_mb_per_node"].(float64); rss <= 0 || per != rss/4 {
		t.Errorf("peak_rss_mb %v, per node %v: want a quarter (4 nodes)", rss, per)
	}
	if h := m["heap_inuse_mb"].(float64); h <= 0 {
		t.Errorf("heap_inuse_mb %v", h)
	}
	// Every batch call moves at least one datagram, and a batch holds at
	// most 64 (the transport's batchSize; more only for reads with UDP
	// GRO, off here).
	for _, k := range []string{"packets_per_write_batch", "packets_per_read_batch"} {
		if v, _ := m[k].(float64); v < 1 || v > 64 {
			t.Errorf("%s = %v, want within [1, 64]", k, v)
		}
	}
	if m["impl"] != "gwyh" || m["net"] != "udp" || m["delivery_ratio"] != 1.0 {
		t.Errorf("impl/net/delivery_ratio = %v/%v/%v", m["impl"], m["net"], m["delivery_ratio"])
	}
	for _, name := range []string{cpu, heap} {
		// pprof's format is gzipped protobuf.
		if b, err := os.ReadFile(name); err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: not a profile (err %v, %d bytes)", name, err, len(b))
		}
	}
	// An execution trace starts with its version header.
	if b, err := os.ReadFile(tr); err != nil || !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Errorf("%s: not an execution trace (err %v, %d bytes)", tr, err, len(b))
	}
}

func TestFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"demo", "-h"}, 0, "usage: gwyh demo"},
		{[]string{"node", "-h"}, 0, "usage: gwyh node"},
		{[]string{"bench", "-h"}, 0, "usage: gwyh bench"},
		{[]string{"demo", "-n", "x"}, 2, "gwyh demo:"},
		{[]string{"demo", "-n", "1"}, 2, "gwyh demo:"},
		{[]string{"node", "-nope"}, 2, "gwyh node:"},
		{[]string{"node", "-topic", ""}, 2, "gwyh node: -topic"},
		{[]string{"node", "-sign", "maybe"}, 2, "gwyh node: -sign"},
		{[]string{"bench", "-scenario", "fast"}, 2, "gwyh bench: -scenario"},
		{[]string{"bench", "-sign", "x"}, 2, "gwyh bench: -sign"},
		{[]string{"bench", "extra"}, 2, "gwyh bench:"},
		{[]string{"bench", "-mcache-bytes", "0"}, 2, "gwyh bench: -mcache-bytes"},
		{[]string{"sim", "-mcache-bytes", "0"}, 2, "gwyh sim: -mcache-bytes"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tc.args, &out, &errb)
			if code != tc.code || !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errb.String(), tc.code, tc.want)
			}
			if tc.code == 2 && strings.Count(strings.TrimSpace(errb.String()), "\n") != 0 {
				t.Errorf("bad flags should give one line, got:\n%s", errb.String())
			}
		})
	}
}
