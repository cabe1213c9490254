// The Kafka-Pixy produce route served natively (see http_front.h). One thread runs an epoll loop
// over the listener, the connections, a wake-up eventfd and the front end's own producer's main
// queue (its delivery reports). llhttp (vendored, hidden) parses; consume requests are answered
// here from the records their group leased to this thread (Lease), others and ack requests go to
// JavaScript in batches and their answers come back the same way; a request that is none of the
// routes' exact shape hands its connection, with the bytes read so far, to Node for good.
#include "http_front.h"
#include "handle.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#ifdef __linux__
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

extern "C" {
#include "vendor/llhttp/llhttp.h"
}
#endif

namespace rdk {

#ifdef __linux__
namespace {

thread_local bool on_front_thread = false;

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Date.now(): the clock JavaScript's ack timeouts count on.
double WallMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1000 + static_cast<double>(ts.tv_nsec / 1000000);
}

// A decimal as integer() in pixy.ts reads one: 1 to 16 digits, at most `max`.
bool Decimal(const std::string& s, int64_t max, int64_t* out) {
  if (s.empty() || s.size() > 16) return false;
  int64_t v = 0;
  for (char d : s) {
    if (d < '0' || d > '9') return false;
    v = v * 10 + (d - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

const char* StatusText(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 504: return "Gateway Timeout";
    default: return "Service Unavailable";
  }
}

// What JSON.stringify makes of a string (ASCII and UTF-8 pass through).
void JsonString(std::string* out, const std::string& s) {
  static const char hex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\b': *out += "\\b"; break;
      case '\f': *out += "\\f"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          out->push_back(hex[c >> 4]);
          out->push_back(hex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// Kafka's own topics: it never takes messages produced to them (as pixy.ts).
bool InternalTopic(const std::string& t) {
  return t == "__consumer_offsets" || t == "__transaction_state" || t == "__cluster_metadata" || t == "__share_group_state";
}

// A name topicNameProblem (lib/validate.ts) accepts, spelled as the router passes it on (no '%').
bool PlainTopicName(const char* p, size_t n) {
  if (n == 0 || n > 249) return false;
  if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return false;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) return false;
  }
  return true;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A query value as the querystring parser decodes it ('+' a space, %XX a byte); false for what
// it might decode otherwise (a bad escape, bytes beyond ASCII): those go to Node.
bool DecodeQueryValue(const char* p, size_t n, std::string* out) {
  out->clear();
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= n) return false;
      int hi = HexValue(p[i + 1]), lo = HexValue(p[i + 2]);
      if (hi < 0 || lo < 0 || hi >= 8) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

struct Options {
  std::string host;
  int port = 0;
  std::vector<std::pair<std::string, std::string>> producer_config;
  std::string cluster_name;
  int64_t message_max_bytes = 1000000;
  int64_t max_request_bytes = 16 << 20;
  int64_t max_header_bytes = 16384;
  int64_t headers_timeout_ms = 10000;
  int64_t request_timeout_ms = 60000;
  int64_t keep_alive_timeout_ms = 30000;
  int64_t max_connections = 1000;
  bool auto_create = false;
  bool confluent = false;  // the Confluent listener's routes (JavaScript answers), not Kafka-Pixy's
  std::unordered_set<int> retriable;
  std::vector<double> buckets;  // latency histogram upper bounds, seconds
};

// The routes, by index (kind * 2 + prefixed): Kafka-Pixy's produce, consume and ack, each without
// and with the /clusters/{cluster} prefix (consume and ack are answered by JavaScript, pixy.ts),
// then the Confluent produce without and with the path's partition (answered by confluent.ts).
enum Kind { kProduce = 0, kConsume = 1, kAck = 2, kConfluentProduce = 3 };
constexpr int kRouteCount = 8;
constexpr int kPixyRoutes = 6;  // a Kafka-Pixy instance serves routes [0, 6), a Confluent one [6, 8)
const char* const kRoutes[kRouteCount] = {"/topics/:topic/messages", "/clusters/:cluster/topics/:topic/messages",
                                          "/topics/:topic/messages", "/clusters/:cluster/topics/:topic/messages",
                                          "/topics/:topic/acks",     "/clusters/:cluster/topics/:topic/acks",
                                          "/topics/:topic",          "/topics/:topic/partitions/:partition"};
const char* const kMethods[kRouteCount] = {"POST", "POST", "GET", "GET", "POST", "POST", "POST", "POST"};
// The non-schema v2 produce types (produceFormat in content-type.ts), as clients spell them; any
// other spelling, a v1 or a schema type goes to Node.
bool ConfluentProduceType(const std::string& t) {
  return t == "application/vnd.kafka.binary.v2+json" || t == "application/vnd.kafka.json.v2+json" || t == "application/json";
}
// The statuses the routes answer (the Confluent route's JavaScript gives 401 to 504 as well).
const int kStatuses[] = {200, 400, 401, 403, 404, 408, 409, 413, 415, 422, 429, 500, 501, 502, 503, 504};
constexpr int kStatusCount = sizeof kStatuses / sizeof kStatuses[0];

int StatusIndex(int status) {
  for (int i = 0; i < kStatusCount; i++) {
    if (kStatuses[i] == status) return i;
  }
  return StatusIndex(status >= 500 ? 500 : 400);  // counted with its class rather than lost
}

struct Front;

enum class Phase { Head, Body, Waiting, Closing };

struct Conn {
  int fd = -1;
  Front* front = nullptr;
  llhttp_t parser;
  std::string in;          // bytes read, from the start of the request being parsed
  size_t fed = 0;          // how much of `in` the parser has seen
  std::string out;         // answer bytes not written yet
  size_t out_off = 0;
  Phase phase = Phase::Head;
  bool idle = true;        // between requests, with no byte of the next one yet
  int64_t since = 0;       // Head: when the request (or connection) started; idle: since when
  int64_t request_start = 0;
  bool close_after = false;
  uint32_t events = 0;     // what epoll watches for it
  uint64_t waiter = 0;     // the sync produce waiting for its delivery report
  uint64_t js_id = 0;      // the request JavaScript answers (consume, ack), while it does
  int route = 0;           // index in kRoutes
  int kind = kProduce;
  bool prefixed = false;
  bool dead = false;       // closed or handed over; freed at the end of the loop's turn
  bool queued = false;     // in Front::answered: its answer goes out at the end of the loop's turn

  // The request being parsed.
  std::string url, field, value;
  std::string content_type;
  int content_types = 0, content_lengths = 0, hosts = 0;
  int64_t head_bytes = 0;  // of the target, header names and values, as Node counts them against its limit
  bool odd = false;        // something only Node's app does: hand the connection over
  std::string body;
  bool keep_alive = true;
  bool http10 = false;
  // What Route read from its target.
  std::string topic, cluster, key;
  bool has_key = false, sync = false;
  // consume: group, ackPartition, ackOffset, noAck; ack: group, partition, offset.
  std::string group, first, second;
  bool has_group = false, has_first = false, has_second = false, no_ack = false;
  // Confluent produce: the path's partition, when the route has one.
  std::string partition;
  bool has_partition = false;
};

struct Stats {
  std::atomic<double> counts[kRouteCount][kStatusCount];
  std::atomic<double> duration_sum[kRouteCount];
  std::vector<std::unique_ptr<std::atomic<double>[]>> buckets;  // [route][bucket + 1]
  std::atomic<double> handed_off{0};
};

void AddDouble(std::atomic<double>& a, double v) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

struct Report {
  uint64_t waiter;
  int err;
  int32_t partition;
  int64_t offset;
  size_t size;
};

// Where delivery reports of the front end's messages go, from whichever thread serves the
// producer's queue. Each message in flight holds a reference, so a report that arrives after the
// front end stopped (the producer's flush on close) finds it and is dropped.
struct Sink {
  std::atomic<int64_t> refs{1};  // the front end's own
  std::mutex mutex;
  std::deque<Report> reports;
  int fd = -1;  // eventfd to wake the front end; -1 once it stopped
  std::atomic<double> produced{0}, produced_bytes{0};
  void Release() {
    if (refs.fetch_sub(1) == 1) delete this;
  }
};

// A sync request's message: which waiter its report answers.
struct SyncMessage {
  Sink* sink;
  uint64_t waiter;
};
constexpr uintptr_t kSyncTag = uintptr_t{1} << 62;

// A request for JavaScript (op 1 consume, 2 ack, 4 Confluent produce), a cancel (3): its
// connection went away, or (5) a group's lease running low: JavaScript leases more.
constexpr int kOpConfluentProduce = 4;
constexpr int kOpLeaseLow = 5;
struct JsItem {
  JsItem(int op_, uint64_t id_) : op(op_), id(id_) {}
  int op;
  uint64_t id;
  bool prefixed = false, has_group = false, has_first = false, has_second = false, no_ack = false;
  std::string cluster, topic, group, first, second, url;
  std::string content_type, body;  // Confluent produce (cluster unused; first: the path's partition)
};

// What the front end queues for JavaScript, drained by one call for all that came since the last.
struct JsQueue {
  std::mutex mutex;
  std::vector<JsItem> items;
  bool scheduled = false;  // a call to drain it is on its way
};

struct JsAnswer {
  uint64_t id;
  int status;
  std::string body;
  bool close;  // the connection closes after it (as Fastify after a body it could not parse)
};

// The records a Kafka-Pixy group consumer leased to this thread (HttpFrontLease): consume
// requests of its (group, topic) are answered from them here, in order, while they last and until
// `until`. JavaScript takes the log of what was handed out and acked (HttpFrontTake) and does the
// group's bookkeeping (commits, ack timeouts, metrics) as if it had answered them itself.
struct Lease {
  std::deque<std::pair<int32_t, std::string>> records;  // partition, the answer's body
  std::unordered_set<int64_t> handed_out;  // partitions an ack may name (as PixyGroupConsumer.ack checks)
  double until = 0;  // Date.now() ms: past it, JavaScript answers (a message's ack timed out, its reads are due)
  size_t low = 0;    // JavaScript is told once the records are down to this many
  bool told = true;
  std::vector<double> log;  // [kind, partition, offset, Date.now()]: 0 handed out (acked), 1 handed out unacked, 2 an ack
};
constexpr double kHandedOutAcked = 0, kHandedOutUnacked = 1, kAcked = 2;

struct Event {
  int kind;  // 0: a connection for Node (fd, bytes); 1: stopped; 2: a 5xx answer to log (fd: status, bytes: its message)
  int fd;
  std::string bytes;
  std::string url;
};

struct Front {
  Options opt;
  std::shared_ptr<KafkaHandle> producer;  // the proxy's Producer: its client is ours to produce on
  rd_kafka_t* rk = nullptr;
  rd_kafka_queue_t* main_queue = nullptr;  // the producer's: its delivery reports
  Sink* sink = new Sink();
  int epfd = -1, listen_fd = -1, wake_fd = -1, kafka_fd = -1;
  std::thread thread;
  Napi::ThreadSafeFunction events;
  std::atomic<bool> stop_requested{false};
  bool stopping = false;  // thread only
  std::atomic<int64_t> handed_off_alive{0};
  std::unordered_map<int, Conn*> conns;
  std::vector<Conn*> graveyard;
  std::vector<Conn*> answered;  // answers written together once the turn's requests are read
  std::deque<Conn*> blocked;  // waiting for room in librdkafka's queue
  std::unordered_map<uint64_t, Conn*> waiters;
  uint64_t next_waiter = 1;
  std::shared_ptr<JsQueue> to_js = std::make_shared<JsQueue>();
  std::unordered_map<uint64_t, Conn*> js_pending;  // requests JavaScript answers, by id
  std::mutex answers_mutex;
  std::vector<JsAnswer> answers;  // from HttpFrontAnswer, written by this thread
  std::atomic<bool> asleep{false};  // in epoll_wait (or about to be): answers must wake it
  uint64_t next_js_id = 1;
  std::unordered_map<std::string, rd_kafka_topic_t*> topics;
  std::mutex known_mutex;
  std::unordered_set<std::string> known;  // auto_create: topics the JS side made sure of
  std::mutex leases_mutex;
  std::unordered_map<std::string, Lease> leases;  // by "group\0topic"
  llhttp_settings_t settings;
  Stats stats;
  std::string date;
  time_t date_second = 0;
  int64_t last_scan = 0;
  bool accept_paused = false;

  ~Front();
  void Run();
  void Accept();
  void OnReadable(Conn* c);
  void Feed(Conn* c);
  bool Route(Conn* c);
  bool RouteConfluent(Conn* c);
  void Process(Conn* c);
  bool ServeLeased(Conn* c);
  bool Produce(Conn* c);
  void RetryBlocked();
  void HandOff(Conn* c);
  void Answer(Conn* c, int status, const std::string& body, bool close_after = false);
  void ClientError(Conn* c, int status, const std::string& message);
  void Flush(Conn* c);
  void Queue(Conn* c);
  void FlushAnswered();
  void Interest(Conn* c);
  void Close(Conn* c);
  void Delivered(const Report& r);
  void ServeKafka();
  void Scan(int64_t now);
  const std::string& Date();
  void Emit(Event* e);
  void ToJs(JsItem item);
  void ToJsFor(Conn* c, JsItem item);
  void ServeAnswers();
};

void Front::Emit(Event* e) {
  napi_status status = events.BlockingCall(e, [](Napi::Env env, Napi::Function fn, Event* ev) {
    std::unique_ptr<Event> owned(ev);
    if (ev->kind == 0) {
      fn.Call({Napi::String::New(env, "connection"), Napi::Number::New(env, ev->fd),
               Napi::Buffer<char>::Copy(env, ev->bytes.data(), ev->bytes.size())});
    } else if (ev->kind == 2) {
      fn.Call({Napi::String::New(env, "error"), Napi::Number::New(env, ev->fd), Napi::String::New(env, ev->bytes),
               Napi::String::New(env, ev->url)});
    } else {
      fn.Call({Napi::String::New(env, "stopped")});
    }
  });
  if (status != napi_ok) {
    if (e->kind == 0) close(e->fd);
    delete e;
  }
}

// Slots per item of the 'requests' event's array (see native-front.ts).
constexpr uint32_t kJsSlots = 9;

void Front::ToJs(JsItem item) {
  bool schedule;
  {
    std::lock_guard<std::mutex> lock(to_js->mutex);
    to_js->items.push_back(std::move(item));
    schedule = !to_js->scheduled;
    to_js->scheduled = true;
  }
  if (!schedule) return;
  // One call drains everything queued until it runs: under load, one JS wake-up for many requests.
  auto* queue = new std::shared_ptr<JsQueue>(to_js);
  napi_status status = events.BlockingCall(queue, [](Napi::Env env, Napi::Function fn, std::shared_ptr<JsQueue>* q) {
    std::unique_ptr<std::shared_ptr<JsQueue>> owned(q);
    std::vector<JsItem> items;
    {
      std::lock_guard<std::mutex> lock((*q)->mutex);
      items.swap((*q)->items);
      (*q)->scheduled = false;
    }
    Napi::Array a = Napi::Array::New(env, items.size() * kJsSlots);
    Napi::Value none = env.Undefined();
    uint32_t k = 0;
    for (const JsItem& it : items) {
      a.Set(k++, Napi::Number::New(env, it.op));
      a.Set(k++, Napi::Number::New(env, static_cast<double>(it.id)));
      if (it.op == 3) {
        k += kJsSlots - 2;
        continue;
      }
      if (it.op == kOpConfluentProduce) {
        // [4, id, content type, topic, -, the path's partition or undefined, body, -, url]
        a.Set(k++, Napi::String::New(env, it.content_type));
        a.Set(k++, Napi::String::New(env, it.topic));
        k++;
        a.Set(k++, it.has_first ? Napi::String::New(env, it.first) : none);
        a.Set(k++, Napi::String::New(env, it.body));
        k++;
        a.Set(k++, Napi::String::New(env, it.url));
        continue;
      }
      a.Set(k++, it.prefixed ? Napi::String::New(env, it.cluster) : none);
      a.Set(k++, Napi::String::New(env, it.topic));
      a.Set(k++, it.has_group ? Napi::String::New(env, it.group) : none);
      a.Set(k++, it.has_first ? Napi::String::New(env, it.first) : none);
      a.Set(k++, it.has_second ? Napi::String::New(env, it.second) : none);
      a.Set(k++, Napi::Boolean::New(env, it.no_ack));
      a.Set(k++, Napi::String::New(env, it.url));
    }
    fn.Call({Napi::String::New(env, "requests"), a});
  });
  if (status != napi_ok) delete queue;
}

// Answers JavaScript gave (HttpFrontAnswer): written to connections still waiting for them.
void Front::ServeAnswers() {
  std::vector<JsAnswer> batch;
  {
    std::lock_guard<std::mutex> lock(answers_mutex);
    batch.swap(answers);
  }
  for (JsAnswer& a : batch) {
    auto it = js_pending.find(a.id);
    if (it == js_pending.end()) continue;  // its client went away (JS was told)
    Conn* c = it->second;
    js_pending.erase(it);
    c->js_id = 0;
    c->phase = Phase::Body;
    Answer(c, a.status, a.body, a.close);
    if (!c->dead && c->phase == Phase::Head) Feed(c);
    Interest(c);
  }
}

Front::~Front() {
  if (thread.joinable()) {
    stop_requested = true;
    uint64_t one = 1;
    if (write(wake_fd, &one, sizeof one) < 0) {
    }
    thread.join();
  }
  if (wake_fd >= 0) close(wake_fd);
  sink->Release();
}

const std::string& Front::Date() {
  time_t now = time(nullptr);
  if (now != date_second) {
    date_second = now;
    tm t;
    gmtime_r(&now, &t);
    char buf[64];
    strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &t);
    date = buf;
  }
  return date;
}

// llhttp callbacks: the request's pieces, and the hand-over decision once its head is complete.
Conn* Of(llhttp_t* p) { return static_cast<Conn*>(p->data); }

int OnMessageBegin(llhttp_t* p) {
  Conn* c = Of(p);
  c->url.clear();
  c->field.clear();
  c->value.clear();
  c->content_type.clear();
  c->content_types = c->content_lengths = c->hosts = 0;
  c->head_bytes = 0;
  c->odd = false;
  c->body.clear();
  return 0;
}
int OnUrl(llhttp_t* p, const char* at, size_t n) {
  Of(p)->url.append(at, n);
  Of(p)->head_bytes += n;
  return 0;
}
int OnField(llhttp_t* p, const char* at, size_t n) {
  Of(p)->field.append(at, n);
  Of(p)->head_bytes += n;
  return 0;
}
int OnValue(llhttp_t* p, const char* at, size_t n) {
  Of(p)->value.append(at, n);
  Of(p)->head_bytes += n;
  return 0;
}
bool Named(const std::string& s, const char* lower) {
  size_t n = strlen(lower);
  if (s.size() != n) return false;
  for (size_t i = 0; i < n; i++) {
    if (static_cast<char>(tolower(static_cast<unsigned char>(s[i]))) != lower[i]) return false;
  }
  return true;
}
int OnValueComplete(llhttp_t* p) {
  Conn* c = Of(p);
  const std::string& f = c->field;
  if (Named(f, "content-type")) {
    c->content_types++;
    c->content_type = c->value;
  } else if (Named(f, "content-length")) {
    c->content_lengths++;
  } else if (Named(f, "host")) {
    c->hosts++;
  } else if (Named(f, "transfer-encoding") || Named(f, "expect") || Named(f, "upgrade") || Named(f, "authorization") ||
             (f.size() >= 8 && strncasecmp(f.data(), "x-kafka-", 8) == 0)) {
    c->odd = true;
  }
  c->field.clear();
  c->value.clear();
  return 0;
}
int OnHeadersComplete(llhttp_t* p) {
  Conn* c = Of(p);
  Front* f = c->front;
  c->http10 = p->http_major == 1 && p->http_minor == 0;
  bool plain_type = c->content_type == "text/plain" || c->content_type == "application/json";
  bool has_length = (p->flags & F_CONTENT_LENGTH) != 0;
  bool odd = c->odd || (p->method != HTTP_POST && p->method != HTTP_GET) || p->upgrade || (p->flags & F_CHUNKED) != 0 ||
             c->content_lengths > 1 || (!c->http10 && c->hosts != 1) || (p->http_major != 1) ||
             // A head near Node's limit (in one read): Node decides (431 or served), with a margin for its count.
             c->head_bytes + 1024 >= f->opt.max_header_bytes || !f->Route(c);
  if (!odd && c->kind == kConfluentProduce) {
    // A declared length (not chunked), within max.request.bytes (else Fastify's 413 is Node's to give).
    odd = c->content_types != 1 || !ConfluentProduceType(c->content_type) || !has_length ||
          p->content_length > static_cast<uint64_t>(f->opt.max_request_bytes);
  } else if (!odd && c->kind == kProduce) {
    odd = c->content_types != 1 || !plain_type || (has_length && p->content_length > static_cast<uint64_t>(f->opt.max_request_bytes));
  } else if (!odd && c->kind == kConsume) {
    odd = c->content_types != 0 || c->content_lengths != 0;  // Fastify reads no GET body; none is expected
  } else if (!odd) {
    odd = c->content_types > 1 || (c->content_types == 1 && !plain_type) || (has_length && p->content_length != 0);  // acks have no body
  }
  if (odd) {
    c->odd = true;
    return -1;  // stops the parser: the connection goes to Node
  }
  c->phase = Phase::Body;
  return 0;
}
int OnBody(llhttp_t* p, const char* at, size_t n) {
  Of(p)->body.append(at, n);
  return 0;
}
int OnMessageComplete(llhttp_t* p) {
  Conn* c = Of(p);
  c->keep_alive = llhttp_should_keep_alive(p) != 0;
  return HPE_PAUSED;  // one request at a time: answers go out in order
}

void Front::Accept() {
  for (;;) {
    int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // Out of descriptors or memory: the pending connection stays queued and the listener stays
      // readable, so stop watching it for a moment rather than spin (Scan watches it again).
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, listen_fd, nullptr);
        accept_paused = true;
      }
      return;
    }
    if (stopping || static_cast<int64_t>(conns.size()) + handed_off_alive.load() >= opt.max_connections) {
      close(fd);  // as Node past server.maxConnections
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto* c = new Conn();
    c->fd = fd;
    c->front = this;
    llhttp_init(&c->parser, HTTP_REQUEST, &settings);
    c->parser.data = c;
    c->since = NowMs();
    c->idle = false;  // a new connection's headers clock runs from its start, as Node's
    conns[fd] = c;
    epoll_event ev{};
    ev.events = c->events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  }
}

// How far reading runs ahead of parsing: a client that pipelines faster than it reads its answers,
// or sends while its sync request waits, is read no further until it catches up.
constexpr size_t kReadAhead = 256 * 1024;

void Front::OnReadable(Conn* c) {
  char buf[65536];
  while (c->in.size() - c->fed < kReadAhead) {
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n > 0) {
      if (c->idle) {
        c->idle = false;
        c->since = NowMs();
      }
      c->in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) break;
      continue;
    }
    if (n == 0) {  // the client is done sending: what it sent is still answered, then closed
      // ... but as Node (no http half-open), not a request JavaScript serves: it is cancelled.
      if (c->js_id != 0 || (c->in.size() == c->fed && c->phase != Phase::Waiting && c->out.size() == c->out_off)) {
        Close(c);
        return;
      }
      c->close_after = true;
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    if (errno == EINTR) continue;
    Close(c);
    return;
  }
  Feed(c);
}

