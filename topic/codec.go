package topic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
)

// Codec turns values into message data and back. Implementations must be
// safe for concurrent use. Decode must not keep or modify its argument
// (it is shared with the node's message cache); Encode's result is copied
// by Publish, so the codec may reuse it afterwards.
type Codec[T any] interface {
	Encode(T) ([]byte, error)
	Decode([]byte) (T, error)
}

// Bytes returns the identity codec: data is the value. Decode copies.
func Bytes() Codec[[]byte] { return bytesCodec{} }

type bytesCodec struct{}

func (bytesCodec) Encode(b []byte) ([]byte, error) { return b, nil }
func (bytesCodec) Decode(b []byte) ([]byte, error) { return bytes.Clone(b), nil }

// String returns a codec for UTF-8 strings; Decode rejects invalid UTF-8.
func String() Codec[string] { return stringCodec{} }

type stringCodec struct{}

func (stringCodec) Encode(s string) ([]byte, error) { return []byte(s), nil }
func (stringCodec) Decode(b []byte) (string, error) {
	if !utf8.Valid(b) {
		return "", fmt.Errorf("topic: string codec: invalid UTF-8")
	}
	return string(b), nil
}

// JSON returns a codec that encodes T with encoding/json.
func JSON[T any]() Codec[T] { return jsonCodec[T]{} }

type jsonCodec[T any] struct{}

func (jsonCodec[T]) Encode(v T) ([]byte, error) { return json.Marshal(v) }
func (jsonCodec[T]) Decode(b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// Proto returns a codec for a generated protobuf message type, used as its
// pointer: topic.Proto[*mypb.Event](). Decode fails on bytes that are not
// a valid encoding of T.
func Proto[T proto.Message]() Codec[T] { return protoCodec[T]{} }

type protoCodec[T proto.Message] struct{}

func (protoCodec[T]) Encode(v T) ([]byte, error) { return proto.Marshal(v) }
func (protoCodec[T]) Decode(b []byte) (T, error) {
	var zero T
	v := zero.ProtoReflect().New().Interface().(T)
	if err := proto.Unmarshal(b, v); err != nil {
		return zero, err
	}
	return v, nil
}
