package rpc

// prune decodes one ControlPrune body.
func (d *decoder) prune(b []byte) error {
	if err := limitErr("PRUNE entries", d.lim.MaxPrune, len(d.r.Prune)+1); err != nil {
		return err
	}
	c, err := count(b, 2)
	if err != nil {
		return err
	}
	if err := limitErr("PRUNE peers", d.lim.MaxPrunePeers, c); err != nil {
		return err
	}
	var e *Prune
	d.r.Prune, e = extend(d.r.Prune)
	peers := e.Peers[:0]
	if cap(peers) < c {
		peers = make([]PeerInfo, 0, c)
	}
	*e = Prune{}
	for len(b) > 0 {
		f, n := readField(b) // framing checked by count
		b = b[n:]
		switch f.num {
		case 1:
			e.Topic, err = d.str(f, "topic length", d.lim.MaxTopicLen)
		case 2:
			var pi PeerInfo
			pi, err = d.peerInfo(f)
			peers = append(peers, pi)
		case 3:
			e.Backoff, err = f.uint()
		}
		if err != nil {
			return err
		}
	}
	e.Peers = peers
	return nil
}

// peerInfo decodes one PeerInfo field.
func (d *decoder) peerInfo(f field) (PeerInfo, error) {
	var pi PeerInfo
	b, err := f.bytes()
	if err != nil {
		return pi, err
	}
	for len(b) > 0 {
		f, n := readField(b)
		if n == 0 {
			return pi, fieldErr(b)
		}
		b = b[n:]
		var err error
		switch f.num {
		case 1:
			pi.ID, err = lenBytes(f, "peer id length", d.lim.MaxPeerIDLen)
		case 2:
			pi.Record, err = lenBytes(f, "peer record length", d.lim.MaxRecordLen)
		}
		if err != nil {
			return pi, err
		}
	}
	return pi, nil
}