// Parses what was read, answering complete requests one by one.
void Front::Feed(Conn* c) {
  while (c->phase != Phase::Waiting && c->phase != Phase::Closing && c->fed < c->in.size()) {
    const char* start = c->in.data() + c->fed;
    llhttp_errno_t err = llhttp_execute(&c->parser, start, c->in.size() - c->fed);
    if (err == HPE_OK) {
      c->fed = c->in.size();
      // Past its head the request is ours for good: its body's bytes need not be kept twice.
      if (c->phase == Phase::Body) {
        c->in.clear();
        c->fed = 0;
      }
      // A head larger than Node takes: Node answers it (431).
      if (c->phase == Phase::Head && static_cast<int64_t>(c->in.size()) > opt.max_header_bytes) {
        HandOff(c);
        return;
      }
      break;
    }
    if (err == HPE_PAUSED) {
      c->fed = static_cast<size_t>(llhttp_get_error_pos(&c->parser) - c->in.data());
      Process(c);
      if (c->dead || c->phase == Phase::Closing) return;
      continue;
    }
    // Not the hot route, or malformed: Node's app answers it as it would any.
    HandOff(c);
    return;
  }
  if (!c->dead && c->close_after && c->phase != Phase::Waiting && c->out.size() == c->out_off) Close(c);
}

