#!/usr/bin/env bash
# Regenerates rpc.pb.go from rpc.proto with pinned tools. Run via `go generate ./pb`.
set -euo pipefail
cd "$(dirname "$0")"

want_protoc="libprotoc 3.21.12" # Debian bookworm's protobuf-compiler
have_protoc=$(protoc --version 2>/dev/null || true)
if [ "$have_protoc" != "$want_protoc" ]; then
  echo "gen.sh: need protoc '$want_protoc' (apt-get install protobuf-compiler), have '${have_protoc:-none}'" >&2
  exit 1
fi

# protoc-gen-go at the version go.mod pins for google.golang.org/protobuf.
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/protoc-gen-go" google.golang.org/protobuf/cmd/protoc-gen-go

protoc --plugin=protoc-gen-go="$bin/protoc-gen-go" \
  --go_out=. --go_opt=paths=source_relative rpc.proto
