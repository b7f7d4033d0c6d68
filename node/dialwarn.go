package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/peering"
	"github.com/gwyh/gwyh/transport"
)

// Dial warnings. A node whose seeds cannot be reached would otherwise
// retry in silence (dial failures are Debug logs and a counter), and the
// usual mistakes (nothing listening, a different network key, a wrong
// peer ID, a host that does not resolve) all look the same from outside.
// So failed dials of the configured seeds (Config.Bootstrap) and direct
// peers (Config.Direct) are logged at Warn, naming the likely cause: once
// per target and cause, not at every retry, and at Info once the target
// answers. Dials of other members stay quiet: members come and go.

// dialWarner remembers, per configured target, the cause last warned
// about. It is used on the event loop only.
type dialWarner struct {
	kinds  map[string]string       // configured address ("host:port" as given) → "seed" or "direct peer"
	trials map[string]*dialTrouble // by configured address, while its dials fail
}

// dialTrouble is the failing state of one configured target.
type dialTrouble struct {
	cause    string // the cause last warned about
	failures int    // failed dials since the last success
}

// noteDial is called on the loop with the result of every dial the node
// started, before dialDone; it logs what the user should know.
func (n *Node) noteDial(t peering.Target, got peer.ID, err error) {
	w := &n.dialWarn
	if w.kinds == nil {
		w.kinds, w.trials = map[string]string{}, map[string]*dialTrouble{}
		for _, l := range []struct {
			kind    string
			entries []string
		}{{"direct peer", n.cfg.Direct}, {"seed", n.cfg.Bootstrap}} {
			for _, s := range l.entries {
				if pt, err := parseTarget(s); err == nil { // checked by Validate
					w.kinds[pt.addr] = l.kind
				}
			}
		}
	}
	kind, ok := w.kinds[t.Addr]
	if !ok {
		return
	}
	tr := w.trials[t.Addr]
	if err == nil {
		if tr != nil {
			n.log.Info(fmt.Sprintf("reached %s %s after %d failed dials", kind, t.Addr, tr.failures))
			delete(w.trials, t.Addr)
		}
		return
	}
	if errors.Is(err, ErrClosed) || errors.Is(err, context.Canceled) {
		return // the node is closing
	}
	if tr == nil {
		tr = &dialTrouble{}
		w.trials[t.Addr] = tr
	}
	tr.failures++
	cause, msg := dialCause(kind, t, got, err, n.cfg.DialTimeout)
	if cause == tr.cause {
		return
	}
	tr.cause = cause
	n.log.Warn(msg)
}

// dialCause names why a dial of t (a kind: "seed" or "direct peer")
// failed: a short key, one per cause, and the message for the log.
func dialCause(kind string, t peering.Target, got peer.ID, err error, timeout time.Duration) (cause, msg string) {
	var ae *addrError
	switch {
	case errors.Is(err, transport.ErrPeerMismatch) && got.IsZero():
		return "self", fmt.Sprintf("%s %s is named with this node's own peer ID %s", kind, t.Addr, t.ID)
	case errors.Is(err, transport.ErrPeerMismatch):
		return "mismatch " + got.String(), fmt.Sprintf("%s %s is peer %s, not %s: the peer ID given for it is wrong, or the peer has a new identity",
			kind, t.Addr, got, t.ID)
	case errors.As(err, &ae):
		return "resolve", fmt.Sprintf("cannot reach %s %s: %s", kind, t.Addr, ae.reason)
	case errors.Is(err, transport.ErrHandshake) && errors.Is(err, context.DeadlineExceeded):
		return "no answer", fmt.Sprintf("no answer from %s %s within %v: nothing listening there, or a different network key?",
			kind, t.Addr, timeout)
	default:
		return "other", fmt.Sprintf("cannot reach %s %s: %v", kind, t.Addr, err)
	}
}
