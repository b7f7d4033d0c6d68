package router_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/router"
	"github.com/gwyh/gwyh/rpc"
)

// Example drives two Routers by hand: every output's Sends are packed with
// rpc.Pack and handed to the other router's HandlePayload, the way the node
// runtime and the simulator do it.
func Example() {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(seed byte) *router.Router {
		id, _ := peer.IdentityFromSeed(append(make([]byte, 31), seed))
		r, err := router.New(router.Config{
			Identity: id,
			Params:   router.DefaultParams(),
			Rand:     rand.New(rand.NewPCG(uint64(seed), 0)),
		})
		if err != nil {
			panic(err)
		}
		return r
	}
	a, b := mk(1), mk(2)
	byID := map[peer.ID]*router.Router{a.ID(): a, b.ID(): b}

	// drain acts on r's output while it has one: hand every payload to
	// its receiver (whose own output is drained in turn), print
	// deliveries, then Advance.
	var drain func(r *router.Router)
	drain = func(r *router.Router) {
		for r.HasReady() {
			out := r.Ready() // valid until Advance, whatever happens meanwhile
			for _, s := range out.Sends {
				to := byID[s.To]
				for _, p := range rpc.Pack(nil, &s.RPC, 1400) {
					if err := to.HandlePayload(now, r.ID(), p); err != nil {
						panic(err)
					}
					drain(to)
				}
			}
			for _, d := range out.Deliveries {
				fmt.Printf("delivered %q in %s (local %v)\n", d.Msg.Data, d.Topic, d.Local)
			}
			r.Advance()
		}
	}

	a.AddPeer(now, b.ID(), router.PeerOptions{Direction: router.Outbound})
	drain(a)
	b.AddPeer(now, a.ID(), router.PeerOptions{Direction: router.Inbound})
	drain(b)
	_ = a.Join(now, "news")
	drain(a)
	_ = b.Join(now, "news")
	drain(b)
	fmt.Println("a's mesh has b:", len(a.Mesh("news")) == 1 && a.Mesh("news")[0] == b.ID())

	if _, err := a.Publish(now, "news", []byte("hello")); err != nil {
		panic(err)
	}
	drain(a)

	// Time passes: call Tick at the deadline.
	now = a.Ready().Deadline
	a.Tick(now)
	drain(a)
	// Output:
	// a's mesh has b: true
	// delivered "hello" in news (local false)
	// delivered "hello" in news (local true)
}
