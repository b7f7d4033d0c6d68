package score

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gwyh/gwyh/peer"
)

// The oracle re-implements the score straight from the spec's formula over
// the recorded events: plain maps, a decay ticker that fires at every
// DecayInterval boundary before any later event, no caching, no early
// exits. TestScorerMatchesOracle replays thousands of random event
// sequences through both and compares every peer's score, and the Stats
// counters, after each event.

type oTopic struct {
	inMesh, active     bool
	graft              time.Time
	meshTime           time.Duration
	p2, p3, p3b, p4cnt float64
}

type oPeer struct {
	connected bool
	expire    time.Time
	ip        netip.Addr
	penalty   float64
	topics    map[string]*oTopic
}

type oMsg struct {
	first   time.Time
	from    peer.ID
	topic   string
	status  string // "validating", "valid", "invalid", "ignored"
	senders []peer.ID
}

type oracle struct {
	p      Params
	peers  map[peer.ID]*oPeer
	msgs   map[string]*oMsg
	order  []string // message ids in creation order, for eviction
	ticked bool
	tick   time.Time // the last decay boundary passed
	st     Stats     // the counters; the sizes are filled in by stats
}

func newOracle(p Params) *oracle {
	return &oracle{p: p, peers: map[peer.ID]*oPeer{}, msgs: map[string]*oMsg{}}
}

// stats returns the counters as Scorer.Stats does.
func (o *oracle) stats() Stats {
	st := o.st
	for _, op := range o.peers {
		if op.connected {
			st.Peers++
		} else {
			st.RetainedPeers++
		}
	}
	st.DeliveryRecords = len(o.msgs)
	return st
}

// unknown counts an event in a scored topic about p when p is not known
// (Stats.UnknownPeerEvents).
func (o *oracle) unknown(p peer.ID, topic string) {
	if o.p.Topics[topic] != nil && o.peers[p] == nil {
		o.st.UnknownPeerEvents++
	}
}

// ticks fires the decay ticker for every boundary up to now.
func (o *oracle) ticks(now time.Time) {
	if !o.ticked {
		o.ticked, o.tick = true, now
		return
	}
	dz := func(v, f float64) float64 {
		if v *= f; v < o.p.DecayToZero {
			return 0
		}
		return v
	}
	for !o.tick.Add(o.p.DecayInterval).After(now) {
		o.tick = o.tick.Add(o.p.DecayInterval)
		for _, op := range o.peers {
			if !op.connected {
				continue
			}
			for name, ot := range op.topics {
				tp := o.p.Topics[name]
				ot.p2 = dz(ot.p2, tp.FirstMessageDeliveriesDecay)
				ot.p3 = dz(ot.p3, tp.MeshMessageDeliveriesDecay)
				ot.p3b = dz(ot.p3b, tp.MeshFailurePenaltyDecay)
				ot.p4cnt = dz(ot.p4cnt, tp.InvalidMessageDeliveriesDecay)
			}
			op.penalty = dz(op.penalty, o.p.BehaviourPenaltyDecay)
		}
	}
}

// topic returns p's stats in a scored topic (created), or nil.
func (o *oracle) topic(p peer.ID, topic string, connectedOnly bool) *oTopic {
	op := o.peers[p]
	if op == nil || o.p.Topics[topic] == nil || (connectedOnly && !op.connected) {
		return nil
	}
	if op.topics[topic] == nil {
		op.topics[topic] = &oTopic{}
	}
	return op.topics[topic]
}

func (o *oracle) prune(ot *oTopic, topic string) {
	if ot.inMesh && ot.active {
		th := o.p.Topics[topic].MeshMessageDeliveriesThreshold
		if ot.p3 < th {
			ot.p3b += (th - ot.p3) * (th - ot.p3)
		}
	}
	ot.inMesh, ot.active = false, false
}

func (o *oracle) first(p peer.ID, topic string) {
	if ot := o.topic(p, topic, true); ot != nil {
		tp := o.p.Topics[topic]
		ot.p2 = min(ot.p2+1, tp.FirstMessageDeliveriesCap)
		o.near(p, topic)
	}
}

func (o *oracle) near(p peer.ID, topic string) {
	if ot := o.topic(p, topic, true); ot != nil && ot.inMesh {
		ot.p3 = min(ot.p3+1, o.p.Topics[topic].MeshMessageDeliveriesCap)
	}
}

func (o *oracle) invalid(p peer.ID, topic string) {
	if ot := o.topic(p, topic, false); ot != nil {
		ot.p4cnt++
	}
}

