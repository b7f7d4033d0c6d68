// Command validated shows a typed topic with a validator. Three honest
// weather stations and one faulty station share topic "weather"; every
// node validates readings (temperatures must lie in -90..60 °C). The faulty
// station publishes impossible readings among good ones: each is rejected
// on arrival, never forwarded, and with peer scoring on its score falls
// until the honest nodes stop listening to it (graylisting).
//
//	go run ./examples/validated
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gwyh/gwyh/node"
	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/score"
	"github.com/gwyh/gwyh/topic"
	"github.com/gwyh/gwyh/validator"
)

// reading is one temperature report.
type reading struct {
	Station string  `json:"station"`
	Celsius float64 `json:"celsius"`
}

const topicName = "weather"

// plausible is the validator: readings outside -90..60 °C are rejected.
func plausible(_ context.Context, _ peer.ID, r reading) validator.Result {
	if r.Celsius < -90 || r.Celsius > 60 {
		return validator.Reject
	}
	return validator.Accept
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "validated:", err)
		os.Exit(1)
	}
}

func newNode(bootstrap ...string) (*node.Node, error) {
	cfg := node.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.Bootstrap = bootstrap
	cfg.Gossip.HeartbeatInterval = 200 * time.Millisecond
	sp := score.DefaultParams(topicName)
	cfg.Score = &sp
	cfg.Thresholds = score.DefaultThresholds()
	return node.New(cfg)
}

func run() error {
	ctx := context.Background()
	var honest []*node.Node
	var subs []*topic.Subscription[reading]
	for i := range 3 {
		var boot []string
		if i > 0 {
			boot = []string{honest[0].Addr().String()}
		}
		n, err := newNode(boot...)
		if err != nil {
			return err
		}
		defer n.Close()
		t, err := topic.Join(n, topicName, topic.JSON[reading](), topic.WithValidator(plausible))
		if err != nil {
			return err
		}
		sub, err := t.Subscribe()
		if err != nil {
			return err
		}
		honest, subs = append(honest, n), append(subs, sub)
	}
	// The faulty station has no validator of its own: it publishes anything.
	bad, err := newNode(honest[0].Addr().String(), honest[1].Addr().String(), honest[2].Addr().String())
	if err != nil {
		return err
	}
	defer bad.Close()
	badTopic, err := topic.Join(bad, topicName, topic.JSON[reading]())
	if err != nil {
		return err
	}
	if err := waitMesh(ctx, badTopic.Handle(), 3, meshTimeout); err != nil {
		return err
	}
	fmt.Printf("faulty station %s publishes 1 good and 1 impossible reading every 200 ms\n\n", bad.ID().Short())
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for round := range 12 {
		// Errors are expected and ignored: once graylisted, the station
		// publishes to no peer (node.ErrNoPeers).
		_ = badTopic.Publish(ctx, reading{Station: "faulty", Celsius: 21})
		_ = badTopic.Publish(ctx, reading{Station: "faulty", Celsius: 900 + float64(round)})
		<-tick.C
		report(round, honest, bad.ID())
	}
	got := drain(subs[0])
	fmt.Printf("\nnode 0 accepted %d readings: %v\n", len(got), got)
	for _, c := range got {
		if c > 60 {
			return fmt.Errorf("an impossible reading got through: %v", c)
		}
	}
	for i, n := range honest {
		for _, p := range n.Peers() {
			if p == bad.ID() {
				return fmt.Errorf("node %d still listens to the faulty station", i)
			}
		}
	}
	fmt.Println("no impossible reading was delivered, and every honest node dropped the faulty station")
	return nil
}

// meshTimeout bounds the wait for the meshes to form (on loopback they
// form within a few heartbeats).
const meshTimeout = 10 * time.Second

// waitMesh waits until h's mesh has want peers; it fails after timeout.
func waitMesh(ctx context.Context, h *node.TopicHandle, want int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		have := len(h.Mesh())
		if have >= want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the mesh of topic %q has %d of %d peers after %v: %w", h.Name(), have, want, timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// report prints how each honest node scores the faulty one.
func report(round int, honest []*node.Node, bad peer.ID) {
	fmt.Printf("round %2d:", round)
	for i, n := range honest {
		st, err := n.Stats()
		if err != nil {
			continue
		}
		state := "shed (graylisted)"
		for _, p := range st.Peers {
			if p.ID == bad {
				state = fmt.Sprintf("score %7.1f", p.Score)
			}
		}
		fmt.Printf("  node %d: %-18s rejected %d", i, state, st.Router.ValidationReject)
	}
	fmt.Println()
}

// drain returns the readings already delivered to sub.
func drain(sub *topic.Subscription[reading]) []float64 {
	var out []float64
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		m, err := sub.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, m.Value.Celsius)
	}
}
