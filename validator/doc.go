// Package validator holds the pieces of GossipSub v1.1 extended validation
// ("Extended Validators" in gossipsub-v1.1.md) that the router uses: the
// three validation results, the synchronous validator function type, and the
// bookkeeping for asynchronous validations in flight (global and per-topic
// limits, timeouts). It is pure: no goroutines, no clock, no I/O.
package validator