void Front::HandOff(Conn* c) {
  // Answers to the requests before it go out first, as they did before Node takes over.
  while (c->out_off < c->out.size()) {
    ssize_t n = write(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off);
    if (n > 0) {
      c->out_off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, nullptr);
  conns.erase(c->fd);
  handed_off_alive++;
  AddDouble(stats.handed_off, 1);
  Emit(new Event{0, c->fd, std::move(c->in), ""});
  c->dead = true;
  graveyard.push_back(c);
}

void Front::Close(Conn* c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, nullptr);
  close(c->fd);
  conns.erase(c->fd);
  if (c->waiter != 0) waiters.erase(c->waiter);
  c->waiter = 0;
  if (c->js_id != 0) {
    // JavaScript stops waiting for a record for it (a record goes to the group's next request).
    js_pending.erase(c->js_id);
    ToJs(JsItem{3, c->js_id});
    c->js_id = 0;
  }
  auto at = std::find(blocked.begin(), blocked.end(), c);
  if (at != blocked.end()) blocked.erase(at);
  c->dead = true;
  graveyard.push_back(c);
}

// The answers of one epoll turn are written one after the other at its end: the clients' side is
// then woken for several answers at once rather than between every two of our reads.
void Front::Queue(Conn* c) {
  if (c->queued) return;
  c->queued = true;
  answered.push_back(c);
}

