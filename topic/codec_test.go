package topic

import (
	"bytes"
	"errors"
	"testing"

	"github.com/gwyh/gwyh/pb"
)

type point struct {
	X, Y int
}

func TestCodecsRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		run  func() error
	}{
		{"bytes", func() error { return roundTrip(Bytes(), []byte{1, 2, 3}, bytes.Equal) }},
		{"string", func() error { return roundTrip(String(), "héllo", func(a, b string) bool { return a == b }) }},
		{"json", func() error {
			return roundTrip(JSON[point](), point{3, -4}, func(a, b point) bool { return a == b })
		}},
		{"proto", func() error {
			v := &pb.Message{Data: []byte("x"), Topic: new("t")}
			return roundTrip(Proto[*pb.Message](), v, func(a, b *pb.Message) bool {
				return bytes.Equal(a.Data, b.Data) && a.GetTopic() == b.GetTopic()
			})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func roundTrip[T any](c Codec[T], v T, eq func(a, b T) bool) error {
	b, err := c.Encode(v)
	if err != nil {
		return err
	}
	got, err := c.Decode(b)
	if err != nil {
		return err
	}
	if !eq(got, v) {
		return errMismatch
	}
	return nil
}

var errMismatch = errors.New("round trip changed the value")

func TestCodecsRejectGarbage(t *testing.T) {
	bad := []byte{0xff, 0xfe, 0x07}
	if _, err := String().Decode(bad); err == nil {
		t.Error("String decoded invalid UTF-8")
	}
	if _, err := JSON[point]().Decode(bad); err == nil {
		t.Error("JSON decoded garbage")
	}
	if _, err := Proto[*pb.Message]().Decode(bad); err == nil {
		t.Error("Proto decoded garbage")
	}
}

func TestBytesDecodeCopies(t *testing.T) {
	in := []byte{1, 2, 3}
	out, _ := Bytes().Decode(in)
	out[0] = 9
	if in[0] != 1 {
		t.Fatal("Bytes().Decode aliases its input")
	}
}
