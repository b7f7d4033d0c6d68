package transport

import (
	"testing"
	"time"
)

// TestRekeyFor: only sessions made before the keyring changed, on an
// accepted key other than the primary, are moved to the primary; a
// session the peer made later on its own primary is left alone, so two
// nodes with different primaries do not rekey each other in turn.
func TestRekeyFor(t *testing.T) {
	k1, k2, k3 := make([]byte, 32), make([]byte, 32), make([]byte, 32)
	k1[0], k2[0], k3[0] = 1, 2, 3
	t0 := time.Unix(1000, 0)
	first := newKeyring([][]byte{k1}, nil, time.Time{})
	r := newKeyring([][]byte{k2, k1}, first, t0)
	removed := first.find(k3)
	tests := []struct {
		name    string
		key     *netKey
		created time.Time
		want    bool
	}{
		{"old key, older session", r.find(k1), t0.Add(-time.Second), true},
		{"old key, session after the change", r.find(k1), t0.Add(time.Second), false},
		{"primary", r.find(k2), t0.Add(-time.Second), false},
		{"key not in the keyring (ends instead)", removed, t0.Add(-time.Second), false},
		{"no key recorded", nil, t0.Add(-time.Second), false},
	}
	for _, tt := range tests {
		if got := r.rekeyFor(tt.key, tt.created); got != tt.want {
			t.Errorf("%s: rekeyFor = %v, want %v", tt.name, got, tt.want)
		}
	}
	if first.find(k1) != r.find(k1) {
		t.Fatal("a key kept across keyrings is not the same netKey (its counters would reset)")
	}
}
