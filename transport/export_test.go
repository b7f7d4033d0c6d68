package transport

// ReassemblyBytes returns the bytes c holds for partial messages of all
// peers (for tests of the reassembly budget).
func ReassemblyBytes(c *Conn) int {
	c.reasmMu.Lock()
	defer c.reasmMu.Unlock()
	return c.reasm.Total()
}

// DisableOffload turns UDP GSO and GRO off on s, a socket from ListenUDP,
// before any ReadBatch (so that tests can compare with and without them).
func DisableOffload(s Socket) { s.(*udpSocket).batch.disableOffload() }
