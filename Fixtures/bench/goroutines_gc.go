// Threads, Go: goroutine fan-out with the garbage collector working under load. A producer
// hands `tasks` jobs (argv[1], default 2000) over a channel to 64 worker goroutines; each
// job builds a fresh binary tree of depth 12 (short-lived garbage), walks it, and keeps
// every 4th tree in a shared ring of 32 slots behind a mutex, a slot holding the latest of
// its jobs (long-lived data the collector must trace while it is replaced). Results come
// back over a second channel. Timed as a whole process by the harness; prints its own wall
// time, a checksum of the walks, the GC cycles and GOMAXPROCS.
// Not a conformance fixture: Fixtures/bench is outside the suite's source folders.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

type node struct {
	left, right *node
	value       int
}

func build(depth, value int) *node {
	if depth == 0 {
		return &node{value: value}
	}
	return &node{left: build(depth-1, 2*value), right: build(depth-1, 2*value+1), value: value}
}

func (n *node) sum() int {
	if n.left == nil {
		return n.value & 0xff
	}
	return n.value&0xff + n.left.sum() + n.right.sum()
}

func main() {
	tasks := 2000
	if len(os.Args) > 1 {
		if n, err := strconv.Atoi(os.Args[1]); err == nil && n > 0 {
			tasks = n
		}
	}
	start := time.Now()
	type kept struct {
		job  int
		tree *node
	}
	var ring [32]kept
	var ringLock sync.Mutex
	jobs := make(chan int, 64)
	results := make(chan int, 64)
	var workers sync.WaitGroup
	for w := 0; w < 64; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for job := range jobs {
				tree := build(12, job)
				if job%4 == 0 {
					// A slot keeps the latest of its jobs, whatever order they finish in.
					slot := (job / 4) % len(ring)
					ringLock.Lock()
					if ring[slot].tree == nil || ring[slot].job < job {
						ring[slot] = kept{job, tree}
					}
					ringLock.Unlock()
				}
				results <- tree.sum()
			}
		}()
	}
	go func() {
		for job := 0; job < tasks; job++ {
			jobs <- job
		}
		close(jobs)
	}()
	go func() {
		workers.Wait()
		close(results)
	}()
	checksum := 0
	for result := range results {
		checksum += result
	}
	ringLock.Lock()
	for _, slot := range ring {
		if slot.tree != nil {
			checksum += slot.tree.sum()
		}
	}
	ringLock.Unlock()
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	fmt.Printf("bench seconds=%.6f\n", time.Since(start).Seconds())
	fmt.Printf("bench checksum=%d\n", checksum)
	fmt.Printf("bench gc_cycles=%d\n", stats.NumGC)
	fmt.Printf("bench gomaxprocs=%d\n", runtime.GOMAXPROCS(0))
}
