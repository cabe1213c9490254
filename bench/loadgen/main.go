// loadgen: a closed-loop HTTP load generator for the REST proxy benchmarks. N keep-alive
// clients each send one request, wait for its answer, and send the next, for a warm-up and then a
// measured period. It prints one JSON line: requests/s, status counts, latency percentiles, its
// own CPU and (with -pid) the server's CPU over the measured period, so that the generator's cost
// is shown next to the server's.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

// Result is the one JSON line printed.
type Result struct {
	Requests      int64            `json:"requests"`
	Seconds       float64          `json:"seconds"`
	RequestsPerS  float64          `json:"requestsPerSec"`
	OkPerS        float64          `json:"okPerSec"`
	Statuses      map[string]int64 `json:"statuses"`
	Errors        int64            `json:"errors"`
	FirstError    string           `json:"firstError,omitempty"`
	P50Ms         float64          `json:"p50Ms"`
	P90Ms         float64          `json:"p90Ms"`
	P99Ms         float64          `json:"p99Ms"`
	P999Ms        float64          `json:"p999Ms"`
	MaxMs         float64          `json:"maxMs"`
	ClientCPUMs   float64          `json:"clientCpuMs"`
	ServerCPUMs   *float64         `json:"serverCpuMs,omitempty"`
	ServerCPUPerK *float64         `json:"serverCpuMsPer1000,omitempty"`
	ClientCPUPerK float64          `json:"clientCpuMsPer1000"`
}

// processCPUMs is a process's user+system CPU from /proc/<pid>/stat, in ms.
func processCPUMs(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command (which may hold spaces) start after the last ')'.
	fields := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+2:]))
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) * 1000 / 100, nil // USER_HZ is 100 on Linux
}

func selfCPUMs() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

func main() {
	target := flag.String("url", "", "request URL (several separated by spaces: clients take them in turn)")
	method := flag.String("method", "POST", "HTTP method")
	bodySize := flag.Int("body-size", 0, "a body of this many 'x' bytes")
	bodyText := flag.String("body", "", "the body (instead of -body-size)")
	clients := flag.Int("c", 64, "concurrent keep-alive clients")
	duration := flag.Duration("duration", 15*time.Second, "measured period")
	warmup := flag.Duration("warmup", 2*time.Second, "warm-up before measuring")
	pid := flag.Int("pid", 0, "the server's pid, for its CPU")
	unix := flag.String("unix", "", "connect to this Unix socket instead of the URL's host")
	pixyAck := flag.Bool("pixy-ack", false, "Kafka-Pixy explicit acks: a client's first request (and one after a non-200) adds &noAck, each later one acks the message the previous one got (&ackPartition=P&ackOffset=O), which Kafka-Pixy takes as explicit-ack mode for the message it answers")
	var hdrs headers
	flag.Var(&hdrs, "H", "a request header 'Name: value' (repeatable)")
	flag.Parse()
	if *target == "" {
		fmt.Fprintln(os.Stderr, "loadgen: -url is required")
		os.Exit(2)
	}
	urls := strings.Fields(*target)
	body := []byte(*bodyText)
	if *bodySize > 0 {
		body = bytes.Repeat([]byte("x"), *bodySize)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients, DisableCompression: true}
	if *unix != "" {
		transport.DialContext = nil
		transport.Dial = func(_, _ string) (net.Conn, error) { return net.Dial("unix", *unix) }
	}
	client := &http.Client{Transport: transport, Timeout: 60 * time.Second}

	var measuring atomic.Bool
	var stop atomic.Bool
	var mu sync.Mutex
	statuses := map[string]int64{}
	var errors int64
	firstError := ""
	latencies := make([][]time.Duration, *clients)
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			local := map[int]int64{}
			own := make([]time.Duration, 0, 1<<16)
			ack := "" // with -pixy-ack: &noAck, or the query that acks the last message received
			if *pixyAck {
				ack = "&noAck"
			}
			for i := c; !stop.Load(); i++ {
				req, _ := http.NewRequest(*method, urls[i%len(urls)]+ack, bytes.NewReader(body))
				for _, h := range hdrs {
					name, value, _ := strings.Cut(h, ":")
					req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
				}
				started := time.Now()
				res, err := client.Do(req)
				if err == nil {
					if *pixyAck {
						var msg struct {
							Partition *int   `json:"partition"`
							Offset    *int64 `json:"offset"`
						}
						data, readErr := io.ReadAll(res.Body)
						err = readErr
						ack = "&noAck"
						if res.StatusCode == 200 && json.Unmarshal(data, &msg) == nil && msg.Partition != nil && msg.Offset != nil {
							ack = fmt.Sprintf("&ackPartition=%d&ackOffset=%d", *msg.Partition, *msg.Offset)
						}
					} else {
						_, err = io.Copy(io.Discard, res.Body)
					}
					res.Body.Close()
				}
				elapsed := time.Since(started)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					mu.Lock()
					errors++
					if firstError == "" {
						firstError = err.Error()
					}
					mu.Unlock()
					continue
				}
				local[res.StatusCode]++
				own = append(own, elapsed)
			}
			mu.Lock()
			for code, n := range local {
				statuses[strconv.Itoa(code)] += n
			}
			latencies[c] = own
			mu.Unlock()
		}(c)
	}
	time.Sleep(*warmup)
	serverStart := 0.0
	if *pid != 0 {
		serverStart, _ = processCPUMs(*pid)
	}
	clientStart := selfCPUMs()
	started := time.Now()
	measuring.Store(true)
	time.Sleep(*duration)
	measuring.Store(false)
	seconds := time.Since(started).Seconds()
	clientCPU := selfCPUMs() - clientStart
	var serverCPU *float64
	if *pid != 0 {
		if end, err := processCPUMs(*pid); err == nil {
			v := end - serverStart
			serverCPU = &v
		}
	}
	stop.Store(true)
	wg.Wait()

	all := []time.Duration{}
	for _, own := range latencies {
		all = append(all, own...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	requests := int64(len(all))
	ok := statuses["200"]
	r := Result{
		Requests: requests, Seconds: seconds, RequestsPerS: float64(requests) / seconds, OkPerS: float64(ok) / seconds,
		Statuses: statuses, Errors: errors, FirstError: firstError,
		P50Ms: percentile(all, 0.50), P90Ms: percentile(all, 0.90), P99Ms: percentile(all, 0.99), P999Ms: percentile(all, 0.999),
		ClientCPUMs: clientCPU,
	}
	if len(all) > 0 {
		r.MaxMs = float64(all[len(all)-1].Microseconds()) / 1000
	}
	if requests > 0 {
		r.ClientCPUPerK = clientCPU * 1000 / float64(requests)
	}
	if serverCPU != nil {
		r.ServerCPUMs = serverCPU
		if requests > 0 {
			per := *serverCPU * 1000 / float64(requests)
			r.ServerCPUPerK = &per
		}
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