void Front::FlushAnswered() {
  for (size_t i = 0; i < answered.size(); i++) {
    Conn* c = answered[i];
    c->queued = false;
    if (!c->dead) Flush(c);
  }
  answered.clear();
}

void Front::Flush(Conn* c) {
  while (c->out_off < c->out.size()) {
    ssize_t n = write(c->fd, c->out.data() + c->out_off, c->out.size() - c->out_off);
    if (n > 0) {
      c->out_off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Interest(c);
    return Close(c);
  }
  c->out.clear();
  c->out_off = 0;
  if (c->phase == Phase::Closing) {
    shutdown(c->fd, SHUT_WR);
    return Close(c);
  }
  Interest(c);
}

// Reads only while the connection can take a request (no answer pending, no sync request
// waiting, within kReadAhead); writes while an answer is pending.
void Front::Interest(Conn* c) {
  if (c->dead || c->queued) return;
  bool pending = c->out_off < c->out.size();
  // While JavaScript serves its request the connection is still read (nothing is parsed): no
  // epoll_ctl per request, and a client that goes away is noticed (its request cancelled).
  bool read = !pending && (c->phase != Phase::Waiting || c->js_id != 0) && c->phase != Phase::Closing && c->in.size() - c->fed < kReadAhead;
  bool hangup = read || c->js_id != 0;
  uint32_t events = (read ? uint32_t{EPOLLIN} : 0u) | (hangup ? uint32_t{EPOLLRDHUP} : 0u) | (pending ? uint32_t{EPOLLOUT} : 0u);
  if (events == c->events) return;
  c->events = events;
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = c->fd;
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

// An answer as Fastify writes it: same headers, same order, same keep-alive rule.
void Front::Answer(Conn* c, int status, const std::string& body, bool close_after) {
  int64_t now = NowMs();
  double seconds = static_cast<double>(now - c->request_start) / 1000.0;
  int si = StatusIndex(status);
  AddDouble(stats.counts[c->route][si], 1);
  AddDouble(stats.duration_sum[c->route], seconds);
  size_t b = 0;
  while (b < opt.buckets.size() && seconds > opt.buckets[b]) b++;
  AddDouble(stats.buckets[c->route][b], 1);

  bool keep = c->keep_alive && !stopping && !close_after;
  // A JS-served answer while stopping says what Node's says (keep-alive); the connection closes after it.
  bool advertise = c->keep_alive && (!stopping || c->kind != kProduce) && !close_after;
  std::string& o = c->out;
  o += "HTTP/1.1 ";
  o += std::to_string(status);
  o += ' ';
  o += StatusText(status);
  if (close_after) o += "\r\nconnection: close";  // the route's own header, first, as Fastify sets it
  // The Confluent routes answer in their v2 media type (errors too: errorMediaType in confluent.ts),
  // with the charset Fastify adds to it.
  o += c->kind == kConfluentProduce ? "\r\ncontent-type: application/vnd.kafka.v2+json; charset=utf-8\r\ncontent-length: "
                                    : "\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ";
  o += std::to_string(body.size());
  o += "\r\nDate: ";
  o += Date();
  if (advertise) {
    o += "\r\nConnection: keep-alive\r\nKeep-Alive: timeout=";
    o += std::to_string(opt.keep_alive_timeout_ms / 1000);
  } else if (!close_after) {
    o += "\r\nConnection: close";
  }
  o += "\r\n\r\n";
  o += body;
  if (keep) {
    c->phase = Phase::Head;
    c->idle = c->fed == c->in.size();
    c->since = now;
    // What was parsed is answered: keep only the next request's bytes.
    c->in.erase(0, c->fed);
    c->fed = 0;
    llhttp_resume(&c->parser);
  } else {
    c->phase = Phase::Closing;
  }
  Queue(c);
}

void Front::ClientError(Conn* c, int status, const std::string& message) {
  // clientErrorHandler in server.ts: capitalised headers, no Date, then the connection closes; the
  // body in the listener's API's shape (confluentErrorBody or pixyErrorBody).
  std::string body = opt.confluent ? "{\"error_code\":" + std::to_string(status) + ",\"message\":" : "{\"error\":";
  JsonString(&body, message);
  body += "}";
  c->out += "HTTP/1.1 " + std::to_string(status) + " " + StatusText(status) +
            "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + body;
  c->phase = Phase::Closing;
  Queue(c);
}

std::string ErrorBody(const std::string& message) {
  std::string body = "{\"error\":";
  JsonString(&body, message);
  body += "}";
  return body;
}

// What a produce's failure answers, as produceError in pixy.ts.
void ProduceErrorAnswer(const Options& opt, int err, const std::string& topic, size_t size, bool at_once, int* status, std::string* message) {
  if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
    *status = 413;
    *message = at_once ? "The message (" + std::to_string(size) + " bytes with its key and headers) is larger than message.max.bytes (" +
                             std::to_string(opt.message_max_bytes) + " bytes)"
                       : "Kafka refused the message (" + std::to_string(size) + " bytes with its key and headers) as larger than topic " + topic +
                             " accepts (its max.message.bytes)";
  } else if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
    *status = 404;
    *message = "Unknown topic " + topic;
  } else if (err == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION) {
    *status = 400;
    *message = "Kafka refused topic " + topic + ": " + rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err));
  } else {
    *status = opt.retriable.count(err) != 0 ? 503 : 500;
    *message = rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err));
  }
}

