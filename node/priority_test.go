package node

import (
	"testing"

	"github.com/gwyh/gwyh/rpc"
	"github.com/gwyh/gwyh/transport"
)

func TestPriority(t *testing.T) {
	tests := []struct {
		name string
		rpc  rpc.RPC
		want transport.Priority
	}{
		{"graft", rpc.RPC{Graft: []rpc.Graft{{Topic: "t"}}}, transport.PriorityControl},
		{"prune", rpc.RPC{Prune: []rpc.Prune{{Topic: "t"}}}, transport.PriorityControl},
		{"subscription", rpc.RPC{Subscriptions: []rpc.SubOpts{{Topic: "t"}}}, transport.PriorityControl},
		{"choke", rpc.RPC{Choke: []rpc.Choke{{Topic: "t"}}}, transport.PriorityControl},
		{"unchoke", rpc.RPC{Unchoke: []rpc.Unchoke{{Topic: "t"}}}, transport.PriorityControl},
		{"message", rpc.RPC{Publish: []rpc.Message{{Topic: "t"}}}, transport.PriorityMessage},
		{"ihave", rpc.RPC{IHave: []rpc.IHave{{Topic: "t"}}}, transport.PriorityGossip},
	}
	for _, tt := range tests {
		if got := priority(&tt.rpc); got != tt.want {
			t.Errorf("%s: priority %v, want %v", tt.name, got, tt.want)
		}
	}
}
