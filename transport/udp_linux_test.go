package transport

import (
	"bytes"
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// udpPair opens two loopback sockets; rx reads time out after 5 s.
func udpPair(t *testing.T) (tx, rx *udpSocket) {
	t.Helper()
	open := func() *udpSocket {
		s, err := ListenUDP("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s.(*udpSocket)
	}
	tx, rx = open(), open()
	if err := rx.conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return tx, rx
}

// burst returns n datagrams of size bytes to addr, numbered in their
// first byte, then one of last bytes (if last > 0).
func burst(to netip.AddrPort, first byte, n, size, last int) []Packet {
	var pkts []Packet
	for i := range n {
		pkts = append(pkts, Packet{Buf: bytes.Repeat([]byte{first + byte(i)}, size), Addr: to})
	}
	if last > 0 {
		pkts = append(pkts, Packet{Buf: bytes.Repeat([]byte{first + byte(n)}, last), Addr: to})
	}
	return pkts
}

// readAll reads n datagrams from rx with buffers of size bytes, split as
// the reader does, and returns them and how many reads were coalesced.
func readAll(t *testing.T, rx *udpSocket, n, size int) (got [][]byte, coalesced int) {
	t.Helper()
	pkts := make([]Packet, 8)
	for i := range pkts {
		pkts[i].Buf = make([]byte, size)
	}
	for len(got) < n {
		k, err := rx.ReadBatch(pkts)
		if err != nil {
			t.Fatalf("read after %d of %d datagrams: %v", len(got), n, err)
		}
		for i := range k {
			if pkts[i].Segment > 0 && pkts[i].Segment < pkts[i].N {
				coalesced++
			}
			for _, d := range splitAll(pkts[i].Buf[:pkts[i].N], pkts[i].Segment) {
				got = append(got, bytes.Clone(d))
			}
		}
	}
	return got, coalesced
}

func sameDatagrams(t *testing.T, got [][]byte, want []Packet) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d datagrams, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i].Buf) {
			t.Fatalf("datagram %d: %d bytes of %d, want %d of %d", i, len(got[i]), got[i][0], len(want[i].Buf), want[i].Buf[0])
		}
	}
}

// A writer's batch (full datagrams to each peer, the last shorter) goes
// as one message per peer with GSO and one per datagram without, and
// arrives the same either way.
func TestGSOFewerMessages(t *testing.T) {
	tx, rx := udpPair(t)
	if !tx.batch.gso.Load() {
		t.Skip("kernel without UDP GSO")
	}
	to := rx.LocalAddr()
	var batch []Packet
	for p := range 3 {
		batch = append(batch, burst(to, byte(10*p), 5, 1200, 300)...)
	}
	nh, bad := tx.batch.pack(batch)
	if nh != 3 || bad != 0 {
		t.Fatalf("GSO: %d messages (%d bad), want 3", nh, bad)
	}
	if err := tx.WriteBatch(batch); err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, rx, len(batch), 2048)
	sameDatagrams(t, got, batch)

	tx.batch.disableOffload()
	if nh, _ := tx.batch.pack(batch); nh != len(batch) {
		t.Fatalf("without GSO: %d messages, want %d", nh, len(batch))
	}
	if err := tx.WriteBatch(batch); err != nil {
		t.Fatal(err)
	}
	got, _ = readAll(t, rx, len(batch), 2048)
	sameDatagrams(t, got, batch)
}

// When the kernel refuses a segmented send (EIO, as from a device without
// checksum offload), GSO goes off, it is counted, and the batch goes out
// unsegmented: nothing is lost.
func TestGSOFallbackWhenRefused(t *testing.T) {
	tx, rx := udpPair(t)
	if !tx.batch.gso.Load() {
		t.Skip("kernel without UDP GSO")
	}
	var refused, segmented int
	tx.batch.send = func(fd uintptr, hs []mmsghdr) (int, syscall.Errno) {
		for i := range hs {
			if hs[i].hdr.Controllen > 0 {
				segmented++
				if i == 0 {
					refused++
					return 0, unix.EIO
				}
				n, e := sendmmsg(fd, hs[:i])
				return n, e
			}
		}
		return sendmmsg(fd, hs)
	}
	to := rx.LocalAddr()
	batch := append(burst(to, 0, 1, 500, 0), burst(to, 1, 6, 1000, 100)...)
	if err := tx.WriteBatch(batch); err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, rx, len(batch), 2048)
	sameDatagrams(t, got, batch)
	if refused != 1 || tx.batch.gso.Load() || tx.offload().fallbacks != 1 {
		t.Fatalf("refused %d, gso %v, fallbacks %d; want 1, false, 1", refused, tx.batch.gso.Load(), tx.offload().fallbacks)
	}
	// From now on nothing is segmented.
	segmented = 0
	if err := tx.WriteBatch(batch); err != nil {
		t.Fatal(err)
	}
	got, _ = readAll(t, rx, len(batch), 2048)
	sameDatagrams(t, got, batch)
	if segmented != 0 {
		t.Fatalf("%d segmented sends after the fallback", segmented)
	}
}