// Whether the request's target is one of the routes' exact shape, read into the connection: the
// path's cluster and topic, the route's parameters (each at most once). Anything else (a name the
// router or topicNameProblem would read otherwise, other parameters, an escape the query parser
// might read otherwise) is Node's.
bool Front::Route(Conn* c) {
  if (opt.confluent) return RouteConfluent(c);
  const std::string& url = c->url;
  size_t q = url.find('?');
  size_t path_end = q == std::string::npos ? url.size() : q;
  size_t topic_at;
  c->cluster.clear();
  if (url.compare(0, 8, "/topics/") == 0) {
    c->prefixed = false;
    topic_at = 8;
  } else if (url.compare(0, 10, "/clusters/") == 0) {
    c->prefixed = true;
    size_t e = url.find('/', 10);
    if (e == std::string::npos || e >= path_end || url.compare(e, 8, "/topics/") != 0) return false;
    c->cluster = url.substr(10, e - 10);
    if (!PlainTopicName(c->cluster.data(), c->cluster.size())) return false;
    topic_at = e + 8;
  } else {
    return false;
  }
  size_t te = url.find('/', topic_at);
  if (te == std::string::npos || te >= path_end) return false;
  bool messages = path_end - te == 9 && url.compare(te, 9, "/messages") == 0;
  bool acks = path_end - te == 5 && url.compare(te, 5, "/acks") == 0;
  int method = c->parser.method;
  if (messages && method == HTTP_POST) {
    c->kind = kProduce;
  } else if (messages && method == HTTP_GET) {
    c->kind = kConsume;
  } else if (acks && method == HTTP_POST) {
    c->kind = kAck;
  } else {
    return false;
  }
  c->route = c->kind * 2 + (c->prefixed ? 1 : 0);
  if (!PlainTopicName(url.data() + topic_at, te - topic_at)) return false;
  c->topic = url.substr(topic_at, te - topic_at);
  c->has_key = c->sync = c->has_group = c->has_first = c->has_second = c->no_ack = false;
  c->key.clear();
  // The route's parameters: consume group, ackPartition, ackOffset, noAck; ack group, partition, offset.
  const char* first_name = c->kind == kConsume ? "ackPartition" : "partition";
  const char* second_name = c->kind == kConsume ? "ackOffset" : "offset";
  if (q != std::string::npos) {
    if (url.find('#', q) != std::string::npos) return false;
    for (size_t i = q + 1; i <= url.size();) {
      size_t amp = url.find('&', i);
      if (amp == std::string::npos) amp = url.size();
      if (amp == i) return false;
      size_t eq = url.find('=', i);
      bool has_value = eq < amp;
      std::string name = url.substr(i, (has_value ? eq : amp) - i);
      const char* value = url.data() + (has_value ? eq + 1 : amp);
      size_t value_size = has_value ? amp - eq - 1 : 0;
      std::string ignored;
      if (c->kind == kProduce) {
        if (name == "key" && !c->has_key) {
          c->has_key = true;
          if (!DecodeQueryValue(value, value_size, &c->key)) return false;
        } else if (name == "sync" && !c->sync) {
          c->sync = true;
        } else {
          return false;
        }
      } else if (name == "group" && !c->has_group) {
        c->has_group = true;
        if (!DecodeQueryValue(value, value_size, &c->group)) return false;
      } else if (name == first_name && !c->has_first) {
        c->has_first = true;
        if (!DecodeQueryValue(value, value_size, &c->first)) return false;
      } else if (name == second_name && !c->has_second) {
        c->has_second = true;
        if (!DecodeQueryValue(value, value_size, &c->second)) return false;
      } else if (c->kind == kConsume && name == "noAck" && !c->no_ack) {
        c->no_ack = true;
        if (!DecodeQueryValue(value, value_size, &ignored)) return false;
      } else {
        return false;
      }
      i = amp + 1;
    }
  }
  if (c->kind == kProduce && opt.auto_create) {
    std::lock_guard<std::mutex> lock(known_mutex);
    if (known.count(c->topic) == 0) return false;  // the JS route creates it on the embedded broker
  }
  return true;
}

// The Confluent produce routes: POST /topics/{topic} and POST /topics/{topic}/partitions/{partition},
// a plain topic name, a partition of digits, no query string (anything else is Node's).
bool Front::RouteConfluent(Conn* c) {
  const std::string& url = c->url;
  if (c->parser.method != HTTP_POST || url.compare(0, 8, "/topics/") != 0) return false;
  size_t te = url.find('/', 8);
  size_t topic_end = te == std::string::npos ? url.size() : te;
  if (!PlainTopicName(url.data() + 8, topic_end - 8)) return false;
  c->kind = kConfluentProduce;
  c->prefixed = false;
  c->topic = url.substr(8, topic_end - 8);
  c->partition.clear();
  c->has_partition = te != std::string::npos;
  if (c->has_partition) {
    if (url.compare(te, 12, "/partitions/") != 0) return false;
    c->partition = url.substr(te + 12);
    // Digits only, of a length integerParam reads exactly; the route's own check words the rest.
    if (c->partition.empty() || c->partition.size() > 15) return false;
    for (char d : c->partition) {
      if (d < '0' || d > '9') return false;
    }
  }
  c->route = kPixyRoutes + (c->has_partition ? 1 : 0);
  return true;
}

// A request of `c` for JavaScript: the connection reads no further until its answer comes.
void Front::ToJsFor(Conn* c, JsItem item) {
  item.url = c->url;
  c->js_id = item.id;
  c->phase = Phase::Waiting;
  js_pending[item.id] = c;
  ToJs(std::move(item));
}

// A complete request of the hot route: answered at once, or (sync) when its delivery report comes.
void Front::Process(Conn* c) {
  c->request_start = c->since;
  if (c->kind == kConfluentProduce) {
    // confluent.ts answers it, as its Fastify route would; the connection reads no further meanwhile.
    JsItem item{kOpConfluentProduce, next_js_id++};
    item.topic = c->topic;
    item.has_first = c->has_partition;
    item.first = c->partition;
    item.content_type = c->content_type;
    item.body = std::move(c->body);
    return ToJsFor(c, std::move(item));
  }
  if (c->kind == kConsume && ServeLeased(c)) return;
  if (c->kind != kProduce) {
    // JavaScript answers it (pixy.ts, the JS route's own logic); the connection reads no further meanwhile.
    JsItem item{c->kind == kConsume ? 1 : 2, next_js_id++};
    item.prefixed = c->prefixed;
    item.has_group = c->has_group;
    item.has_first = c->has_first;
    item.has_second = c->has_second;
    item.no_ack = c->no_ack;
    item.cluster = c->cluster;
    item.topic = c->topic;
    item.group = c->group;
    item.first = c->first;
    item.second = c->second;
    return ToJsFor(c, std::move(item));
  }
  if (c->prefixed && c->cluster != opt.cluster_name) return Answer(c, 400, ErrorBody("Unknown cluster " + c->cluster));
  if (InternalTopic(c->topic)) return Answer(c, 400, ErrorBody(c->topic + " is an internal Kafka topic: it takes no messages from clients"));
  if (stopping) return Answer(c, 503, ErrorBody("The proxy is stopping"));
  if (!Produce(c)) {
    c->phase = Phase::Waiting;
    blocked.push_back(c);
  }
}

// A consume request answered from its group's lease, as consumeAtOnce in pixy.ts would answer it
// from the group's buffer: false leaves it to JavaScript (no lease, none left, past its time, an
// ack this thread cannot vouch for, anything the route's checks would refuse).
bool Front::ServeLeased(Conn* c) {
  if (!c->has_group || c->group.empty() || (c->prefixed && c->cluster != opt.cluster_name) || c->has_first != c->has_second) return false;
  int64_t ack_partition = 0, ack_offset = 0;
  if (c->has_first && (!Decimal(c->first, INT32_MAX, &ack_partition) || !Decimal(c->second, (int64_t{1} << 53) - 1, &ack_offset))) return false;
  std::string body;
  bool tell = false;
  {
    std::lock_guard<std::mutex> lock(leases_mutex);
    auto it = leases.find(c->group + '\0' + c->topic);
    if (it == leases.end()) return false;
    Lease& lease = it->second;
    double now = WallMs();
    if (lease.records.empty() || now >= lease.until || (c->has_first && lease.handed_out.count(ack_partition) == 0)) return false;
    // As Kafka-Pixy: the message is acked as it is handed out unless the request acks one or says noAck.
    if (c->has_first) lease.log.insert(lease.log.end(), {kAcked, static_cast<double>(ack_partition), static_cast<double>(ack_offset), now});
    int32_t partition = lease.records.front().first;
    lease.log.insert(lease.log.end(), {c->has_first || c->no_ack ? kHandedOutUnacked : kHandedOutAcked, static_cast<double>(partition), 0, now});
    lease.handed_out.insert(partition);
    body = std::move(lease.records.front().second);
    lease.records.pop_front();
    if (!lease.told && lease.records.size() <= lease.low) tell = lease.told = true;
  }
  Answer(c, 200, body);
  if (tell) {
    JsItem item{kOpLeaseLow, 0};
    item.topic = c->topic;
    item.group = c->group;
    item.has_group = true;
    ToJs(std::move(item));
  }
  return true;
}

