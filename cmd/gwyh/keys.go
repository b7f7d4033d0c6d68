package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gwyh/gwyh/peer"
	"github.com/gwyh/gwyh/transport"
)

func init() {
	commands["keygen"] = command{"write a new identity file and/or network key file", runKeygen}
}

// parseNetworkKeys parses the content of a network key file: one or more
// keys, each 64 hex digits on a line of its own (surrounding blanks, empty
// lines and lines starting with # are ignored), the first being the
// primary; or exactly 32 raw bytes, one key.
func parseNetworkKeys(b []byte) ([][]byte, error) {
	var keys [][]byte
	var bad error
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := hex.DecodeString(line)
		if err != nil || len(k) != transport.NetworkKeySize {
			bad = fmt.Errorf("line %d: want 64 hex digits (a 32-byte key)", i+1)
			break
		}
		keys = append(keys, k)
	}
	switch {
	case bad == nil && len(keys) > 0:
		return keys, nil
	case len(b) == transport.NetworkKeySize:
		return [][]byte{bytes.Clone(b)}, nil // raw
	case bad != nil:
		return nil, bad
	}
	return nil, errors.New("no key: want lines of 64 hex digits, or 32 raw bytes")
}

// readNetworkKeys reads the network key files at paths, in order, and
// returns their keys in order: the first key of the first file is the
// primary.
func readNetworkKeys(paths []string) ([][]byte, error) {
	var keys [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		k, err := parseNetworkKeys(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		keys = append(keys, k...)
	}
	if err := transport.ValidateNetworkKeys(keys); err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), transport.ErrConfig.Error()+": ", ""))
	}
	return keys, nil
}

// describeKeys is a one-line summary of a keyring for the operator:
// "primary 0123456789abcdef, also accepted fedcba9876543210".
func describeKeys(keys [][]byte) string {
	if len(keys) == 0 {
		return "none"
	}
	s := "primary " + transport.NetworkKeyID(keys[0])
	if len(keys) > 1 {
		ids := make([]string, 0, len(keys)-1)
		for _, k := range keys[1:] {
			ids = append(ids, transport.NetworkKeyID(k))
		}
		s += ", also accepted " + strings.Join(ids, " ")
	}
	return s
}

func runKeygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gwyh keygen", flag.ContinueOnError)
	identity := fs.String("identity", "", "write a new identity (PEM, the format -identity of 'gwyh node' reads) to this file")
	netKey := fs.String("network-key", "", "write a new random 32-byte network key (64 hex digits) to this file")
	force := fs.Bool("force", false, "replace files that exist (by default keygen refuses to)")
	if code := parseFlags(fs, args, `usage: gwyh keygen [-identity FILE] [-network-key FILE] [-force]

Writes a new identity file, a new network key file, or both, readable by
their owner only (mode 0600), and prints the peer ID of the identity and
the ID (fingerprint) of the network key. It refuses to replace a file that
exists unless -force is given. Give the identity file to one node
('gwyh node -identity FILE') and the network key file to every node of the
cluster ('gwyh node -network-key FILE'). A network key file holds one key
per line; to rotate a cluster's key, see 'gwyh node -h' and the README.

example:
  gwyh keygen -identity node1.key -network-key cluster.key

flags:
`, stderr); code >= 0 {
		return code
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "gwyh keygen: unexpected argument %q (run 'gwyh keygen -h')\n", fs.Arg(0))
		return 2
	case *identity == "" && *netKey == "":
		fmt.Fprintln(stderr, "gwyh keygen: nothing to write: give -identity FILE, -network-key FILE or both")
		return 2
	case *identity != "" && *identity == *netKey:
		fmt.Fprintln(stderr, "gwyh keygen: -identity and -network-key name the same file")
		return 2
	}
	// Check both before writing either, so that a refusal writes nothing.
	if !*force {
		for _, p := range []string{*identity, *netKey} {
			if _, err := os.Lstat(p); p != "" && err == nil {
				fmt.Fprintf(stderr, "gwyh keygen: %s exists; give -force to replace it\n", p)
				return 1
			}
		}
	}
	if *identity != "" {
		id, err := writeIdentity(*identity, *force)
		if err != nil {
			fmt.Fprintf(stderr, "gwyh keygen: -identity: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "identity %s: peer ID %s\n", *identity, id)
	}
	if *netKey != "" {
		key := make([]byte, transport.NetworkKeySize)
		if _, err := rand.Read(key); err != nil {
			fmt.Fprintf(stderr, "gwyh keygen: %v\n", err)
			return 1
		}
		if err := writeSecret(*netKey, []byte(hex.EncodeToString(key)+"\n"), *force); err != nil {
			fmt.Fprintf(stderr, "gwyh keygen: -network-key: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "network key %s: key ID %s\n", *netKey, transport.NetworkKeyID(key))
	}
	return 0
}

// writeIdentity writes a new identity to path, in the format
// peer.LoadIdentity reads (it has LoadIdentity create it under a temporary
// name beside path, then moves the content into place), and returns its ID.
func writeIdentity(path string, force bool) (peer.ID, error) {
	var nonce [8]byte
	_, _ = rand.Read(nonce[:])
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".new-"+hex.EncodeToString(nonce[:]))
	ident, err := peer.LoadIdentity(tmp)
	if err != nil {
		return peer.ID{}, err
	}
	pem, err := os.ReadFile(tmp)
	os.Remove(tmp)
	if err != nil {
		return peer.ID{}, err
	}
	if err := writeSecret(path, pem, force); err != nil {
		return peer.ID{}, err
	}
	return ident.ID(), nil
}

// writeSecret writes data to a file at path readable by its owner only
// (mode 0600). Without force it fails if path exists; with force it
// replaces path atomically (a temporary file renamed over it).
func writeSecret(path string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s exists; give -force to replace it", path)
		}
		if err != nil {
			return err
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			os.Remove(path)
			return err
		}
		return f.Close()
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".new-*") // mode 0600
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