func (o *oracle) msg(now time.Time, from peer.ID, id, topic string) *oMsg {
	if m := o.msgs[id]; m != nil {
		return m
	}
	if len(o.msgs) >= o.p.MaxDeliveryRecords {
		delete(o.msgs, o.order[0])
		o.order = o.order[1:]
		o.st.RecordsEvicted++
	}
	m := &oMsg{first: now, from: from, topic: topic, status: "validating"}
	o.msgs[id] = m
	o.order = append(o.order, id)
	return m
}

// score is the spec's formula.
func (o *oracle) score(p peer.ID) float64 {
	op := o.peers[p]
	if op == nil {
		return 0
	}
	var sum float64
	for _, name := range slices.Sorted(maps.Keys(op.topics)) {
		ot, tp := op.topics[name], o.p.Topics[name]
		var p1, p3 float64
		if ot.inMesh {
			p1 = min(float64(ot.meshTime)/float64(tp.TimeInMeshQuantum), tp.TimeInMeshCap)
		}
		if ot.active && ot.p3 < tp.MeshMessageDeliveriesThreshold {
			d := tp.MeshMessageDeliveriesThreshold - ot.p3
			p3 = d * d
		}
		sum += tp.TopicWeight * (tp.TimeInMeshWeight*p1 + tp.FirstMessageDeliveriesWeight*ot.p2 +
			tp.MeshMessageDeliveriesWeight*p3 + tp.MeshFailurePenaltyWeight*ot.p3b +
			tp.InvalidMessageDeliveriesWeight*ot.p4cnt*ot.p4cnt)
	}
	if o.p.TopicScoreCap > 0 && sum > o.p.TopicScoreCap {
		sum = o.p.TopicScoreCap
	}
	sum += o.p.AppSpecificWeight * o.p.AppSpecificScore(p)
	if op.ip.IsValid() && !slices.ContainsFunc(o.p.IPColocationFactorWhitelist, func(pr netip.Prefix) bool { return pr.Contains(op.ip) }) {
		n := 0
		for _, q := range o.peers {
			if q.ip == op.ip {
				n++
			}
		}
		if n > o.p.IPColocationFactorThreshold {
			s := float64(n - o.p.IPColocationFactorThreshold)
			sum += o.p.IPColocationFactorWeight * s * s
		}
	}
	if op.penalty > o.p.BehaviourPenaltyThreshold {
		e := op.penalty - o.p.BehaviourPenaltyThreshold
		sum += o.p.BehaviourPenaltyWeight * e * e
	}
	return sum
}

type evKind int

const (
	evAddPeer evKind = iota
	evRemovePeer
	evJoin
	evLeave
	evGraft
	evPrune
	evValidate
	evDeliver
	evReject
	evDuplicate
	evPenalty
	evRefresh
	numEvKinds
)

var evNames = [...]string{"add", "remove", "join", "leave", "graft", "prune", "validate", "deliver", "reject", "duplicate", "penalty", "refresh"}

// evWeights are how often each kind is drawn.
var evWeights = [numEvKinds]int{8, 3, 1, 1, 8, 3, 15, 20, 6, 25, 3, 15}

type event struct {
	kind   evKind
	now    time.Time
	peer   peer.ID
	ip     netip.Addr
	topic  string
	msg    string
	reason Reason
	count  int
}

func (e event) String() string {
	return fmt.Sprintf("%v %s p%d ip=%v t=%s m=%s r=%v n=%d", e.now.Sub(t0), evNames[e.kind], e.peer[0], e.ip, e.topic, e.msg, e.reason, e.count)
}

func (e event) applyScorer(s *Scorer) {
	switch e.kind {
	case evAddPeer:
		s.AddPeer(e.now, e.peer, e.ip)
	case evRemovePeer:
		s.RemovePeer(e.now, e.peer)
	case evJoin:
		s.Join(e.now, e.topic)
	case evLeave:
		s.Leave(e.now, e.topic)
	case evGraft:
		s.Graft(e.now, e.peer, e.topic)
	case evPrune:
		s.Prune(e.now, e.peer, e.topic)
	case evValidate:
		s.ValidateMessage(e.now, e.peer, e.msg, e.topic)
	case evDeliver:
		s.DeliverMessage(e.now, e.peer, e.msg, e.topic)
	case evReject:
		s.RejectMessage(e.now, e.peer, e.msg, e.topic, e.reason)
	case evDuplicate:
		s.DuplicateMessage(e.now, e.peer, e.msg, e.topic)
	case evPenalty:
		s.AddPenalty(e.peer, e.count)
	case evRefresh:
		s.Refresh(e.now)
	}
}