// Hands the request's message to librdkafka and answers (async) or waits for its delivery (sync).
// False when librdkafka's queue is full: the request waits for room, as the JS route's send does
// (a retriable error never ends a client's request), and the connection reads no further meanwhile.
bool Front::Produce(Conn* c) {
  rd_kafka_topic_t*& rkt = topics[c->topic];
  if (rkt == nullptr) rkt = rd_kafka_topic_new(rk, c->topic.c_str(), nullptr);
  uint64_t id = 0;
  SyncMessage* sync = nullptr;
  uintptr_t opaque = reinterpret_cast<uintptr_t>(sink) | kFrontMessageTag;
  if (c->sync) {
    id = next_waiter++;
    sync = new SyncMessage{sink, id};
    opaque = reinterpret_cast<uintptr_t>(sync) | kFrontMessageTag | kSyncTag;
  }
  sink->refs++;
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(RD_KAFKA_PARTITION_UA), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE(const_cast<char*>(c->body.data()), c->body.size()),
      RD_KAFKA_V_KEY(c->has_key ? c->key.data() : nullptr, c->key.size()), RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(opaque)), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    sink->refs--;
    delete sync;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return false;
    int status;
    std::string text;
    ProduceErrorAnswer(opt, err, c->topic, c->body.size() + c->key.size(), true, &status, &text);
    if (status >= 500) Emit(new Event{2, status, text, c->url});  // logged, as the JS route logs its 5xx
    Answer(c, status, ErrorBody(text));
    return true;
  }
  if (!c->sync) {
    Answer(c, 200, "{}");
    return true;
  }
  c->phase = Phase::Waiting;
  c->waiter = id;
  waiters[id] = c;
  return true;
}

// Requests waiting for room in librdkafka's queue, oldest first, until it is full again.
void Front::RetryBlocked() {
  while (!blocked.empty()) {
    Conn* c = blocked.front();
    c->phase = Phase::Body;
    if (!Produce(c)) {
      c->phase = Phase::Waiting;
      return;
    }
    blocked.pop_front();
    if (!c->dead && c->phase == Phase::Head) Feed(c);
    Interest(c);
  }
}

void Front::Delivered(const Report& r) {
  auto it = waiters.find(r.waiter);
  if (it == waiters.end()) return;  // its client went away
  Conn* c = it->second;
  waiters.erase(it);
  c->waiter = 0;
  c->phase = Phase::Body;
  if (r.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    Answer(c, 200, "{\"partition\":" + std::to_string(r.partition) + ",\"offset\":" + std::to_string(r.offset) + "}");
  } else {
    int status;
    std::string message;
    ProduceErrorAnswer(opt, r.err, c->topic, r.size, false, &status, &message);
    if (status >= 500) Emit(new Event{2, status, message, c->url});
    Answer(c, status, ErrorBody(message));
  }
  if (!c->dead && c->phase == Phase::Head) Feed(c);
  Interest(c);
}


// The producer's main queue has events (its queue events come here while the front end runs):
// serving them on this thread spares the JS thread a wake-up for every batch of delivery reports,
// which for async requests only count. Reports of the JS side wake the JS thread (handle.cc).
void Front::ServeKafka() {
  uint64_t v;
  if (read(kafka_fd, &v, sizeof v) < 0) {
  }
  // rd_kafka_poll serves what is queued when called; a few rounds catch what arrives meanwhile.
  for (int round = 0; round < 4 && rd_kafka_poll(rk, 0) > 0; round++) {
  }
  // The queue event fires only as the queue becomes non-empty: look again if events remain.
  if (rd_kafka_queue_length(main_queue) > 0) {
    uint64_t one = 1;
    if (write(kafka_fd, &one, sizeof one) < 0) {
    }
  }
  std::deque<Report> reports;
  {
    std::lock_guard<std::mutex> lock(sink->mutex);
    reports.swap(sink->reports);
  }
  for (const Report& r : reports) Delivered(r);
}

// Timeouts, checked a few times a second: a request's head or whole within its time (408), an
// idle keep-alive connection closed after http.keepalive.timeout.ms.
void Front::Scan(int64_t now) {
  if (accept_paused && listen_fd >= 0) {
    accept_paused = false;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd;
    epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
  }
  std::vector<Conn*> late, idle;
  for (auto& [fd, c] : conns) {
    if (c->phase == Phase::Closing || c->phase == Phase::Waiting) continue;
    if (c->idle) {
      if (now - c->since >= opt.keep_alive_timeout_ms) idle.push_back(c);
    } else if ((c->phase == Phase::Head && now - c->since >= opt.headers_timeout_ms) ||
               (c->phase == Phase::Body && now - c->since >= opt.request_timeout_ms)) {
      late.push_back(c);
    }
  }
  for (Conn* c : idle) Close(c);
  for (Conn* c : late) {
    ClientError(c, 408, "The request did not arrive in time: its headers must arrive within http.headers.timeout.ms (" +
                            std::to_string(opt.headers_timeout_ms) + " ms), all of it within http.request.timeout.ms (" +
                            std::to_string(opt.request_timeout_ms) + " ms)");
  }
}

void Front::Run() {
  epoll_event evs[256];
  for (;;) {
    if (stop_requested && !stopping) {
      stopping = true;
      epoll_ctl(epfd, EPOLL_CTL_DEL, listen_fd, nullptr);
      close(listen_fd);
      listen_fd = -1;
      // Idle connections close now; those mid-request finish, answered with Connection: close.
      std::vector<Conn*> idle;
      for (auto& [fd, c] : conns) {
        if (c->idle || (c->phase == Phase::Head && c->in.size() == c->fed && c->fed == 0)) idle.push_back(c);
      }
      for (Conn* c : idle) Close(c);
    }
    if (stopping && conns.empty()) break;
    // HttpFrontAnswer wakes this thread only while it sleeps here; otherwise the answers are
    // taken at the end of this turn.
    asleep.store(true);
    bool answers_waiting;
    {
      std::lock_guard<std::mutex> lock(answers_mutex);
      answers_waiting = !answers.empty();
    }
    int n = epoll_wait(epfd, evs, 256, answers_waiting ? 0 : blocked.empty() ? 250 : 5);
    asleep.store(false);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == listen_fd) {
        Accept();
      } else if (fd == wake_fd) {
        uint64_t v;
        if (read(wake_fd, &v, sizeof v) < 0) {
        }
        ServeAnswers();
      } else if (fd == kafka_fd) {
        ServeKafka();
      } else {
        auto it = conns.find(fd);
        if (it == conns.end()) continue;
        Conn* c = it->second;
        // Reset, or closed both ways: nobody is left to answer.
        if (evs[i].events & (EPOLLHUP | EPOLLERR)) {
          Close(c);
          continue;
        }
        if (evs[i].events & EPOLLOUT) Flush(c);
        if (!c->dead && c->js_id != 0 && (evs[i].events & EPOLLRDHUP)) {
          Close(c);  // gone while JavaScript serves its request (Node, not half-open, aborts it too)
          continue;
        }
        if (!c->dead && (evs[i].events & (EPOLLIN | EPOLLRDHUP))) OnReadable(c);
        Interest(c);
      }
    }
    RetryBlocked();
    int64_t now = NowMs();
    if (now - last_scan >= 200) {
      last_scan = now;
      Scan(now);
    }
    ServeAnswers();
    FlushAnswered();
    for (Conn* c : graveyard) delete c;
    graveyard.clear();
  }
  for (Conn* c : graveyard) delete c;
  graveyard.clear();
  // Every request answered; the proxy's producer.close() then flushes what was accepted.
  for (auto& [name, rkt] : topics) rd_kafka_topic_destroy(rkt);
  topics.clear();
  {
    std::lock_guard<std::mutex> lock(sink->mutex);
    sink->fd = -1;
    sink->reports.clear();
  }
  if (producer) {
    producer->ServeOnFront(-1);  // the JS thread serves the queue again (the producer's flush on close)
    rd_kafka_queue_destroy(main_queue);
    close(kafka_fd);
  }
  close(epfd);
  Emit(new Event{1, -1, "", ""});
  events.Release();
}

// --- JavaScript functions ---

std::string GetString(Napi::Object o, const char* name) { return o.Get(name).As<Napi::String>().Utf8Value(); }
int64_t GetInt(Napi::Object o, const char* name, int64_t fallback) {
  Napi::Value v = o.Get(name);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : fallback;
}

