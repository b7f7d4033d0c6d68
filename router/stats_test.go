package router

import "testing"

// TestDropCauseNames pins the names a signature failure is counted under:
// a policy mismatch (a message without the signature StrictSign needs, or
// with the fields StrictNoSign forbids) is told apart from a forged or
// corrupt signature. Every cause has a distinct name.
func TestDropCauseNames(t *testing.T) {
	for c, want := range map[DropCause]string{
		DropBadSignature:        "bad-signature",
		DropMissingSignature:    "missing-signature",
		DropUnexpectedSignature: "unexpected-signature",
		DropBlacklisted:         "blacklisted",
		DropCause(255):          "unknown",
	} {
		if got := c.String(); got != want {
			t.Errorf("DropCause(%d) = %q, want %q", c, got, want)
		}
	}
	seen := map[string]DropCause{}
	for c := range DropCause(NumDropCauses) {
		name := c.String()
		if name == "" || name == "unknown" {
			t.Errorf("DropCause(%d) has no name", c)
		}
		if d, dup := seen[name]; dup {
			t.Errorf("DropCause(%d) and (%d) are both %q", d, c, name)
		}
		seen[name] = c
	}
}
