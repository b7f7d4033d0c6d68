package router

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/gwyh/gwyh/mesh"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/validator"
)

// Defaults for the Config fields whose zero value means "default".
const (
	defaultMaxPeerTopics     = 1024
	defaultValidationTimeout = 5 * time.Second
	defaultMaxValidations    = 1024
	// maxSeen bounds the seen cache; at the default SeenTTL of 2 min it
	// allows about 8,700 new messages per second before evicting early.
	maxSeen = 1 << 20
	// maxPruneBackoff caps the backoff a remote PRUNE may ask for.
	maxPruneBackoff = 24 * time.Hour
)

// Router is the GossipSub v1.1/v1.2 router as a deterministic state machine
// (see the package documentation for how to drive it). It is not safe for
// concurrent use: call every method from one goroutine, or under one lock.
type Router struct {
	p      Params
	prefs  mesh.Prefs // Params' strategy in Config.Zone
	cfg    Config
	id     peer.ID
	idb    []byte // id's bytes, shared by own messages' From
	rng    *rand.Rand
	scorer Scorer
	dupB   DuplicateBytesScorer // scorer's byte-id duplicate hook, or nil
	refs   RefScorer            // scorer's per-peer handles, or nil
	th     score.Thresholds
	hasher hash.Hash
	idHead []byte  // contentID's scratch: the topic's length and the topic
	idMemo *idMemo // StrictNoSign content ids of cached messages (idmemo.go)

	peers    map[peer.ID]*peerState
	peerList mesh.PeerSet
	direct   mesh.PeerSet
	topics   map[string]*topicState
	// lastMsgTopic is the topic of the last message received (nil once
	// forgotten): most messages are in the same topic as the one before,
	// and comparing the name saves the map lookup (msgTopic).
	lastMsgTopic *topicState
	joined       []string // sorted
	fanouts      []string // sorted

	seen     *mesh.Seen
	mcache   *mesh.MessageCache
	backoff  *mesh.Backoff
	promises *mesh.Promises

	validators map[string]TopicValidator
	limiter    *validator.Limiter
	pending    *validator.Pending[*pendingValidation]
	validating map[string]*pendingValidation // async validations in flight by message id
	nextValID  uint64
	// timed are the queues of topics with their own timeout, by timeout.
	timed []timedPending

	seqno         uint64
	nextHeartbeat time.Time
	heartbeats    uint64
	scores        map[peer.ID]scoreMemo // memo for the current input, of peers not connected
	inputSeq      uint64

	out           Output // filled by inputs
	ready         Output // handed out by Ready, valid until Advance
	outstanding   bool   // ready is handed out and not yet advanced
	readyDeadline time.Time
	outEpoch      uint64
	stats         Stats

	idbuf   []byte
	sigbuf  []byte
	decoded rpc.RPC
	batch   payloadBatch // HandlePayloads' scratch
	cands   []mesh.Candidate
	// zoneCount is improveMesh's scratch: mesh peers per other zone.
	// shareKey keys PreferFast's random share (inRandomShare).
	shareKey  uint64
	zoneCount map[string]int
	pubBuf    []*peerState // publishPeers' result
	broken    []mesh.Broken

	// placeEpoch counts the changes of placements (zones, RTTs that moved)
	// that may reorder the topics' send orders; placedHave and
	// placedCands are the strategy's scratch.
	placeEpoch  uint64
	placedHave  []mesh.Placed
	placedCands []mesh.Placed

	gossipArena []string // IHAVE ids of the current heartbeat

	// blacklist holds the peers Blacklist blocks; topicIDs the per-topic
	// message-id functions (SetTopicMessageID).
	blacklist map[peer.ID]struct{}
	topicIDs  map[string]func(m *rpc.Message) string
}

// peerState is what the router knows of one connected peer.
type peerState struct {
	id       peer.ID
	opts     PeerOptions
	topics   peerTopics
	dontWant mesh.DontWant
	ihaves   []string      // topics it sent IHAVE for this heartbeat (≤ MaxIHaveMessages)
	iasked   int           // message ids asked of it this heartbeat
	rtt      time.Duration // SetRTT's estimate; 0: none
	orderRTT time.Duration // rtt when it last moved the send orders

	sendEpoch uint64 // == Router.outEpoch when out.Sends[sendIdx] is its
	sendIdx   int

	// sref is its handle in the Scorer (RefScorer), and memoS its score
	// read during input number memoIn−1 (0: never), so that a connected
	// peer's score costs no lookup by ID.
	sref   score.PeerRef
	memoIn uint64
	memoS  float64
}

// topicState is what the router knows of one topic.
type topicState struct {
	name    string
	peers   mesh.PeerSet // connected peers subscribed to it
	mesh    mesh.PeerSet
	joined  bool
	fanout  mesh.PeerSet
	inFan   bool
	lastPub time.Time
	val     TopicValidator

	// ver counts the changes of mesh, fan-out, peers and joined (see
	// changed); the send orders of the mesh (forwarding), of the mesh or
	// fan-out with the direct peers (publishing) and of every topic peer
	// (flood publishing) are rebuilt when it moved.
	ver                             uint64
	meshOrder, pubOrder, floodOrder sendOrder

	ch *chokeState // the choke extension's state; nil until used

	dups uint64 // Stats.Duplicates of this topic (TopicDuplicates)
}