func (o *oracle) apply(e event) {
	if e.kind != evPenalty {
		o.ticks(e.now)
	}
	op := o.peers[e.peer]
	switch e.kind {
	case evAddPeer:
		if op == nil {
			op = &oPeer{topics: map[string]*oTopic{}}
			o.peers[e.peer] = op
		}
		op.connected, op.expire, op.ip = true, time.Time{}, e.ip.Unmap()
	case evRemovePeer:
		if op == nil || !op.connected {
			o.st.UnknownPeerEvents++
			return
		}
		for name, ot := range op.topics {
			ot.p2 = 0
			o.prune(ot, name)
		}
		op.connected, op.expire = false, e.now.Add(o.p.RetainScore)
	case evLeave:
		for _, q := range o.peers {
			if ot := q.topics[e.topic]; ot != nil {
				o.prune(ot, e.topic)
			}
		}
	case evGraft:
		o.unknown(e.peer, e.topic)
		if ot := o.topic(e.peer, e.topic, true); ot != nil {
			ot.inMesh, ot.active, ot.graft, ot.meshTime = true, false, e.now, 0
		}
	case evPrune:
		o.unknown(e.peer, e.topic)
		if ot := o.topic(e.peer, e.topic, false); ot != nil {
			o.prune(ot, e.topic)
		}
	case evValidate:
		o.msg(e.now, e.peer, e.msg, e.topic)
	case evDeliver, evReject:
		o.outcome(e)
	case evDuplicate:
		o.duplicate(e)
	case evPenalty:
		if op == nil {
			o.st.UnknownPeerEvents++
		}
		if op != nil && e.count > 0 {
			op.penalty += float64(e.count)
		}
	case evRefresh:
		o.refresh(e.now)
	}
}

func (o *oracle) outcome(e event) {
	if e.kind == evReject && o.msgs[e.msg] == nil {
		if e.reason == ReasonInvalid {
			o.unknown(e.peer, e.topic)
			o.invalid(e.peer, e.topic)
		}
		return
	}
	m := o.msg(e.now, e.peer, e.msg, e.topic)
	if m.status != "validating" {
		o.st.LateOutcomes++
		return
	}
	switch {
	case e.kind == evDeliver:
		m.status = "valid"
		o.unknown(e.peer, m.topic)
		o.first(e.peer, m.topic)
		for _, q := range m.senders {
			o.unknown(q, m.topic)
			o.near(q, m.topic)
		}
	case e.reason == ReasonInvalid:
		m.status = "invalid"
		o.unknown(e.peer, m.topic)
		o.invalid(e.peer, m.topic)
		for _, q := range m.senders {
			o.unknown(q, m.topic)
			o.invalid(q, m.topic)
		}
	default:
		m.status, m.senders = "ignored", nil
	}
}

func (o *oracle) duplicate(e event) {
	m := o.msgs[e.msg]
	if m == nil || m.status == "ignored" || e.peer == m.from || slices.Contains(m.senders, e.peer) {
		return
	}
	if len(m.senders) >= maxRecordPeers {
		o.st.RecordPeersDropped++
		return
	}
	m.senders = append(m.senders, e.peer)
	if m.status != "validating" {
		o.unknown(e.peer, m.topic)
	}
	switch m.status {
	case "valid":
		if tp := o.p.Topics[m.topic]; tp != nil && !e.now.After(m.first.Add(tp.MeshMessageDeliveriesWindow)) {
			o.near(e.peer, m.topic)
		}
	case "invalid":
		o.invalid(e.peer, m.topic)
	}
}

func (o *oracle) refresh(now time.Time) {
	for id, op := range o.peers {
		if !op.connected {
			if !now.Before(op.expire) {
				delete(o.peers, id)
			}
			continue
		}
		for name, ot := range op.topics {
			if ot.inMesh {
				ot.meshTime = max(now.Sub(ot.graft), 0)
				if ot.meshTime > o.p.Topics[name].MeshMessageDeliveriesActivation {
					ot.active = true
				}
			}
		}
	}
	kept := o.order[:0]
	for _, id := range o.order {
		if !now.Before(o.msgs[id].first.Add(o.p.DeliveryRecordTTL)) {
			delete(o.msgs, id)
			o.st.RecordsExpired++
		} else {
			kept = append(kept, id)
		}
	}
	o.order = kept
}

