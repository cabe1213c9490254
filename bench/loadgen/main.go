// loadgen: a closed-loop HTTP load generator for the REST proxy benchmarks. N keep-alive
// clients each send one request, wait for its answer, and send the next, for a warm-up and then a
// measured period. It prints one JSON line: requests/s, status counts, latency percentiles, its
// own CPU and (with -pid) the server's CPU over the measured period, so that the generator's cost
// is shown next to the server's.
//
// The HTTP client is github.com/valyala/fasthttp (HostClient): it sends and reads on the calling
// goroutine and reuses a client's request and response, so a request costs no allocation and no
// goroutine hand-off. net/http's Transport, used before, cost more CPU per request than the proxy
// it measured on the same 2 cores (a read and a write goroutine per connection, a new request,
// response and body reader each time).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
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
	BrokerCPUMs   *float64         `json:"brokerCpuMs,omitempty"`
	BrokerCPUPerK *float64         `json:"brokerCpuMsPer1000,omitempty"`
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

// hostClients is one fasthttp.HostClient per host of the -url list (the harness gives one host),
// each holding up to `clients` keep-alive connections: one per client, one request in flight on it.
func hostClients(urls []string, clients int, unix string) (map[string]*fasthttp.HostClient, error) {
	hosts := map[string]*fasthttp.HostClient{}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("-url %q is not an http(s) URL", raw)
		}
		key := u.Scheme + "://" + u.Host
		if hosts[key] != nil {
			continue
		}
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
		}
		client := &fasthttp.HostClient{
			Addr:     addr,
			IsTLS:    u.Scheme == "https",
			MaxConns: clients,
			// A connection the server closed is replaced on the next request; waiting for one
			// (never more than `clients` requests are in flight) beats failing with ErrNoFreeConns.
			MaxConnWaitTimeout:       60 * time.Second,
			ReadTimeout:              60 * time.Second, // as net/http's Client.Timeout was
			WriteTimeout:             60 * time.Second,
			DisablePathNormalizing:   true, // the URL is sent as given
			NoDefaultUserAgentHeader: true,
		}
		if unix != "" {
			client.Dial = func(string) (net.Conn, error) { return net.Dial("unix", unix) }
		}
		hosts[key] = client
	}
	return hosts, nil
}

// pixyMessage is what -pixy-ack reads of a Kafka-Pixy consume answer.
type pixyMessage struct {
	Partition *int   `json:"partition"`
	Offset    *int64 `json:"offset"`
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
	brokerPid := flag.Int("broker-pid", 0, "the Kafka broker's pid, for its CPU over the same period (brokerCpuMs)")
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
	hosts, err := hostClients(urls, *clients, *unix)
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(2)
	}

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
			// The client's requests, one per URL, built once: method, headers and body do not change.
			requests := make([]*fasthttp.Request, len(urls))
			targets := make([]*fasthttp.HostClient, len(urls))
			for i, raw := range urls {
				req := fasthttp.AcquireRequest()
				req.SetRequestURI(raw)
				req.Header.SetMethod(*method)
				for _, h := range hdrs {
					name, value, _ := strings.Cut(h, ":")
					req.Header.Set(strings.TrimSpace(name), strings.TrimSpace(value))
				}
				req.SetBody(body)
				requests[i] = req
				u, _ := url.Parse(raw)
				targets[i] = hosts[u.Scheme+"://"+u.Host]
			}
			res := fasthttp.AcquireResponse()
			local := map[int]int64{}
			own := make([]time.Duration, 0, 1<<16)
			// With -pixy-ack: the URL plus &noAck, or plus the query that acks the last message received.
			uri := []byte{}
			noAck := true
			var msg pixyMessage
			var partition int
			var offset int64
			for i := c; !stop.Load(); i++ {
				req := requests[i%len(urls)]
				if *pixyAck {
					uri = append(uri[:0], urls[i%len(urls)]...)
					if noAck {
						uri = append(uri, "&noAck"...)
					} else {
						uri = append(uri, "&ackPartition="...)
						uri = strconv.AppendInt(uri, int64(partition), 10)
						uri = append(uri, "&ackOffset="...)
						uri = strconv.AppendInt(uri, offset, 10)
					}
					req.SetRequestURIBytes(uri)
				}
				started := time.Now()
				err := targets[i%len(urls)].Do(req, res)
				elapsed := time.Since(started)
				// A request that got no answer leaves the ack as it was: the message may still be unacked.
				if *pixyAck && err == nil {
					msg = pixyMessage{}
					noAck = !(res.StatusCode() == 200 && json.Unmarshal(res.Body(), &msg) == nil && msg.Partition != nil && msg.Offset != nil)
					if !noAck {
						partition, offset = *msg.Partition, *msg.Offset
					}
				}
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
				local[res.StatusCode()]++
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
	serverStart, brokerStart := 0.0, 0.0
	if *pid != 0 {
		serverStart, _ = processCPUMs(*pid)
	}
	if *brokerPid != 0 {
		brokerStart, _ = processCPUMs(*brokerPid)
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
	var brokerCPU *float64
	if *brokerPid != 0 {
		if end, err := processCPUMs(*brokerPid); err == nil {
			v := end - brokerStart
			brokerCPU = &v
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
	if brokerCPU != nil {
		r.BrokerCPUMs = brokerCPU
		if requests > 0 {
			per := *brokerCPU * 1000 / float64(requests)
			r.BrokerCPUPerK = &per
		}
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
