package router

import (
	"slices"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/validator"
)

func syncV(res validator.Result) TopicValidator {
	return TopicValidator{Sync: func(peer.ID, *rpc.Message) validator.Result { return res }}
}

func TestSyncValidationResults(t *testing.T) {
	tests := []struct {
		res      validator.Result
		deliver  bool
		rejects  []string
		dropKind DropCause
	}{
		{validator.Accept, true, nil, DropNone},
		{validator.Reject, false, []string{"invalid"}, DropRejected},
		{validator.Ignore, false, []string{"ignored"}, DropIgnored},
		{0, false, []string{"ignored"}, DropIgnored}, // an invalid Result is Ignore
	}
	for _, tc := range tests {
		t.Run(tc.res.String(), func(t *testing.T) {
			e := newJoinedEnv(t, withFakeScorer, 8)
			e.r.SetValidator("t", syncV(tc.res))
			from := e.meshOf("t")[0]
			e.rpcFrom(from, pub(msg("t", 1, 8)))
			if got := len(e.out.Deliveries) == 1; got != tc.deliver {
				t.Fatalf("delivered %v", got)
			}
			forwarded := 0
			for _, s := range e.out.Sends {
				forwarded += len(s.RPC.Publish)
			}
			if (forwarded > 0) != tc.deliver {
				t.Fatalf("forwarded to %d peers", forwarded)
			}
			if !slices.Equal(e.sc.rejects, tc.rejects) {
				t.Fatalf("scorer rejects %v, want %v", e.sc.rejects, tc.rejects)
			}
			if tc.dropKind != DropNone && e.r.Stats().Drops[tc.dropKind] != 1 {
				t.Fatalf("drop %v not counted", tc.dropKind)
			}
			// A later copy is a duplicate either way.
			e.rpcFrom(e.meshOf("t")[1], pub(msg("t", 1, 8)))
			if e.r.Stats().Duplicates != 1 {
				t.Fatal("copy of a validated message not treated as duplicate")
			}
		})
	}
}

func TestAsyncValidation(t *testing.T) {
	e := newJoinedEnv(t, func(c *Config) { c.ValidationTimeout = 2 * time.Second }, 8)
	e.r.SetValidator("t", TopicValidator{Async: true})
	from := e.meshOf("t")[0]
	e.rpcFrom(from, pub(msg("t", 1, 8), msg("t", 2, 8), msg("t", 3, 8)))
	if len(e.out.Validations) != 3 || len(e.out.Sends) != 0 || len(e.out.Deliveries) != 0 {
		t.Fatalf("want 3 requests and nothing forwarded before Accept: %+v", e.out)
	}
	if e.out.Deadline != e.now.Add(time.Second) {
		t.Fatalf("deadline %v: the heartbeat comes before the validation timeout", e.out.Deadline)
	}
	vs := slices.Clone(e.out.Validations)
	// Message 1 is never answered; 2 and 3 are, later, and are not stalled by it.
	e.now = e.now.Add(500 * time.Millisecond)
	e.r.ValidationDone(e.now, vs[2].ID, validator.Accept)
	e.ready()
	if len(e.out.Deliveries) != 1 || e.out.Deliveries[0].ID != msgID(3) || len(e.out.Sends) != 5 {
		t.Fatalf("accepted message not delivered and forwarded: %s", e.summary())
	}
	e.r.ValidationDone(e.now, vs[1].ID, validator.Reject)
	e.ready()
	if len(e.out.Deliveries) != 0 || len(e.out.Sends) != 0 || e.countEvents(EventReject) != 1 {
		t.Fatal("rejected message delivered or forwarded")
	}
	// Message 1 times out at 2 s: ignored, counted.
	e.tick(1500 * time.Millisecond)
	st := e.r.Stats()
	if st.ValidationTimeout != 1 || st.Drops[DropValidationTimeout] != 1 {
		t.Fatalf("timeout not counted: %+v", st)
	}
	// Its late result is dropped and counted.
	e.r.ValidationDone(e.now, vs[0].ID, validator.Accept)
	e.ready()
	if len(e.out.Deliveries) != 0 || e.r.Stats().Drops[DropValidationLate] != 1 {
		t.Fatal("late result not dropped")
	}
}

