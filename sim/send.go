package sim

import (
	"time"

	"github.com/gwyh/gwyh/rpc"
)

// sizeField returns the encoded size of a length-delimited protobuf field
// whose body takes n bytes (one-byte key).
func sizeField(n int) int {
	v := 1
	for x := uint64(n); x >= 0x80; x >>= 7 {
		v++
	}
	return 1 + v + n
}

// sendRPC packs r with the real rpc packer and sends each payload from n
// to node to over the simulated network.
func (s *simulator) sendRPC(n *node, to int32, r *rpc.RPC) {
	if r.Empty() {
		return
	}
	msgBytes := 0
	perTopic := s.m.topicIdx != nil && !n.attacker // runs with several topics
	for i := range r.Publish {
		b := sizeField(r.Publish[i].Size())
		msgBytes += b
		if perTopic {
			s.m.topicWire[s.m.topicIdx[r.Publish[i].Topic]] += uint64(b)
		}
	}
	s.packBuf = rpc.Pack(s.packBuf, r, s.mtu)
	dst := s.nodes[to]
	var backoff time.Duration
	if dst.r == nil && len(r.Prune) > 0 {
		backoff = time.Duration(r.Prune[0].Backoff) * time.Second
		if backoff == 0 {
			backoff = s.params.PruneBackoff
		}
	}
	for _, p := range s.packBuf {
		s.sendPacket(n, dst, p, false)
	}
	if !n.attacker {
		s.m.msgWire += uint64(msgBytes)
	}
	if backoff > 0 && dst.attacker && dst.online {
		// A lightweight attacker learns it was pruned and grafts again
		// once the backoff is over (a patient sybil earns no P7).
		s.q.push(event{at: s.now + int64(backoff+time.Second), kind: evAttack, to: dst.idx, from: n.idx, arg: actRegraft})
	}
}

// sendPacket puts one payload on the wire from n to dst: uplink
// serialization, overhead, loss, partition, latency. member says it is a
// membership payload (counted apart, handed to dst's membership).
// Router payloads are copied into a buffer of s.bufs (the sender's
// buffer is reused), which receive recycles; membership payloads are not
// copied (membership allocates each one and never reuses it).
func (s *simulator) sendPacket(n, dst *node, p []byte, member bool) {
	mtu := s.mtu
	frags := max(1, (len(p)+mtu-1)/mtu)
	wire := len(p) + frags*s.sc.Net.Overhead
	switch {
	case member:
		s.mm.wire += uint64(wire)
		s.mm.packets += uint64(frags)
		if s.now >= int64(s.sc.start()) {
			s.mm.wireSteady += uint64(wire)
			if n.zone != dst.zone {
				s.mm.crossSteady += uint64(wire)
			}
		}
	case !n.attacker:
		s.m.wire += uint64(wire)
		s.m.packets += uint64(frags)
		if n.zone != dst.zone {
			s.m.crossWire += uint64(wire)
		}
	default:
		s.m.attackerWire += uint64(wire)
	}
	depart := s.now
	if bw := s.sc.Net.Bandwidth; bw > 0 {
		depart = max(s.now, n.upFree) + int64(wire)*8*int64(time.Second)/bw
		n.upFree = depart
	}
	if s.partitioned && n.side != dst.side {
		if member {
			s.mm.dropNet++
		} else {
			s.m.dropPartition++
		}
		return
	}
	if loss := s.sc.Net.Loss; loss > 0 {
		for range frags {
			if s.random(n).Float64() < loss {
				if member {
					s.mm.dropNet++
				} else {
					s.m.dropLoss++
				}
				return
			}
		}
	}
	kind := evPacket
	switch {
	case member:
		if dst.mem == nil {
			s.mm.dropOffline++
			return
		}
		kind = evMemPacket
	case dst.r == nil:
		// Lightweight attackers read nothing (the bytes are counted); an
		// honest node that left cannot.
		if !dst.attacker {
			s.m.dropOffline++
		}
		return
	}
	lat := s.sc.Net.Latency
	at := depart + s.delay(n, dst)
	if lat.PacketJitter > 0 {
		at += s.random(n).Int64N(int64(lat.PacketJitter))
	}
	buf := p
	if !member {
		buf = s.bufs.get(len(p))
		copy(buf, p)
	}
	s.q.push(event{at: at, kind: kind, to: dst.idx, from: n.idx, arg: dst.inc, payload: buf})
}

// control counts the transport's periodic packets of every online honest
// node (Network.Control): receiver reports (e.arg 0) to the peers heard
// from since the last, or pings and their pongs (e.arg 1) to every
// connected peer, on the wire and against the uplink; nothing is
// delivered. It schedules the next round.
func (s *simulator) control(e event) {
	c := s.sc.Net.Control
	every, size := c.ReportInterval, c.ReportBytes
	if e.arg == 1 {
		every, size = c.PingInterval, c.PingBytes
	}
	for i := range s.honest {
		n := s.nodes[i]
		if !n.online || n.r == nil || n.stalled(s.now) {
			continue
		}
		k := len(n.heard)
		if e.arg == 1 {
			k = 2 * len(n.peers) // each ping is answered by a pong
		}
		clear(n.heard)
		wire := uint64(k * size)
		s.m.wire += wire
		s.m.packets += uint64(k)
		if bw := s.sc.Net.Bandwidth; bw > 0 {
			n.upFree = max(s.now, n.upFree) + int64(wire)*8*int64(time.Second)/bw
		}
	}
	s.q.push(event{at: s.now + int64(every), kind: evControl, arg: e.arg})
}
