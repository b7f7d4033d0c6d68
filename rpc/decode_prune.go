package rpc

// prune decodes one ControlPrune body.
func (d *decoder) prune(b []byte) error {
	if err := limitErr("PRUNE entries", d.lim.MaxPrune, len(d.r.Prune)+1); err != nil {
		return err
	}
	n, err := count(b, 2)
	if err != nil {
		return err
	}
	if err := limitErr("PRUNE peers", d.lim.MaxPrunePeers, n); err != nil {
		return err
	}
	var e *Prune
	d.r.Prune, e = extend(d.r.Prune)
	peers := e.Peers[:0]
	if cap(peers) < n {
		peers = make([]PeerInfo, 0, n)
	}
	*e = Prune{}
	rd := reader{b}
	for {
		f, w, err := rd.next()
		if err != nil || f == 0 {
			e.Peers = peers
			return err
		}
		switch f {
		case 1:
			e.Topic, err = d.str(&rd, w, "topic length", d.lim.MaxTopicLen)
		case 2:
			var pi *PeerInfo
			peers, pi = extend(peers)
			err = d.peerInfo(&rd, w, pi)
		case 3:
			e.Backoff, err = rd.uint(w)
		default:
			err = rd.skip(w)
		}
		if err != nil {
			e.Peers = peers
			return err
		}
	}
}

// peerInfo decodes one PeerInfo field into pi.
func (d *decoder) peerInfo(rd *reader, w int, pi *PeerInfo) error {
	b, err := rd.bytes(w)
	if err != nil {
		return err
	}
	*pi = PeerInfo{}
	pr := reader{b}
	for {
		f, w, err := pr.next()
		if err != nil || f == 0 {
			return err
		}
		switch f {
		case 1:
			pi.ID, err = lenBytes(&pr, w, "peer id length", d.lim.MaxPeerIDLen)
		case 2:
			pi.Record, err = lenBytes(&pr, w, "peer record length", d.lim.MaxRecordLen)
		default:
			err = pr.skip(w)
		}
		if err != nil {
			return err
		}
	}
}