using FrontRef = std::shared_ptr<Front>;

Front* Unwrap(const Napi::CallbackInfo& info) {
  return UnwrapTagged<FrontRef>(info, 0, &kHttpFrontTag, "a native front end", "front")->get();
}

// The name Node gives a listen error's code (its message then reads as Node's would).
const char* ErrnoName(int e) {
  switch (e) {
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EACCES: return "EACCES";
    default: return "EINVAL";
  }
}

// Binds host:port, or says why not (`code`: Node's name for it).
int Listen(const std::string& host, int port, std::string* error, std::string* code) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    *error = std::string("cannot resolve ") + host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, 511) == 0) break;
    int e = errno;
    *code = ErrnoName(e);
    std::string text = strerror(e);
    if (!text.empty()) text[0] = static_cast<char>(tolower(static_cast<unsigned char>(text[0])));
    *error = "listen " + *code + ": " + text + " " + host + ":" + service;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

// HttpFrontStart(options, onEvent, producer) -> [front, port]. Throws when the producer's configuration or
// the listener fails. onEvent('connection', fd, bytes) hands a connection to Node;
// onEvent('stopped') follows HttpFrontStop once every request is answered and the producer flushed.
Napi::Value HttpFrontStart(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) ThrowExpected(env, "(options, onEvent)", "arguments", info[0]);
  Napi::Object o = info[0].As<Napi::Object>();
  auto front = std::make_shared<Front>();
  Options& opt = front->opt;
  opt.host = GetString(o, "host");
  opt.port = static_cast<int>(GetInt(o, "port", 0));
  opt.cluster_name = GetString(o, "clusterName");
  opt.message_max_bytes = GetInt(o, "messageMaxBytes", opt.message_max_bytes);
  opt.max_request_bytes = GetInt(o, "maxRequestBytes", opt.max_request_bytes);
  opt.max_header_bytes = GetInt(o, "maxHeaderBytes", opt.max_header_bytes);
  opt.headers_timeout_ms = GetInt(o, "headersTimeoutMs", opt.headers_timeout_ms);
  opt.request_timeout_ms = GetInt(o, "requestTimeoutMs", opt.request_timeout_ms);
  opt.keep_alive_timeout_ms = GetInt(o, "keepAliveTimeoutMs", opt.keep_alive_timeout_ms);
  opt.max_connections = GetInt(o, "maxConnections", opt.max_connections);
  opt.auto_create = o.Get("autoCreate").ToBoolean();
  opt.confluent = o.Get("routes").IsString() && o.Get("routes").As<Napi::String>().Utf8Value() == "confluent";
  Napi::Array retriable = o.Get("retriable").As<Napi::Array>();
  for (uint32_t i = 0; i < retriable.Length(); i++) opt.retriable.insert(retriable.Get(i).As<Napi::Number>().Int32Value());
  Napi::Array buckets = o.Get("buckets").As<Napi::Array>();
  for (uint32_t i = 0; i < buckets.Length(); i++) opt.buckets.push_back(buckets.Get(i).As<Napi::Number>().DoubleValue());
  for (int r = 0; r < kRouteCount; r++) {
    front->stats.buckets.emplace_back(new std::atomic<double>[opt.buckets.size() + 1]);
    for (size_t b = 0; b <= opt.buckets.size(); b++) front->stats.buckets[r][b] = 0;
    front->stats.duration_sum[r] = 0;
    for (int s = 0; s < kStatusCount; s++) front->stats.counts[r][s] = 0;
  }

  // The proxy's producer, started now on this thread as its first send would start it. The
  // Confluent routes produce in JavaScript: that instance takes none.
  if (!opt.confluent) {
    front->producer = UnwrapHandle(info, 2);
    std::string start_error;
    if (front->producer->Start(KafkaHandle::Kind::Producer, &start_error) != 0) throw Napi::Error::New(env, "producer: " + start_error);
    front->rk = front->producer->rk();
  }
  std::string error, code;
  front->listen_fd = Listen(opt.host, opt.port, &error, &code);
  if (front->listen_fd < 0) {
    Napi::Error e = Napi::Error::New(env, error);
    if (!code.empty()) e.Set("code", Napi::String::New(env, code));
    throw e;
  }
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  getsockname(front->listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);

  front->epfd = epoll_create1(EPOLL_CLOEXEC);
  front->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (front->producer) front->kafka_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  front->sink->fd = front->kafka_fd;
  for (int fd : {front->listen_fd, front->wake_fd, front->kafka_fd}) {
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(front->epfd, EPOLL_CTL_ADD, fd, &ev);
  }
  llhttp_settings_init(&front->settings);
  front->settings.on_message_begin = OnMessageBegin;
  front->settings.on_url = OnUrl;
  front->settings.on_header_field = OnField;
  front->settings.on_header_value = OnValue;
  front->settings.on_header_value_complete = OnValueComplete;
  front->settings.on_headers_complete = OnHeadersComplete;
  front->settings.on_body = OnBody;
  front->settings.on_message_complete = OnMessageComplete;
  front->events = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "rdkafka-napi:http-front", 0, 1);
  if (front->producer) front->main_queue = rd_kafka_queue_get_main(front->rk);
  Front* raw = front.get();
  front->thread = std::thread([raw]() {
    pthread_setname_np(pthread_self(), "rdk:http-front");  // apart from Node's threads in /proc and top
    on_front_thread = true;
    if (raw->producer) raw->producer->ServeOnFront(raw->kafka_fd);
    raw->Run();
  });
  auto* ref = new FrontRef(front);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, MakeTaggedExternal<FrontRef>(env, ref, &kHttpFrontTag, [](Napi::Env, FrontRef* r) { delete r; }));
  result.Set(1u, Napi::Number::New(env, port));
  return result;
}

// HttpFrontStop(front): stop accepting, answer what is in flight, flush; 'stopped' follows.
Napi::Value HttpFrontStop(const Napi::CallbackInfo& info) {
  Front* f = Unwrap(info);
  f->stop_requested = true;
  uint64_t one = 1;
  if (write(f->wake_fd, &one, sizeof one) < 0) {
  }
  return info.Env().Undefined();
}

// HttpFrontJoin(front): after 'stopped', waits for the thread's last steps.
Napi::Value HttpFrontJoin(const Napi::CallbackInfo& info) {
  Front* f = Unwrap(info);
  if (f->thread.joinable()) f->thread.join();
  return info.Env().Undefined();
}

// HttpFrontReleased(front): a connection handed to Node has closed (it no longer counts).
Napi::Value HttpFrontReleased(const Napi::CallbackInfo& info) {
  Unwrap(info)->handed_off_alive--;
  return info.Env().Undefined();
}

// HttpFrontKnowTopic(front, topic): the JS route made sure the topic exists (autoCreate).
Napi::Value HttpFrontKnowTopic(const Napi::CallbackInfo& info) {
  Front* f = Unwrap(info);
  std::string topic = ExpectString(info, 1, "topic");
  std::lock_guard<std::mutex> lock(f->known_mutex);
  f->known.insert(topic);
  return info.Env().Undefined();
}

// HttpFrontAnswer(front, answers): JavaScript's answers to the requests it was given
// ('requests'), one line each, "<id> <status> <body>\n" (a JSON body has no raw newline): one
// string per batch rather than three values per answer to read. A negative status ("<id> -400 …")
// closes the connection after the answer, with the route's own "connection: close" header.
// Written by the front end's thread; one of a connection gone is dropped.
Napi::Value HttpFrontAnswer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Front* f = Unwrap(info);
  std::string text = ExpectString(info, 1, "answers");
  std::vector<JsAnswer> batch;
  for (size_t at = 0; at < text.size();) {
    size_t end = text.find('\n', at);
    char* rest = nullptr;
    uint64_t id = strtoull(text.c_str() + at, &rest, 10);
    long status = *rest == ' ' ? strtol(rest + 1, &rest, 10) : 0;
    bool close_after = status < 0;
    if (close_after) status = -status;
    size_t body = static_cast<size_t>(rest - text.c_str()) + 1;
    if (end == std::string::npos || *rest != ' ' || status < 100 || status > 599 || body > end) {
      ThrowExpected(env, "lines of \"<id> <status> <body>\"", "answers", info[1]);
    }
    batch.push_back({id, static_cast<int>(status), text.substr(body, end - body), close_after});
    at = end + 1;
  }
  bool wake;
  {
    std::lock_guard<std::mutex> lock(f->answers_mutex);
    wake = f->answers.empty();
    for (JsAnswer& answer : batch) f->answers.push_back(std::move(answer));
  }
  // Awake, the front end's thread takes them at the end of its turn; asleep, it checked the list
  // before sleeping, and a write now wakes it.
  uint64_t one = 1;
  if (wake && f->asleep.load() && write(f->wake_fd, &one, sizeof one) < 0) {
  }
  return env.Undefined();
}

