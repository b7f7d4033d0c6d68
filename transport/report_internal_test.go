package transport

import "testing"

// Only packets with payload make a report due; the report then counts
// every packet of the session, control ones and shed ones included (shed
// ones as missing). A report answering control-only packets would have two
// idle peers trade reports every ReportInterval for ever.
func TestReportOnlyAfterPayload(t *testing.T) {
	type pkt struct {
		ctr        uint64
		data, shed bool
	}
	tests := []struct {
		name    string
		pkts    []pkt
		due     bool
		packets uint64 // of the report, when due
		highest uint64
	}{
		{"nothing", nil, false, 0, 0},
		{"a report or a ping", []pkt{{ctr: 0}, {ctr: 1}}, false, 0, 0},
		{"payload", []pkt{{ctr: 0, data: true}}, true, 1, 1},
		{"payload after pings", []pkt{{ctr: 0}, {ctr: 1}, {ctr: 2, data: true}}, true, 3, 3},
		{"control after payload", []pkt{{ctr: 0, data: true}, {ctr: 4}}, true, 2, 5},
		{"shed payload", []pkt{{ctr: 0, data: true, shed: true}}, true, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp := &keypair{remote: 7}
			for _, p := range tt.pkts {
				kp.received(p.ctr, 100, p.data, p.shed)
			}
			r, ok := kp.takeReport()
			if ok != tt.due {
				t.Fatalf("report due %v, want %v", ok, tt.due)
			}
			if !ok {
				return
			}
			if r.Index != 7 || r.Packets != tt.packets || r.Highest != tt.highest || r.Bytes != 100*tt.packets {
				t.Fatalf("report %+v, want index 7, packets %d, highest %d", r, tt.packets, tt.highest)
			}
			// Once taken, a report is due again only after more payload:
			// the peer's answer (a report) makes none.
			kp.received(tt.highest, 100, false, false)
			if _, again := kp.takeReport(); again {
				t.Fatal("a control-only packet after a report made another due")
			}
			kp.received(tt.highest+1, 100, true, false)
			if _, again := kp.takeReport(); !again {
				t.Fatal("payload after a report made none due")
			}
		})
	}
}