// addMesh adds p to the mesh.
func (t *topicState) addMesh(p peer.ID) {
	t.mesh.Add(p)
	t.forgetChoke(p)
	t.changed()
}

// removeMesh removes p from the mesh and reports whether it was there.
func (t *topicState) removeMesh(p peer.ID) bool {
	if t.mesh.Remove(p) {
		t.forgetChoke(p)
		t.changed()
		return true
	}
	return false
}

// New returns a Router for cfg. It checks cfg (Params.Validate, thresholds
// when Scorer is set, identity and randomness) and returns every problem at
// once, each wrapping ErrConfig.
func New(cfg Config) (*Router, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	r := &Router{
		p:         cfg.Params,
		prefs:     cfg.Params.prefs(cfg.Zone),
		cfg:       cfg,
		rng:       cfg.Rand,
		scorer:    cfg.Scorer,
		th:        cfg.Thresholds,
		hasher:    sha256.New(),
		idMemo:    newIDMemo(),
		peers:     make(map[peer.ID]*peerState),
		topics:    make(map[string]*topicState),
		zoneCount: map[string]int{},

		blacklist: make(map[peer.ID]struct{}),
		topicIDs:  make(map[string]func(m *rpc.Message) string),

		mcache:     mesh.NewMessageCache(cfg.Params.HistoryLength, cfg.Params.HistoryGossip, cfg.Params.MessageCacheBytes),
		backoff:    mesh.NewBackoff(),
		promises:   mesh.NewPromises(),
		validators: make(map[string]TopicValidator),
		limiter:    validator.NewLimiter(cfg.MaxValidations, cfg.MaxTopicValidations),
		pending:    validator.NewPending[*pendingValidation](),
		validating: make(map[string]*pendingValidation),
		scores:     make(map[peer.ID]scoreMemo),
		outEpoch:   1,
	}
	r.id = cfg.ID
	if cfg.Identity != nil {
		r.id = cfg.Identity.ID()
	}
	r.idb = r.id[:]
	r.dupB, _ = cfg.Scorer.(DuplicateBytesScorer)
	r.refs, _ = cfg.Scorer.(RefScorer)
	// One draw gives the first seqno (a fresh start after restarts, still
	// deterministic) and the seen cache's fingerprint key, through SHA-256
	// so that the seqnos a peer sees reveal nothing of the key.
	seed := sha256.Sum256(binary.BigEndian.AppendUint64(nil, r.rng.Uint64()))
	r.seqno = binary.BigEndian.Uint64(seed[:8]) >> 1
	r.seen = mesh.NewSeen(cfg.Params.SeenTTL, cfg.Params.HeartbeatInterval, maxSeen, binary.BigEndian.Uint64(seed[8:16]))
	r.shareKey = binary.BigEndian.Uint64(seed[16:24])
	return r, nil
}

func checkConfig(cfg *Config) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...))
	}
	if err := cfg.Params.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrConfig, err))
	}
	if cfg.Rand == nil {
		bad("Rand is required")
	}
	switch cfg.SignaturePolicy {
	case StrictSign:
		if cfg.Identity == nil {
			bad("Identity is required under StrictSign")
		}
	case StrictNoSign:
		if cfg.Identity == nil && cfg.ID.IsZero() {
			bad("ID or Identity is required")
		}
	default:
		bad("unknown SignaturePolicy %d", cfg.SignaturePolicy)
	}
	if cfg.Scorer != nil {
		if err := checkThresholds(cfg.Thresholds); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.MaxPeerTopics < 0 || cfg.ValidationTimeout < 0 || cfg.MaxValidations < 0 || cfg.MaxTopicValidations < 0 {
		bad("MaxPeerTopics, ValidationTimeout, MaxValidations and MaxTopicValidations must be ≥ 0")
	}
	if cfg.MaxPeerTopics == 0 {
		cfg.MaxPeerTopics = defaultMaxPeerTopics
	}
	if cfg.ValidationTimeout == 0 {
		cfg.ValidationTimeout = defaultValidationTimeout
	}
	if cfg.MaxValidations == 0 {
		cfg.MaxValidations = defaultMaxValidations
	}
	if cfg.MaxTopicValidations == 0 {
		cfg.MaxTopicValidations = cfg.MaxValidations
	}
	return errors.Join(errs...)
}

