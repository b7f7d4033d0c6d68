package transport

import (
	"testing"
	"time"
)

// nextTick is when the timer must visit a peer again between sweeps: the
// earliest of its ping, an age rekey, a handshake for a session still
// unconfirmed, a retry of an unanswered rekey and a resend of the final
// message, and never later than the next sweep.
func TestNextTick(t *testing.T) {
	o := Options{}.withDefaults()
	c := &Conn{opts: o}
	now := time.Unix(1000, 0)
	confirmed := func(kp *keypair) *keypair { kp.confirmed.Store(true); return kp }
	tests := []struct {
		name   string
		p      *peerState
		kp     *keypair
		wantIn time.Duration
	}{
		{"no session", &peerState{}, nil, sweepInterval},
		{"no session, rekey unanswered", &peerState{rekeyAt: now.Add(-o.HandshakeRetry + 10*time.Millisecond)}, nil, 10 * time.Millisecond},
		{"idle, pinged now", &peerState{lastPing: now}, confirmed(&keypair{created: now}), sweepInterval},
		{"ping due soon", &peerState{lastPing: now.Add(-o.KeepaliveInterval + 30*time.Millisecond)}, confirmed(&keypair{created: now}), 30 * time.Millisecond},
		{"ping overdue", &peerState{lastPing: now.Add(-2 * o.KeepaliveInterval)}, confirmed(&keypair{created: now}), -o.KeepaliveInterval},
		{"initiator's age rekey", &peerState{lastPing: now}, confirmed(&keypair{initiator: true, created: now.Add(-o.RekeyAfterTime + 5*time.Millisecond)}), 5 * time.Millisecond},
		{"responder waits 3 retries more", &peerState{lastPing: now}, confirmed(&keypair{created: now.Add(-o.RekeyAfterTime + 5*time.Millisecond)}), sweepInterval},
		{"rekey started: no age deadline", &peerState{lastPing: now, rekeyAt: now}, confirmed(&keypair{initiator: true, created: now.Add(-o.RekeyAfterTime)}), sweepInterval},
		{"unconfirmed session", &peerState{lastPing: now}, &keypair{created: now.Add(-c.unconfirmedLimit() + 7*time.Millisecond)}, 7 * time.Millisecond},
		{"final resend", &peerState{lastPing: now}, func() *keypair {
			kp := &keypair{created: now, initiator: true, final: []byte{1}}
			kp.finalSent.Store(now.UnixNano())
			kp.finalEvery.Store(int64(20 * time.Millisecond))
			return kp
		}(), 20 * time.Millisecond},
		{"final confirmed: no resend", &peerState{lastPing: now}, func() *keypair {
			kp := confirmed(&keypair{created: now, initiator: true, final: []byte{1}})
			kp.finalSent.Store(now.UnixNano())
			kp.finalEvery.Store(int64(20 * time.Millisecond))
			return kp
		}(), sweepInterval},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.nextTick(tt.p, tt.kp, now); !got.Equal(now.Add(tt.wantIn)) {
				t.Fatalf("next tick in %v, want %v", got.Sub(now), tt.wantIn)
			}
		})
	}
}

// A packet with payload flags its peer for reports at the next tick, sweep
// or not; control-only packets do not.
func TestReportDueFlagsPeer(t *testing.T) {
	p := &peerState{}
	kp := &keypair{peer: p}
	kp.received(0, 60, false, false)
	if p.reportDue.Load() {
		t.Fatal("a control-only packet flagged the peer")
	}
	kp.received(1, 600, true, false)
	if !p.reportDue.Load() {
		t.Fatal("a packet with payload did not flag the peer")
	}
}
