package transport

// ReassemblyBytes returns the bytes c holds for partial messages of all
// peers (for tests of the reassembly budget).
func ReassemblyBytes(c *Conn) int {
	c.reasmMu.Lock()
	defer c.reasmMu.Unlock()
	return c.reasm.Total()
}
