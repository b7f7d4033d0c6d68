package router

import "testing"

// TestScriptErrors feeds malformed scripts to the runner: each fails with
// the file and line of the bad command and says what is wrong.
func TestScriptErrors(t *testing.T) {
	tests := []struct{ name, script, want string }{
		{"unknown command", "jump t\n----\nok", `bad.txt:1: unknown command "jump"`},
		{"too few arguments", "# a comment\njoin\n----\n", "bad.txt:2: join: 0 arguments; usage: join T: the router joins T"},
		{"too many arguments", "mesh t u\n----\n", "bad.txt:1: mesh: 2 arguments; usage: mesh T: print T's mesh"},
		{"bad number", "add-peers 1-x in t\n----\nok", `bad.txt:1: add-peers: bad number "x"`},
		{"bad number in a later block", "add-peers 1 in t\n----\nok\n\nfrom 1 ihave t 1 two\n----\n", `bad.txt:5: from: ihave: bad number "two"`},
		{"bad duration", "tick soon\n----\n", `bad.txt:1: tick: bad duration "soon"`},
		{"bad direction", "add-peers 1 sideways\n----\n", `bad.txt:1: add-peers: direction "sideways" is not in, out or direct`},
		{"unknown message kind", "from 1 hug t\n----\n", `bad.txt:1: from: unknown message kind "hug"`},
		{"message part argument count", "from 1 graft + iwant 1\n----\n", "bad.txt:1: from: graft: 0 arguments; usage: graft T"},
		{"unknown field", "new Dmax=3\n----\n", `bad.txt:1: new: no field "Dmax" in Params or Config`},
		{"bad field value", "new D=many\n----\n", `bad.txt:1: new: bad value "many" for D`},
		{"score without a fakeScorer", "score 1 5\n----\n", `bad.txt:1: score: no fakeScorer: start with "new scorer=fake"`},
		{"missing ----", "join t\n\nmesh t\n----\n[]", `bad.txt:1: "join t" has no "----" line`},
		{"two commands in a block", "join t\nmesh t\n----\n", `bad.txt:2: a second command "mesh t" after "join t" (one command per block)`},
		{"comment without a command", "# only a comment\n\njoin t\n----\n", "bad.txt:2: comment without a command"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runScript(t, "bad.txt", tc.script, false)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %s", err, tc.want)
			}
		})
	}
}