std::string LeaseKey(const Napi::CallbackInfo& info) {
  return ExpectString(info, 1, "group") + '\0' + ExpectString(info, 2, "topic");
}

// HttpFrontLease(front, group, topic, partitions, bodies, handedOut, until): records of the
// (group, topic) consumer for this thread to hand out after those it holds, `partitions` an
// Int32Array of theirs and `bodies` their answers' bodies, one line each (JSON has no raw newline);
// `handedOut` the partitions the consumer handed out so far (an Int32Array), `until` the Date.now()
// after which the consumer answers its requests itself.
Napi::Value HttpFrontLease(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Front* f = Unwrap(info);
  std::string key = LeaseKey(info);
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) ThrowExpected(env, "an Int32Array", "partitions", info[3]);
  std::string bodies = ExpectString(info, 4, "bodies");
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) ThrowExpected(env, "an Int32Array", "handedOut", info[5]);
  if (!info[6].IsNumber()) ThrowExpected(env, "a number", "until", info[6]);
  Napi::Int32Array partitions = info[3].As<Napi::Int32Array>();
  Napi::Int32Array handed_out = info[5].As<Napi::Int32Array>();
  std::vector<std::pair<int32_t, std::string>> records;
  size_t at = 0;
  for (size_t i = 0; i < partitions.ElementLength(); i++) {
    size_t end = bodies.find('\n', at);
    if (end == std::string::npos) ThrowExpected(env, "one line per partition", "bodies", info[4]);
    records.emplace_back(partitions[i], bodies.substr(at, end - at));
    at = end + 1;
  }
  if (at != bodies.size()) ThrowExpected(env, "one line per partition", "bodies", info[4]);
  std::lock_guard<std::mutex> lock(f->leases_mutex);
  Lease& lease = f->leases[key];
  for (auto& record : records) lease.records.push_back(std::move(record));
  for (size_t i = 0; i < handed_out.ElementLength(); i++) lease.handed_out.insert(handed_out[i]);
  lease.until = info[6].As<Napi::Number>().DoubleValue();
  lease.low = lease.records.size() / 2;
  lease.told = false;
  return env.Undefined();
}

// HttpFrontTake(front, group, topic, reclaim) -> Float64Array: what this thread did with the
// (group, topic) lease since the last call, [kind, partition, offset, Date.now()] each (kind 0: a
// record handed out and acked, 1: handed out unacked, in the lease's order; 2: an ack). With
// `reclaim` the lease ends: the records not handed out are the consumer's again.
Napi::Value HttpFrontTake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Front* f = Unwrap(info);
  std::string key = LeaseKey(info);
  bool reclaim = info[3].ToBoolean();
  std::vector<double> log;
  {
    std::lock_guard<std::mutex> lock(f->leases_mutex);
    auto it = f->leases.find(key);
    if (it != f->leases.end()) {
      log.swap(it->second.log);
      if (reclaim) f->leases.erase(it);
    }
  }
  Napi::Float64Array out = Napi::Float64Array::New(env, log.size());
  if (!log.empty()) std::memcpy(out.Data(), log.data(), log.size() * sizeof(double));
  return out;
}

// HttpFrontStats(front) -> { routes: [[route, status, count], ...], durations: [[route, sum, buckets[]]],
// produced, producedBytes, handedOff }
Napi::Value HttpFrontStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Front* f = Unwrap(info);
  Napi::Object result = Napi::Object::New(env);
  Napi::Array routes = Napi::Array::New(env);
  uint32_t k = 0;
  for (int r = f->opt.confluent ? kPixyRoutes : 0; r < (f->opt.confluent ? kRouteCount : kPixyRoutes); r++) {
    Napi::Array statuses = Napi::Array::New(env);
    uint32_t j = 0;
    for (int s = 0; s < kStatusCount; s++) {
      double count = f->stats.counts[r][s].load();
      if (count == 0) continue;
      Napi::Array row = Napi::Array::New(env, 2);
      row.Set(0u, Napi::Number::New(env, kStatuses[s]));
      row.Set(1u, Napi::Number::New(env, count));
      statuses.Set(j++, row);
    }
    Napi::Array buckets = Napi::Array::New(env, f->opt.buckets.size() + 1);
    for (size_t b = 0; b <= f->opt.buckets.size(); b++) buckets.Set(static_cast<uint32_t>(b), Napi::Number::New(env, f->stats.buckets[r][b].load()));
    Napi::Object route = Napi::Object::New(env);
    route.Set("route", Napi::String::New(env, kRoutes[r]));
    route.Set("method", Napi::String::New(env, kMethods[r]));
    route.Set("statuses", statuses);
    route.Set("sum", Napi::Number::New(env, f->stats.duration_sum[r].load()));
    route.Set("buckets", buckets);
    routes.Set(k++, route);
  }
  result.Set("routes", routes);
  result.Set("produced", Napi::Number::New(env, f->sink->produced.load()));
  result.Set("producedBytes", Napi::Number::New(env, f->sink->produced_bytes.load()));
  result.Set("handedOff", Napi::Number::New(env, f->stats.handed_off.load()));
  return result;
}

}  // namespace

void FrontDelivered(const rd_kafka_message_t* m) {
  uintptr_t opaque = reinterpret_cast<uintptr_t>(m->_private) & ~kFrontMessageTag;
  Sink* sink;
  uint64_t waiter = 0;
  if ((opaque & kSyncTag) != 0) {
    auto* message = reinterpret_cast<SyncMessage*>(opaque & ~kSyncTag);
    sink = message->sink;
    waiter = message->waiter;
    delete message;
  } else {
    sink = reinterpret_cast<Sink*>(opaque);
  }
  size_t size = m->len + m->key_len;
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    AddDouble(sink->produced, 1);
    AddDouble(sink->produced_bytes, static_cast<double>(size));
  }
  if (waiter != 0) {
    std::lock_guard<std::mutex> lock(sink->mutex);
    if (sink->fd >= 0) {
      sink->reports.push_back({waiter, static_cast<int>(m->err), m->partition, m->offset, size});
      uint64_t one = 1;
      // On the front end's own thread ServeKafka takes it right after its poll.
      if (!on_front_thread && write(sink->fd, &one, sizeof one) < 0) {
      }
    }
  }
  sink->Release();
}

void InitHttpFront(Napi::Env env, Napi::Object exports) {
  exports.Set("HttpFrontStart", Napi::Function::New(env, HttpFrontStart, "HttpFrontStart"));
  exports.Set("HttpFrontStop", Napi::Function::New(env, HttpFrontStop, "HttpFrontStop"));
  exports.Set("HttpFrontJoin", Napi::Function::New(env, HttpFrontJoin, "HttpFrontJoin"));
  exports.Set("HttpFrontReleased", Napi::Function::New(env, HttpFrontReleased, "HttpFrontReleased"));
  exports.Set("HttpFrontKnowTopic", Napi::Function::New(env, HttpFrontKnowTopic, "HttpFrontKnowTopic"));
  exports.Set("HttpFrontStats", Napi::Function::New(env, HttpFrontStats, "HttpFrontStats"));
  exports.Set("HttpFrontAnswer", Napi::Function::New(env, HttpFrontAnswer, "HttpFrontAnswer"));
  exports.Set("HttpFrontLease", Napi::Function::New(env, HttpFrontLease, "HttpFrontLease"));
  exports.Set("HttpFrontTake", Napi::Function::New(env, HttpFrontTake, "HttpFrontTake"));
}

#else

void InitHttpFront(Napi::Env, Napi::Object) {}  // HttpFrontStart absent: Node listens
void FrontDelivered(const rd_kafka_message_t*) {}

#endif

}  // namespace rdk