func TestValidationThrottled(t *testing.T) {
	tests := []struct {
		name          string
		global, topic int
		wantRequests  int
	}{
		{"global limit", 2, 0, 2},
		{"per-topic limit", 10, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newJoinedEnv(t, func(c *Config) { c.MaxValidations, c.MaxTopicValidations = tc.global, tc.topic }, 1)
			e.r.SetValidator("t", TopicValidator{Async: true})
			e.rpcFrom(1, pub(msg("t", 1, 8), msg("t", 2, 8), msg("t", 3, 8)))
			if len(e.out.Validations) != tc.wantRequests {
				t.Fatalf("%d requests", len(e.out.Validations))
			}
			st := e.r.Stats()
			if n := uint64(3 - tc.wantRequests); st.ValidationThrottled != n || st.Drops[DropValidationThrottled] != n {
				t.Fatalf("throttled %d", st.ValidationThrottled)
			}
			// Finishing one frees a slot.
			e.r.ValidationDone(e.now, e.out.Validations[0].ID, validator.Accept)
			e.rpcFrom(1, pub(msg("t", 4, 8)))
			if len(e.out.Validations) != 1 {
				t.Fatal("slot not released")
			}
		})
	}
}

// A peer that sends a copy while the message validates does not get it
// back once accepted.
func TestNoForwardToPeersThatSentCopies(t *testing.T) {
	e := newJoinedEnv(t, nil, 8)
	e.r.SetValidator("t", TopicValidator{Async: true})
	mesh := e.meshOf("t")
	e.rpcFrom(mesh[0], pub(msg("t", 1, 8)))
	v := e.out.Validations[0].ID
	e.rpcFrom(mesh[1], pub(msg("t", 1, 8)))
	e.r.ValidationDone(e.now, v, validator.Accept)
	e.ready()
	for _, i := range mesh {
		got := e.sendTo(i) != nil
		if want := i != mesh[0] && i != mesh[1]; got != want {
			t.Fatalf("peer %d got the message: %v, want %v", i, got, want)
		}
	}
}

// A delivery says when its message's first copy came: at once for a
// message validated inline, the time of the copy (not of the result) after
// an asynchronous validation, the Publish call for an own message.
func TestDeliveryReceived(t *testing.T) {
	e := newJoinedEnv(t, withFakeScorer, 8)
	start := e.now
	e.rpcFrom(e.meshOf("t")[0], pub(msg("t", 1, 8)))
	if len(e.out.Deliveries) != 1 || !e.out.Deliveries[0].Received.Equal(start) {
		t.Fatalf("inline: deliveries %+v, want Received %v", e.out.Deliveries, start)
	}
	e.r.SetValidator("t", TopicValidator{Async: true})
	e.rpcFrom(e.meshOf("t")[0], pub(msg("t", 2, 8)))
	vs := slices.Clone(e.out.Validations) // the next Output reuses the slice
	if len(vs) != 1 {
		t.Fatalf("validations %+v", vs)
	}
	e.tick(40 * time.Millisecond)
	e.r.ValidationDone(e.now, vs[0].ID, validator.Accept)
	e.ready()
	if len(e.out.Deliveries) != 1 || !e.out.Deliveries[0].Received.Equal(start) {
		t.Fatalf("async: deliveries %+v, want Received %v (now %v)", e.out.Deliveries, start, e.now)
	}
	if _, err := e.r.Publish(e.now, "t", []byte("own")); err != nil {
		t.Fatal(err)
	}
	e.ready()
	if len(e.out.Deliveries) != 1 || !e.out.Deliveries[0].Local || !e.out.Deliveries[0].Received.Equal(e.now) {
		t.Fatalf("own: deliveries %+v, want Received %v", e.out.Deliveries, e.now)
	}
}