func oracleParams() Params {
	mk := func(w float64) *TopicParams {
		return &TopicParams{
			TopicWeight:      w,
			TimeInMeshWeight: 0.1, TimeInMeshQuantum: 500 * time.Millisecond, TimeInMeshCap: 20,
			FirstMessageDeliveriesWeight: 1, FirstMessageDeliveriesDecay: 0.7, FirstMessageDeliveriesCap: 5,
			MeshMessageDeliveriesWeight: -0.5, MeshMessageDeliveriesDecay: 0.8, MeshMessageDeliveriesCap: 2.5,
			MeshMessageDeliveriesThreshold: 2, MeshMessageDeliveriesWindow: 50 * time.Millisecond,
			MeshMessageDeliveriesActivation: 2 * time.Second,
			MeshFailurePenaltyWeight:        -0.3, MeshFailurePenaltyDecay: 0.9,
			InvalidMessageDeliveriesWeight: -2, InvalidMessageDeliveriesDecay: 0.85,
		}
	}
	return Params{
		Topics:                      map[string]*TopicParams{"a": mk(1), "b": mk(0.5)},
		TopicScoreCap:               8,
		AppSpecificScore:            func(p peer.ID) float64 { return float64(p[0]%3) - 1 },
		AppSpecificWeight:           0.5,
		IPColocationFactorWeight:    -2,
		IPColocationFactorThreshold: 1,
		IPColocationFactorWhitelist: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")},
		BehaviourPenaltyWeight:      -1,
		BehaviourPenaltyThreshold:   1,
		BehaviourPenaltyDecay:       0.8,
		DecayInterval:               time.Second,
		DecayToZero:                 0.01,
		RetainScore:                 3 * time.Second,
		DeliveryRecordTTL:           5 * time.Second,
		MaxDeliveryRecords:          20,
	}
}

// randomEvent draws the next event at or after now.
// step bounds the usual time between events: short steps pack many
// deliveries into one decay interval, long ones exercise decay and expiry.
func randomEvent(rng *rand.Rand, now time.Time, step time.Duration, msgs *int) event {
	total := 0
	for _, w := range evWeights {
		total += w
	}
	k, r := evKind(0), rng.IntN(total)
	for r >= evWeights[k] {
		r -= evWeights[k]
		k++
	}
	switch rng.IntN(20) {
	case 0: // a long pause: retention and record expiry
		now = now.Add(time.Duration(rng.IntN(8000)) * time.Millisecond)
	case 1, 2, 3: // the same instant
	default:
		now = now.Add(time.Duration(rng.Int64N(int64(step))).Truncate(10 * time.Millisecond)) // boundaries are hit exactly
	}
	ips := []string{"10.0.0.1", "10.0.0.2", "::ffff:10.0.0.1", "192.168.0.5", ""}
	e := event{kind: k, now: now, peer: pid(byte(rng.IntN(5) + 1)),
		topic: []string{"a", "a", "a", "b", "b", "z"}[rng.IntN(6)], count: rng.IntN(4) - 1,
		reason: Reason(rng.IntN(3) + 1)}
	if a := ips[rng.IntN(len(ips))]; a != "" {
		e.ip = netip.MustParseAddr(a)
	}
	if k == evValidate || rng.IntN(8) == 0 {
		*msgs++
		e.msg = fmt.Sprint("m", *msgs)
	} else {
		e.msg = fmt.Sprint("m", max(*msgs-rng.IntN(12), 0))
	}
	return e
}

func TestScorerMatchesOracle(t *testing.T) {
	sequences, length := 2000, 200
	if testing.Short() {
		sequences = 300
	}
	for seed := range uint64(sequences) {
		rng := rand.New(rand.NewPCG(seed, 0x5c07e))
		p := oracleParams()
		s, o := mustNew(t, p), newOracle(oracleParams())
		now, msgs := t0, 0
		step := []time.Duration{600 * time.Millisecond, 40 * time.Millisecond}[seed%2]
		var log []string
		for i := range length {
			e := randomEvent(rng, now, step, &msgs)
			now = e.now
			log = append(log, e.String())
			e.applyScorer(s)
			o.apply(e)
			for b := byte(1); b <= 8; b++ {
				got, want := s.Score(pid(b)), o.score(pid(b))
				if !closeTo(got, want) {
					t.Fatalf("seed %d, event %d: Score(p%d) = %v, oracle %v; last events:\n%s",
						seed, i, b, got, want, strings.Join(log[max(len(log)-15, 0):], "\n"))
				}
			}
			if got, want := s.Stats(), o.stats(); got != want {
				t.Fatalf("seed %d, event %d: Stats = %+v, oracle %+v; last events:\n%s",
					seed, i, got, want, strings.Join(log[max(len(log)-15, 0):], "\n"))
			}
			if checkHandles(t, s); t.Failed() {
				t.Fatalf("seed %d, event %d: handles broken; last events:\n%s",
					seed, i, strings.Join(log[max(len(log)-15, 0):], "\n"))
			}
		}
		for _, ps := range s.Snapshot(now) {
			if ps.Score != s.Score(ps.Peer) {
				t.Fatalf("seed %d: snapshot score %v != Score %v", seed, ps.Score, s.Score(ps.Peer))
			}
		}
	}
}
