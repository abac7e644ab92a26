// Checks a static Go program (CGO_ENABLED=0: the Go runtime makes its own clone, futex,
// signal and mmap calls): goroutines fanning work out over a channel and results back in,
// sync.WaitGroup, sync.Mutex under 16 goroutines, sync.Once, a buffered channel, select
// with time.After, time.Timer (Stop and Reset) and time.Ticker, runtime.GC under allocation
// load from 4 goroutines (the live lists survive intact), and runtime.NumCPU and GOMAXPROCS
// printed only as ">= 1"; a line on stderr.
package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"time"
)

type node struct {
	value int
	next  *node
}

func main() {
	// Fan-out / fan-in: 8 workers square 1..1000.
	jobs := make(chan int)
	results := make(chan int, 16)
	var workers sync.WaitGroup
	for w := 0; w < 8; w++ {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for n := range jobs {
				results <- n * n
			}
		}()
	}
	go func() {
		for n := 1; n <= 1000; n++ {
			jobs <- n
		}
		close(jobs)
	}()
	go func() {
		workers.Wait()
		close(results)
	}()
	sum, count := 0, 0
	for r := range results {
		sum += r
		count++
	}
	fmt.Printf("fan-out/fan-in: %d results, sum of squares %d\n", count, sum)

	// Mutex and WaitGroup: 16 goroutines x 10000 increments.
	var lock sync.Mutex
	var group sync.WaitGroup
	counter := 0
	for g := 0; g < 16; g++ {
		group.Add(1)
		go func() {
			defer group.Done()
			for i := 0; i < 10000; i++ {
				lock.Lock()
				counter++
				lock.Unlock()
			}
		}()
	}
	group.Wait()
	fmt.Printf("16 goroutines x 10000 locked increments: %d\n", counter)

	// sync.Once from many goroutines; results collected and sorted.
	var once sync.Once
	onceCalls := 0
	ids := make(chan int, 10)
	for g := 0; g < 10; g++ {
		group.Add(1)
		go func(id int) {
			defer group.Done()
			once.Do(func() { onceCalls++ })
			ids <- id
		}(g)
	}
	group.Wait()
	close(ids)
	var seen []int
	for id := range ids {
		seen = append(seen, id)
	}
	sort.Ints(seen)
	fmt.Printf("sync.Once ran %d time(s); goroutines reported %v\n", onceCalls, seen)

	// Timers: time.After in a select, a stopped timer never fires, a reset one does.
	start := time.Now()
	never := make(chan int)
	select {
	case <-never:
		fmt.Println("select: unexpected value")
	case <-time.After(20 * time.Millisecond):
		fmt.Printf("select: time.After fired, waited at least 20 ms: %v\n", time.Since(start) >= 20*time.Millisecond)
	}
	stopped := time.NewTimer(time.Hour)
	fmt.Printf("Stop of a pending timer: %v\n", stopped.Stop())
	timer := time.NewTimer(time.Hour)
	start = time.Now()
	timer.Reset(10 * time.Millisecond)
	<-timer.C
	fmt.Printf("reset timer fired after at least 10 ms: %v\n", time.Since(start) >= 10*time.Millisecond)
	ticker := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < 3; i++ {
		<-ticker.C
	}
	ticker.Stop()
	fmt.Println("ticker ticked 3 times")

	// Allocation load with explicit collections: 4 goroutines build lists, garbage in between.
	var stats runtime.MemStats
	runtime.ReadMemStats(&stats)
	gcBefore := stats.NumGC
	totals := make([]int, 4)
	for g := 0; g < 4; g++ {
		group.Add(1)
		go func(g int) {
			defer group.Done()
			var keep *node
			for i := 0; i < 20000; i++ {
				_ = make([]byte, 256) // garbage
				if i%10 == 0 {
					keep = &node{value: i, next: keep}
				}
				if i%5000 == 0 {
					runtime.GC()
				}
			}
			for n := keep; n != nil; n = n.next {
				totals[g] += n.value
			}
		}(g)
	}
	group.Wait()
	runtime.GC()
	runtime.ReadMemStats(&stats)
	fmt.Printf("lists built under GC: %v; collections ran: %v\n", totals, stats.NumGC > gcBefore)

	// Buffered channel as a semaphore: at most 3 goroutines inside at once.
	slots := make(chan struct{}, 3)
	var inside, maxInside int
	var insideLock sync.Mutex
	for g := 0; g < 12; g++ {
		group.Add(1)
		go func() {
			defer group.Done()
			slots <- struct{}{}
			insideLock.Lock()
			inside++
			if inside > maxInside {
				maxInside = inside
			}
			insideLock.Unlock()
			time.Sleep(time.Millisecond)
			insideLock.Lock()
			inside--
			insideLock.Unlock()
			<-slots
		}()
	}
	group.Wait()
	fmt.Printf("semaphore channel: at most 3 inside: %v\n", maxInside <= 3 && maxInside >= 1)

	fmt.Printf("runtime.NumCPU() >= 1: %v, GOMAXPROCS >= 1: %v\n", runtime.NumCPU() >= 1, runtime.GOMAXPROCS(0) >= 1)
	fmt.Fprintln(os.Stderr, "done")
}
