package main

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gwyh/gwyh/internal/testkit"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
)

func TestParseNetworkKeys(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{0xab}, 32), bytes.Repeat([]byte{0x01}, 32)
	h1, h2 := hex.EncodeToString(k1), hex.EncodeToString(k2)
	raw := bytes.Repeat([]byte{'\n'}, 32) // 32 raw bytes that happen to be newlines
	tests := []struct {
		name string
		in   string
		want [][]byte
		err  string
	}{
		{"one hex key", h1 + "\n", [][]byte{k1}, ""},
		{"no newline", h1, [][]byte{k1}, ""},
		{"upper case, CRLF, blanks", "  " + strings.ToUpper(h1) + " \r\n", [][]byte{k1}, ""},
		{"keyring, first is primary", h2 + "\n" + h1 + "\n", [][]byte{k2, k1}, ""},
		{"comments and empty lines", "# new key\n" + h2 + "\n\n# old key\n" + h1 + "\n", [][]byte{k2, k1}, ""},
		{"32 raw bytes", string(k1), [][]byte{k1}, ""},
		{"32 raw newlines", string(raw), [][]byte{raw}, ""},
		{"short hex line", h1 + "\n" + h2[:62] + "\n", nil, "line 2: want 64 hex digits"},
		{"not hex", strings.Repeat("zz", 32), nil, "line 1: want 64 hex digits"},
		{"empty", "", nil, "no key"},
		{"comments only", "# nothing\n", nil, "no key"},
		{"33 raw bytes", string(k1) + "x", nil, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNetworkKeys([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %x, %v; want %x", got, err, tt.want)
			}
		})
	}
}

func TestReadNetworkKeysAcrossFiles(t *testing.T) {
	dir := t.TempDir()
	k1, k2 := strings.Repeat("ab", 32), strings.Repeat("01", 32)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	write(t, a, k1+"\n")
	write(t, b, k2+"\n"+k1+"\n")
	if keys, err := readNetworkKeys([]string{a}); err != nil || len(keys) != 1 {
		t.Fatalf("one file: %d keys, %v", len(keys), err)
	}
	if _, err := readNetworkKeys([]string{b, a}); err == nil || !strings.Contains(err.Error(), "network key 2 repeats key 1") {
		t.Fatalf("a key given twice: %v", err)
	}
	if _, err := readNetworkKeys([]string{filepath.Join(dir, "missing")}); err == nil {
		t.Fatal("a missing file was read")
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// gwyh keygen writes an identity file that LoadIdentity reads, with the
// peer ID it prints, and a network key file that -network-key reads, both
// mode 0600; it refuses to replace them without -force, and replaces both
// with it.
func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	idFile, keyFile := filepath.Join(dir, "node.key"), filepath.Join(dir, "sub", "cluster.key")
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	keygen := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"keygen"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, stderr := keygen("-identity", idFile, "-network-key", keyFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ident, err := peer.LoadIdentity(idFile)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := readNetworkKeys([]string{keyFile})
	if err != nil || len(keys) != 1 {
		t.Fatalf("key file: %d keys, %v", len(keys), err)
	}
	want := fmt.Sprintf("identity %s: peer ID %s\nnetwork key %s: key ID %s\n", idFile, ident.ID(), keyFile, transport.NetworkKeyID(keys[0]))
	if out != want {
		t.Fatalf("stdout %q, want %q", out, want)
	}
	for _, f := range []string{idFile, keyFile} {
		if st, err := os.Stat(f); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, %v; want mode 0600", f, st.Mode(), err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("temporary files left behind: %v", entries)
	}

	before, _ := os.ReadFile(keyFile)
	other := filepath.Join(dir, "other.key")
	code, _, stderr = keygen("-identity", other, "-network-key", keyFile)
	if code != 1 || !strings.Contains(stderr, keyFile+" exists; give -force") {
		t.Fatalf("over an existing file: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(other); err == nil {
		t.Fatal("a refused keygen wrote the other file")
	}
	if after, _ := os.ReadFile(keyFile); !bytes.Equal(before, after) {
		t.Fatal("a refused keygen changed the key file")
	}

	if code, _, stderr = keygen("-force", "-identity", idFile, "-network-key", keyFile); code != 0 {
		t.Fatalf("-force: exit %d: %s", code, stderr)
	}
	if again, err := peer.LoadIdentity(idFile); err != nil || again.ID() == ident.ID() {
		t.Fatalf("-force did not replace the identity: %v", err)
	}
	if after, _ := os.ReadFile(keyFile); bytes.Equal(before, after) {
		t.Fatal("-force did not replace the key file")
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "nothing to write"},
		{[]string{"-identity", "x", "-network-key", "x"}, 2, "the same file"},
		{[]string{"-bogus"}, 2, "gwyh keygen: flag provided but not defined"},
		{[]string{"-h"}, 0, "usage: gwyh keygen"},
	} {
		if code, _, stderr := keygen(tc.args...); code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("keygen %v: exit %d, %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
}

// Key rotation with `gwyh node` processes and SIGHUP: a and b share the
// old key; a's key file gets the new key as an accepted second line, then
// as its primary (SIGHUP each time), and c, holding only the new key,
// joins a while b, on the old key, stays connected to a. A key file that
// becomes invalid is reported on SIGHUP and the keys in use are kept.
func TestNodeKeyRotationSIGHUP(t *testing.T) {
	dir := t.TempDir()
	oldKey, newKey := strings.Repeat("11", 32), strings.Repeat("22", 32)
	aKeys, oldFile, newFile := filepath.Join(dir, "a.keys"), filepath.Join(dir, "old.key"), filepath.Join(dir, "new.key")
	write(t, aKeys, oldKey+"\n")
	write(t, oldFile, oldKey+"\n")
	write(t, newFile, newKey+"\n")
	oldID, newID := transport.NetworkKeyID(bytes.Repeat([]byte{0x11}, 32)), transport.NetworkKeyID(bytes.Repeat([]byte{0x22}, 32))

	a := startNode(t, "a", "-network-key", aKeys)
	aAddr := a.address()
	testkit.Eventually(t, 10*time.Second, "a prints its key", func() bool { return a.has("gwyh node: network keys: primary "+oldID, true) })
	b := startNode(t, "b", "-network-key", oldFile, "-join", aAddr)
	hears := func(from, to *proc, tag string) {
		t.Helper()
		k := 0
		testkit.Eventually(t, 20*time.Second, to.name+" prints a line of "+from.name+"'s", func() bool {
			k++
			from.say(fmt.Sprintf("%s-%d", tag, k))
			return containsPrefix(to, tag+"-")
		})
	}
	hears(a, b, "before")

	hup := func(content, want string) {
		t.Helper()
		write(t, aKeys, content)
		if err := a.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, 10*time.Second, "a says: "+want, func() bool { return a.has(want, true) })
	}
	hup(oldKey+"\n"+newKey+"\n", "gwyh node: network keys reloaded: primary "+oldID+", also accepted "+newID)
	hup("# rotated\n"+newKey+"\n"+oldKey+"\n", "gwyh node: network keys reloaded: primary "+newID+", also accepted "+oldID)
	c := startNode(t, "c", "-network-key", newFile, "-join", aAddr)
	hears(c, a, "new-key")
	hears(b, a, "old-key") // b, on the old key only, is still accepted
	hup("not a key\n", "gwyh node: SIGHUP: network keys not changed: -network-key: "+aKeys+": line 1: want 64 hex digits")
	hears(c, a, "kept")
}
