package peer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadIdentityCreatesThenReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "id.pem")
	a, err := LoadIdentity(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %04o, want 0600", st.Mode().Perm())
	}
	b, err := LoadIdentity(path)
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	if a.ID() != b.ID() {
		t.Fatal("reloaded identity differs")
	}
	msg := []byte("m")
	if !a.ID().Verify(msg, b.Sign(msg)) {
		t.Fatal("reloaded key does not sign for the same ID")
	}
}

func TestLoadIdentityRejects(t *testing.T) {
	good, _ := NewIdentity()
	goodPEM := "-----BEGIN " + pemType + "-----\n"
	_ = good
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantSub string
	}{
		{"world readable", "", 0o644, "mode 0644"},
		{"group writable", "", 0o620, "mode 0620"},
		{"not pem", "hello", 0o600, "no PEM block"},
		{"wrong type", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", 0o600, `"RSA PRIVATE KEY" block`},
		{"short key", goodPEM + "AAAA\n-----END " + pemType + "-----\n", 0o600, "3-byte key"},
		{"trailing", goodPEM + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n-----END " + pemType + "-----\ngarbage", 0o600, "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "id.pem")
			content := tt.content
			if content == "" {
				// A valid identity file, written then given wider permissions.
				if _, err := LoadIdentity(path); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			_, err := LoadIdentity(path)
			if !errors.Is(err, ErrBadIdentityFile) {
				t.Fatalf("err = %v, want ErrBadIdentityFile", err)
			}
			if !strings.Contains(err.Error(), tt.wantSub) {
				t.Fatalf("err = %q, want it to mention %q", err, tt.wantSub)
			}
		})
	}
}

func TestLoadIdentityDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadIdentity(dir); !errors.Is(err, ErrBadIdentityFile) {
		t.Fatalf("err = %v, want ErrBadIdentityFile", err)
	}
}