// checkThresholds applies the constraints of gossipsub-v1.1.md "Score
// Thresholds".
func checkThresholds(t score.Thresholds) error {
	var errs []error
	bad := func(ok bool, rule string) {
		if !ok {
			errs = append(errs, fmt.Errorf("%w: thresholds: %s broken (%+v)", ErrConfig, rule, t))
		}
	}
	bad(t.GossipThreshold < 0, "GossipThreshold < 0")
	bad(t.PublishThreshold <= t.GossipThreshold, "PublishThreshold ≤ GossipThreshold")
	bad(t.GraylistThreshold < t.PublishThreshold, "GraylistThreshold < PublishThreshold")
	bad(t.AcceptPXThreshold >= 0, "AcceptPXThreshold ≥ 0")
	bad(t.OpportunisticGraftThreshold >= 0, "OpportunisticGraftThreshold ≥ 0")
	return errors.Join(errs...)
}

// ID returns the router's peer ID.
func (r *Router) ID() peer.ID { return r.id }

// Mesh returns topic's mesh peers, sorted, in a new slice (nil when the
// topic is not joined or its mesh is empty).
func (r *Router) Mesh(topic string) []peer.ID {
	if t := r.topics[topic]; t != nil {
		return t.mesh.Clone()
	}
	return nil
}

// TopicDuplicates returns the part of Stats.Duplicates that was of
// topic, counted while the router kept state for it (from Join until a
// Leave with no subscribed peer left); 0 for a topic it has none for.
func (r *Router) TopicDuplicates(topic string) uint64 {
	if t := r.topics[topic]; t != nil {
		return t.dups
	}
	return 0
}

// Fanout returns topic's fan-out peers, sorted, in a new slice.
func (r *Router) Fanout(topic string) []peer.ID {
	if t := r.topics[topic]; t != nil {
		return t.fanout.Clone()
	}
	return nil
}

// Peers returns the connected peers, sorted, in a new slice.
func (r *Router) Peers() []peer.ID { return r.peerList.Clone() }

// PeerTopics returns the topics p announced, sorted, in a new slice.
func (r *Router) PeerTopics(p peer.ID) []string {
	ps := r.peers[p]
	if ps == nil {
		return nil
	}
	return ps.topics.sorted()
}

// TopicPeers returns the connected peers subscribed to topic, sorted, in a
// new slice (whether or not the router joined the topic).
func (r *Router) TopicPeers(topic string) []peer.ID {
	if t := r.topics[topic]; t != nil {
		return t.peers.Clone()
	}
	return nil
}

// InMesh reports whether p is in the mesh of at least one joined topic.
func (r *Router) InMesh(p peer.ID) bool {
	for _, name := range r.joined {
		if r.topics[name].mesh.Has(p) {
			return true
		}
	}
	return false
}

// Stale reports whether p is of no use to the meshes now: it is subscribed
// to at least one joined topic, and in a PRUNE backoff in every joined
// topic it is subscribed to. The peer manager trims stale peers first.
func (r *Router) Stale(p peer.ID, now time.Time) bool {
	ps := r.peers[p]
	if ps == nil {
		return false
	}
	any := false
	for _, name := range r.joined {
		if !ps.topics.has(name) {
			continue
		}
		if !r.backoff.Active(name, p, now) {
			return false
		}
		any = true
	}
	return any
}

// Score returns p's current score (0 when scoring is off). It reads the
// Scorer and changes nothing in the router.
func (r *Router) Score(p peer.ID) float64 {
	if r.scorer == nil {
		return 0
	}
	return r.scorer.Score(p)
}

// Joined returns the joined topics, sorted, in a new slice.
func (r *Router) Joined() []string { return slices.Clone(r.joined) }

// Stats returns a copy of the router's counters.
func (r *Router) Stats() Stats {
	s := r.stats
	s.CacheEvicted = r.mcache.EvictedTotal()
	return s
}

// topic returns topic's state, creating it.
func (r *Router) topic(name string) *topicState {
	t := r.topics[name]
	if t == nil {
		// The name may alias a payload's string arena (rpc interns each
		// RPC's strings into one): a copy does not pin it.
		name = strings.Clone(name)
		t = &topicState{name: name, val: r.validators[name], ver: 1} // no order is built at ver 0
		r.topics[name] = t
	}
	return t
}

// msgTopic returns the state of a received message's topic, nil when the
// router knows no such topic.
func (r *Router) msgTopic(name string) *topicState {
	if t := r.lastMsgTopic; t != nil && t.name == name {
		return t
	}
	t := r.topics[name]
	if t != nil {
		r.lastMsgTopic = t
	}
	return t
}

// gcTopic forgets t when nothing refers to it any more.
func (r *Router) gcTopic(t *topicState) {
	if !t.joined && !t.inFan && t.peers.Len() == 0 {
		delete(r.topics, t.name)
		if r.lastMsgTopic == t {
			r.lastMsgTopic = nil
		}
	}
}

// insertSorted adds s to a sorted slice of strings when absent.
func insertSorted(l []string, s string) []string {
	i, ok := slices.BinarySearch(l, s)
	if ok {
		return l
	}
	return slices.Insert(l, i, s)
}

// removeSorted deletes s from a sorted slice of strings.
func removeSorted(l []string, s string) []string {
	i, ok := slices.BinarySearch(l, s)
	if !ok {
		return l
	}
	return slices.Delete(l, i, i+1)
}