// Another error loses only the message it hit: the rest of the batch goes
// out, and the error says how many datagrams were lost.
func TestWriteErrorLosesOneMessage(t *testing.T) {
	tx, rx := udpPair(t)
	tx.batch.disableOffload()
	calls := 0
	tx.batch.send = func(fd uintptr, hs []mmsghdr) (int, syscall.Errno) {
		if calls++; calls == 2 {
			return 0, unix.ENOBUFS // the second datagram
		}
		return sendmmsg(fd, hs[:1])
	}
	to := rx.LocalAddr()
	batch := burst(to, 0, 4, 100, 0)
	batch = append(batch, Packet{Buf: []byte("x"), Addr: netip.AddrPort{}}) // no address
	err := tx.WriteBatch(batch)
	var we *writeError
	if !errors.As(err, &we) || we.lost != 2 {
		t.Fatalf("error %v, want 2 lost", err)
	}
	got, _ := readAll(t, rx, 3, 2048)
	sameDatagrams(t, got, []Packet{batch[0], batch[2], batch[3]})
}

// With buffers of CoalesceBufferSize, a segmented send arrives as one
// coalesced read (GRO) that splits back into the datagrams; with small
// buffers, coalescing is off and they arrive one by one.
func TestGROCoalescedRead(t *testing.T) {
	tx, rx := udpPair(t)
	if !tx.batch.gso.Load() || !rx.coalesces() {
		t.Skip("kernel without UDP GSO or GRO")
	}
	to := rx.LocalAddr()
	batch := burst(to, 0, 10, 1000, 77)
	for _, tc := range []struct {
		size          int
		wantCoalesced bool
	}{{CoalesceBufferSize, true}, {2048, false}, {CoalesceBufferSize, true}} {
		// As when the reader already waits with its buffers: the kernel
		// coalesces what arrives once GRO is on.
		rx.batch.setGRO(tc.size >= CoalesceBufferSize)
		if err := tx.WriteBatch(batch); err != nil {
			t.Fatal(err)
		}
		got, coalesced := readAll(t, rx, len(batch), tc.size)
		sameDatagrams(t, got, batch)
		if (coalesced > 0) != tc.wantCoalesced || rx.offload().gro != tc.wantCoalesced {
			t.Fatalf("buffers of %d: %d coalesced reads, gro %v", tc.size, coalesced, rx.offload().gro)
		}
	}
}

// parseControl finds the UDP_GRO segment size and the SO_RXQ_OVFL drop
// count among the control messages of a receive, and stops at a
// malformed one.
func TestParseControl(t *testing.T) {
	msg := func(level, typ int32, v uint32) []byte {
		b := make([]byte, unix.CmsgSpace(4))
		h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
		h.Level, h.Type = level, typ
		h.SetLen(unix.CmsgLen(4))
		*(*uint32)(unsafe.Pointer(&b[unix.CmsgLen(0)])) = v
		return b
	}
	gro := msg(unix.IPPROTO_UDP, unix.UDP_GRO, 1380)
	ovfl := msg(unix.SOL_SOCKET, unix.SO_RXQ_OVFL, 7)
	other := msg(unix.SOL_SOCKET, unix.SO_TIMESTAMP, 99)
	bad := msg(unix.IPPROTO_UDP, unix.UDP_GRO, 5)
	(*unix.Cmsghdr)(unsafe.Pointer(&bad[0])).SetLen(1 << 10) // longer than the buffer
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	for _, tc := range []struct {
		name  string
		ctl   []byte
		seg   int
		drops uint64
	}{
		{"none", nil, 0, 0},
		{"gro", gro, 1380, 0},
		{"ovfl", ovfl, 0, 7},
		{"both", cat(ovfl, other, gro), 1380, 7},
		{"short header", gro[:unix.SizeofCmsghdr-1], 0, 0},
		{"malformed after ovfl", cat(ovfl, bad), 0, 7},
	} {
		seg, drops := parseControl(tc.ctl)
		if seg != tc.seg || drops != tc.drops {
			t.Errorf("%s: segment %d, drops %d; want %d, %d", tc.name, seg, drops, tc.seg, tc.drops)
		}
	}
}

// Datagrams the kernel drops because the receive buffer is full are
// counted (SO_RXQ_OVFL), with coalescing off and on.
func TestKernelDropsCounted(t *testing.T) {
	for _, size := range []int{2048, CoalesceBufferSize} {
		tx, rx := udpPair(t)
		if !rx.batch.ovfl {
			t.Skip("kernel without SO_RXQ_OVFL")
		}
		rx.batch.setGRO(size >= CoalesceBufferSize)
		if err := rx.conn.SetReadBuffer(4096); err != nil { // near the kernel's minimum: a few datagrams
			t.Fatal(err)
		}
		// Far more than the buffer holds, then, once it drained, one more
		// datagram that carries the count.
		for range 4 {
			if err := tx.WriteBatch(burst(rx.LocalAddr(), 0, 32, 1000, 0)); err != nil {
				t.Fatal(err)
			}
		}
		pkts := []Packet{{Buf: make([]byte, size)}}
		deadline := time.Now().Add(5 * time.Second)
		for rx.offload().kernelDrops == 0 && time.Now().Before(deadline) {
			if err := tx.WriteBatch(burst(rx.LocalAddr(), 0, 1, 10, 0)); err != nil {
				t.Fatal(err)
			}
			if _, err := rx.ReadBatch(pkts); err != nil {
				t.Fatal(err)
			}
		}
		if d := rx.offload().kernelDrops; d == 0 {
			t.Fatalf("buffers of %d: no kernel drops counted", size)
		}
	}
}
