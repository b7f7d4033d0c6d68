package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"time"
)

// startProfiles starts a CPU profile into cpuFile when it is not empty and
// returns the function that stops it and, when heapFile is not empty,
// writes a heap profile there (go tool pprof reads both).
func startProfiles(cpuFile, heapFile string) (stop func() error, err error) {
	var cpu *os.File
	if cpuFile != "" {
		if cpu, err = os.Create(cpuFile); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
		}
		if heapFile != "" {
			errs = append(errs, writeHeap(heapFile))
		}
		return errors.Join(errs...)
	}, nil
}

// startTrace starts an execution trace into file when it is not empty and
// returns the function that stops it.
func startTrace(file string) (stop func() error, err error) {
	if file == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("trace: %w", err)
	}
	return func() error {
		trace.Stop()
		return f.Close()
	}, nil
}

// writeHeap writes a heap profile to name.
func writeHeap(name string) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	runtime.GC() // up-to-date in-use figures
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("heap profile: %w", err)
	}
	return f.Close()
}

// peakHeap keeps the heap profile of the moment with the most live heap
// among those it is shown (gwyh sim -memprofile: the tenths of a run).
type peakHeap struct {
	live    uint64 // bytes of live heap in prof
	at      time.Duration
	prof    bytes.Buffer
	scratch bytes.Buffer
	err     error
}

// sample collects garbage, and keeps a heap profile when the live heap is
// the largest seen so far. at is when (virtual time) the sample is taken.
func (p *peakHeap) sample(at time.Duration) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc <= p.live || p.err != nil {
		return
	}
	p.scratch.Reset()
	if err := pprof.Lookup("heap").WriteTo(&p.scratch, 0); err != nil {
		p.err = fmt.Errorf("heap profile: %w", err)
		return
	}
	p.live, p.at = ms.HeapAlloc, at
	p.prof, p.scratch = p.scratch, p.prof
}

// write writes the kept profile to name.
func (p *peakHeap) write(name string) error {
	if p.err != nil {
		return p.err
	}
	if p.prof.Len() == 0 {
		return errors.New("heap profile: the run ended before its first tenth")
	}
	if err := os.WriteFile(name, p.prof.Bytes(), 0o644); err != nil {
		return fmt.Errorf("heap profile: %w", err)
	}
	return nil
}
