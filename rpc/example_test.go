package rpc_test

import (
	"errors"
	"fmt"

	"github.com/gwyh/gwyh/rpc"
)

// Limits: start from the defaults, tighten what matters, and tell limit
// violations (a *LimitError naming the limit) from malformed payloads.
func ExampleLimits() {
	lim := rpc.DefaultLimits()
	lim.MaxIHaveIDs = 2

	batch := rpc.RPC{IHave: []rpc.IHave{{Topic: "blocks", IDs: []string{"a", "b", "c"}}}}
	payloads := rpc.Pack(nil, &batch, 1400)

	var got rpc.RPC
	err := rpc.Decode(payloads[0], lim, &got)
	var le *rpc.LimitError
	switch {
	case errors.As(err, &le):
		fmt.Println("too large:", le.What, le.Got, ">", le.Limit, errors.Is(err, rpc.ErrTooLarge))
	case errors.Is(err, rpc.ErrMalformed):
		fmt.Println("malformed:", err)
	}

	err = rpc.Decode([]byte{0x12, 0x05, 0x01}, lim, &got)
	fmt.Println(errors.Is(err, rpc.ErrMalformed), err)
	// Output:
	// too large: IHAVE ids 3 > 2 true
	// true rpc: malformed payload: length past end
}
