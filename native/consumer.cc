// Consuming: SubscribeConsumerTPList, Consume, ConsumeBatch(Packed), Commit, Committed; manual
// assignment, seek, position, pause and resume; rebalance events (ConsumerEvents).
#include "handle.h"
#include "topic_partition.h"

#include <condition_variable>
#include <cstring>
#include <thread>
#include <vector>

namespace rdk {

// ---------------------------------------------------------------------------------------------
// Rebalance events. With EnableConsumerEvents, librdkafka hands each rebalance to our callback
// instead of applying it itself. The callback runs inside whichever call serves the consumer
// queue: Consume / ConsumeBatch on the JS thread, or the consumer close on a shutdown thread. It
// applies the change at once (rd_kafka_assign, or the incremental calls for cooperative
// protocols) and records it for ConsumerEvents; it never touches JavaScript.
// ---------------------------------------------------------------------------------------------

struct RebalanceEntry {
  std::string topic;
  int32_t partition;
  int64_t offset;
  int err;
};

struct RebalanceEvent {
  int code;  // ERR__ASSIGN_PARTITIONS, ERR__REVOKE_PARTITIONS, or an error
  std::vector<RebalanceEntry> partitions;
  bool lost;
  std::string protocol;
};

struct ConsumerState {
  // Events nobody drains are dropped oldest first beyond this many.
  static constexpr size_t kMaxEvents = 1024;
  std::mutex mutex;
  std::deque<RebalanceEvent> events;
  std::atomic<bool> installed{false};  // PrepareConsumerConf ran: the callback is in place

  void Record(int code, const rd_kafka_topic_partition_list_t* partitions, bool lost, const char* protocol) {
    RebalanceEvent event{code, {}, lost, protocol ? protocol : "NONE"};
    for (int i = 0; partitions != nullptr && i < partitions->cnt; i++) {
      const rd_kafka_topic_partition_t& tp = partitions->elems[i];
      event.partitions.push_back({tp.topic, tp.partition, tp.offset, tp.err});
    }
    std::lock_guard<std::mutex> lock(mutex);
    if (events.size() >= kMaxEvents) events.pop_front();
    events.push_back(std::move(event));
  }
};

namespace {

void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  // The configuration's opaque is the handle (KafkaHandle::Start), which outlives its client.
  ConsumerState* state = static_cast<KafkaHandle*>(opaque)->consumer_state.get();
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
  bool lost = err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS && rd_kafka_assignment_lost(rk);  // read before unassigning
  int failure = 0;
  std::string failure_text;
  if (cooperative && (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS || err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)) {
    rd_kafka_error_t* error = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? rd_kafka_incremental_assign(rk, partitions)
                                                                          : rd_kafka_incremental_unassign(rk, partitions);
    if (error != nullptr) {
      failure = rd_kafka_error_code(error);
      rd_kafka_error_destroy(error);
    }
  } else {
    failure = rd_kafka_assign(rk, err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS ? partitions : nullptr);
  }
  if (state == nullptr) return;
  state->Record(err, partitions, lost, protocol);
  if (failure != 0) state->Record(failure, partitions, false, protocol);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Destroying consumed messages. rd_kafka_message_destroy frees what librdkafka's broker thread
// allocated (an op per message, and a fetch's buffer with its last message): about 300 ns a
// message, most of ConsumeBatchPacked's time on the JS thread. ConsumeBatchPacked copies what it
// needs out of the messages and hands them to a thread of the consumer's own that destroys them.
// ---------------------------------------------------------------------------------------------

class MessageReaper {
 public:
  // What may wait to be destroyed; beyond it the JS thread destroys its own, so that the memory
  // the messages hold (their fetch buffers) stays bounded when this thread falls behind.
  static constexpr size_t kMaxMessages = 1000000;
  static constexpr size_t kMaxBytes = 64 * 1024 * 1024;

  MessageReaper() : thread_([this] { Run(); }) {}
  ~MessageReaper() { Stop(); }

  // Takes the messages (any thread) and leaves `msgs` empty; false when the backlog is full.
  bool Give(std::vector<rd_kafka_message_t*>* msgs, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_ || pending_.size() + msgs->size() > kMaxMessages || pending_bytes_ + bytes > kMaxBytes) return false;
      pending_.insert(pending_.end(), msgs->begin(), msgs->end());
      pending_bytes_ += bytes;
    }
    msgs->clear();
    wake_.notify_one();
    return true;
  }

  // Destroys what is left and ends the thread. Idempotent.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  void Run() {
    std::vector<rd_kafka_message_t*> taken;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopped_ || !pending_.empty(); });
        if (pending_.empty()) return;  // stopped, and nothing left
        taken.swap(pending_);
        pending_bytes_ = 0;
      }
      for (rd_kafka_message_t* msg : taken) rd_kafka_message_destroy(msg);
      taken.clear();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<rd_kafka_message_t*> pending_;
  size_t pending_bytes_ = 0;
  bool stopped_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

void StopMessageReaper(KafkaHandle* handle) {
  if (handle->message_reaper) handle->message_reaper->Stop();
}

void PrepareConsumerConf(KafkaHandle* handle, rd_kafka_conf_t* conf) {
  if (!handle->consumer_state) return;  // events not asked for: librdkafka assigns by itself
  rd_kafka_conf_set_rebalance_cb(conf, OnRebalance);
  handle->consumer_state->installed = true;
}

namespace {

const char* kNotSubscribed = "The consumer has not started: call SubscribeConsumerTPList first";

// The handle as a running consumer, or an error code with its message.
int RunningConsumer(const std::shared_ptr<KafkaHandle>& handle, std::string* message) {
  if (handle->kind() == KafkaHandle::Kind::Consumer) return 0;
  *message = handle->kind() == KafkaHandle::Kind::Producer ? "This handle is a producer, not a consumer" : kNotSubscribed;
  return RD_KAFKA_RESP_ERR__STATE;
}

Napi::Value BytesOrNull(Napi::Env env, const void* data, size_t size) {
  if (data == nullptr) return env.Null();
  return Napi::Buffer<char>::Copy(env, static_cast<const char*>(data), size);
}

// The message's headers, or nullptr when it has none.
rd_kafka_headers_t* HeadersOf(rd_kafka_message_t* msg) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || rd_kafka_header_cnt(hdrs) == 0) return nullptr;
  return hdrs;
}

// True when a consumed message certainly has no headers, found without rd_kafka_message_headers:
// librdkafka 2.0 parses headers on every such call, and a record without any still carries its
// header count, so each call allocates, zeroes and frees a parse buffer (more than half of
// ConsumeBatchPacked's time on the JS thread, measured). The payload points into the fetched
// records (librdkafka does not copy it). In a v2 record (Kafka 0.11+) the value is preceded by its
// varint length and followed by the varint header count, whose one byte is 0 for none and never 0
// otherwise. An older-format value is preceded by its length as 4 big-endian bytes and may end the
// buffer: when those 4 bytes read so, or the value is null or empty (its pointer is not always in
// the record then: test/consumer-headers.test.ts), librdkafka is asked.
bool SurelyNoHeaders(const rd_kafka_message_t* msg) {
  if (msg->payload == nullptr || msg->len == 0) return false;
  const auto* value = static_cast<const unsigned char*>(msg->payload);
  const auto length = static_cast<uint32_t>(msg->len);
  if (value[-4] == (length >> 24) && value[-3] == ((length >> 16) & 0xff) && value[-2] == ((length >> 8) & 0xff) && value[-1] == (length & 0xff)) return false;
  return value[msg->len] == 0;
}

// Headers as [[name, value | null], ...] in order (names may repeat); empty for nullptr.
Napi::Array HeaderArray(Napi::Env env, rd_kafka_headers_t* hdrs) {
  Napi::Array headers = Napi::Array::New(env);
  if (hdrs == nullptr) return headers;
  const char* name;
  const void* value;
  size_t size;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, Napi::String::New(env, name));
    pair.Set(1u, BytesOrNull(env, value, size));
    headers.Set(static_cast<uint32_t>(i), pair);
  }
  return headers;
}

// [0, topic, payload, key, partition, offset, timestamp, headers] or, for an error, [code, message].
Napi::Array MessageTuple(Napi::Env env, rd_kafka_message_t* msg) {
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    std::string text = rd_kafka_message_errstr(msg);
    if (msg->rkt != nullptr) text += " (topic " + std::string(rd_kafka_topic_name(msg->rkt)) + ")";
    return CodeAndMessage(env, msg->err, text);
  }
  Napi::Array tuple = Napi::Array::New(env, 8);
  tuple.Set(0u, Napi::Number::New(env, 0));
  tuple.Set(1u, Napi::String::New(env, rd_kafka_topic_name(msg->rkt)));
  tuple.Set(2u, BytesOrNull(env, msg->payload, msg->len));
  tuple.Set(3u, BytesOrNull(env, msg->key, msg->key_len));
  tuple.Set(4u, Napi::Number::New(env, msg->partition));
  tuple.Set(5u, Int64Value(env, msg->offset));
  rd_kafka_timestamp_type_t type;
  tuple.Set(6u, Int64Value(env, rd_kafka_message_timestamp(msg, &type)));
  tuple.Set(7u, HeaderArray(env, HeadersOf(msg)));
  return tuple;
}

// SubscribeConsumerTPList(h, list) -> [code, message]. Starts the consumer on first call and
// subscribes to the list's topics (partitions are ignored, as in rd_kafka_subscribe). A second
// call replaces the subscription of the same client. The list stays the caller's.
Napi::Value SubscribeConsumerTPList(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  rd_kafka_topic_partition_list_t* list = UnwrapList(info, 1);
  std::string message;
  int code = handle->Start(KafkaHandle::Kind::Consumer, &message);
  if (code != 0) return CodeAndMessage(info.Env(), code, message);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(list->cnt);
  for (int i = 0; i < list->cnt; i++) {
    if (!rd_kafka_topic_partition_list_find(topics, list->elems[i].topic, RD_KAFKA_PARTITION_UA)) {
      rd_kafka_topic_partition_list_add(topics, list->elems[i].topic, RD_KAFKA_PARTITION_UA);
    }
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(handle->rk(), topics);
  rd_kafka_topic_partition_list_destroy(topics);
  return CodeAndMessage(info.Env(), err, err ? rd_kafka_err2str(err) : "");
}

// ---------------------------------------------------------------------------------------------
// A lost OffsetFetch. When the OffsetFetch librdkafka sends for newly assigned partitions fails
// with a coordinator or transport error (a coordinator that moved, one still loading its group
// offsets), librdkafka reports "Failed to fetch committed offset(s)..." as a consumer error and
// never asks again: those partitions are never fetched (librdkafka 2.0.2 and 2.15.1 alike; its
// issue #5586). Consume and TakeReady assign them again when they see that error, which makes
// librdkafka ask again once it knows the coordinator.
// ---------------------------------------------------------------------------------------------

bool IsLostOffsetFetch(rd_kafka_message_t* msg) {
  switch (msg->err) {
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
      break;
    default:
      return false;
  }
  // librdkafka gives no other sign of this error than its text.
  static constexpr char kPrefix[] = "Failed to fetch committed offset";
  const char* text = rd_kafka_message_errstr(msg);
  return text != nullptr && std::strncmp(text, kPrefix, sizeof kPrefix - 1) == 0;
}

// Assigns again the partitions that wait for their committed offset: those assigned without an
// offset of their own (-1001 or -1000) from which nothing was consumed yet. With an eager or no
// protocol the whole assignment is given again (rd_kafka_assign replaces it), each partition that
// was read from at its position, so no record is read twice; cooperative ones move alone.
void ReassignUnfetched(KafkaHandle* handle) {
  rd_kafka_t* rk = handle->rk();
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  rd_kafka_topic_partition_list_t* positions = rd_kafka_topic_partition_list_copy(assigned);
  rd_kafka_position(rk, positions);
  rd_kafka_topic_partition_list_t* unfetched = rd_kafka_topic_partition_list_new(assigned->cnt);
  for (int i = 0; i < assigned->cnt; i++) {
    rd_kafka_topic_partition_t& tp = assigned->elems[i];
    int64_t position = positions->elems[i].offset;
    if (position >= 0) {
      tp.offset = position;
    } else if (tp.offset == RD_KAFKA_OFFSET_INVALID || tp.offset == RD_KAFKA_OFFSET_STORED) {
      rd_kafka_topic_partition_list_add(unfetched, tp.topic, tp.partition)->offset = tp.offset;
    }
  }
  if (unfetched->cnt > 0) {
    const char* protocol = rd_kafka_rebalance_protocol(rk);
    int failure = 0;
    if (protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0) {
      rd_kafka_error_t* error = rd_kafka_incremental_unassign(rk, unfetched);
      if (error == nullptr) error = rd_kafka_incremental_assign(rk, unfetched);
      if (error != nullptr) {
        failure = rd_kafka_error_code(error);
        rd_kafka_error_destroy(error);
      }
    } else {
      failure = rd_kafka_assign(rk, assigned);
    }
    std::string line = "Assigning " + std::to_string(unfetched->cnt) + " partition(s) again to fetch their committed offsets";
    if (failure != 0) line += std::string(" failed: ") + rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(failure));
    handle->Log(failure != 0 ? 3 : 5, "REASSIGN", line);
  }
  rd_kafka_topic_partition_list_destroy(unfetched);
  rd_kafka_topic_partition_list_destroy(positions);
  rd_kafka_topic_partition_list_destroy(assigned);
}

// Consume(h, timeoutMs = 0) -> [0, topic, payload, key, partition, offset, timestamp, headers]
// | [1] nothing yet | [code, message]. Synchronous: a timeout above 0 waits on the calling thread.
// Errors are the consumer's (e.g. a subscribed topic that does not exist) and the client's
// (transport failures, all brokers down, a fatal error), each reported once.
Napi::Value Consume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 1, "timeoutMs", 0, INT32_MAX, 0));
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code != 0) return CodeAndMessage(env, code, message);
  rd_kafka_message_t* msg = rd_kafka_consumer_poll(handle->rk(), timeout_ms);
  if (msg == nullptr) {
    if (handle->TakeClientError(&code, &message)) return CodeAndMessage(env, code, message);
    Napi::Array nothing = Napi::Array::New(env, 1);
    nothing.Set(0u, Napi::Number::New(env, 1));
    return nothing;
  }
  if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR && IsLostOffsetFetch(msg)) ReassignUnfetched(handle.get());
  Napi::Array tuple = MessageTuple(env, msg);
  rd_kafka_message_destroy(msg);
  return tuple;
}

// Up to `max` messages (and errors) librdkafka has ready for a running consumer; never waits.
// 0, or an error code with its message.
int TakeReady(const std::shared_ptr<KafkaHandle>& handle, size_t max, std::vector<rd_kafka_message_t*>* msgs, std::string* message) {
  int code = RunningConsumer(handle, message);
  if (code != 0) return code;
  msgs->resize(max);
  ssize_t got = rd_kafka_consume_batch_queue(handle->queue(), 0, msgs->data(), max);
  if (got < 0) {
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    *message = rd_kafka_err2str(err);
    msgs->clear();
    return err;
  }
  msgs->resize(static_cast<size_t>(got));
  for (rd_kafka_message_t* msg : *msgs) {
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR && IsLostOffsetFetch(msg)) {
      ReassignUnfetched(handle.get());
      break;
    }
  }
  return 0;
}

// ConsumeBatch(h, max) -> array of Consume's tuples (messages and errors), possibly empty.
// Never blocks. Offsets are stored as messages leave librdkafka, as with Consume.
Napi::Value ConsumeBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  size_t max = static_cast<size_t>(ExpectInteger(info, 1, "max", 1, 1000000));
  std::vector<rd_kafka_message_t*> msgs;
  std::string message;
  int code = TakeReady(handle, max, &msgs, &message);
  if (code != 0) {
    Napi::Array result = Napi::Array::New(env, 1);
    result.Set(0u, CodeAndMessage(env, code, message));
    return result;
  }
  Napi::Array result = Napi::Array::New(env, msgs.size());
  for (size_t i = 0; i < msgs.size(); i++) {
    result.Set(static_cast<uint32_t>(i), MessageTuple(env, msgs[i]));
    rd_kafka_message_destroy(msgs[i]);
  }
  for (uint32_t i = static_cast<uint32_t>(msgs.size()); handle->TakeClientError(&code, &message); i++) {
    result.Set(i, CodeAndMessage(env, code, message));
  }
  return result;
}

// ConsumeBatchPacked(h, max) -> [0, count, topics, fields, data, extras] | [code, message].
// ConsumeBatch without an object per message: up to `max` ready messages (never waits) packed
// into columns. `fields` (Float64Array) holds kPackedFields numbers per message:
//   [topic index | -1 for an error, partition, offset, timestamp,
//    start in data, payload length | -1 for null, key length | -1 for null, extras index | -1]
// `data` is one Buffer with each payload followed by its key; `topics` the batch's topic names;
// `extras` (or null) the headers of messages that have any (as HeaderTuple[]) and, for error
// rows, [code, message]. Offsets are stored as messages leave librdkafka, as with Consume; the
// messages themselves are destroyed on the consumer's MessageReaper thread.
constexpr int kPackedFields = 8;

Napi::Value ConsumeBatchPacked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  size_t max = static_cast<size_t>(ExpectInteger(info, 1, "max", 1, 1000000));
  std::vector<rd_kafka_message_t*> msgs;
  std::string message;
  int code = TakeReady(handle, max, &msgs, &message);
  if (code != 0) return CodeAndMessage(env, code, message);
  std::vector<std::pair<int, std::string>> client_errors;  // error rows, before the messages
  while (handle->TakeClientError(&code, &message)) client_errors.emplace_back(code, message);
  size_t count = msgs.size() + client_errors.size();
  size_t total = 0;
  for (size_t i = 0; i < msgs.size(); i++) {
    if (msgs[i]->err != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (msgs[i]->payload != nullptr) total += msgs[i]->len;
    if (msgs[i]->key != nullptr) total += msgs[i]->key_len;
  }
  Napi::Buffer<char> data = Napi::Buffer<char>::New(env, total);
  Napi::Float64Array fields = Napi::Float64Array::New(env, count * kPackedFields);
  Napi::Array topics = Napi::Array::New(env);
  Napi::Value extras = env.Null();
  uint32_t extras_count = 0;
  auto add_extra = [&](Napi::Value value) {
    if (extras.IsNull()) extras = Napi::Array::New(env);
    extras.As<Napi::Array>().Set(extras_count, value);
    return static_cast<double>(extras_count++);
  };
  std::vector<rd_kafka_topic_t*> seen;  // topics[i] is seen[i]'s name
  char* out = data.Data();
  size_t at = 0;
  double* f = fields.Data();
  for (const auto& [error_code, error_message] : client_errors) {
    f[0] = f[3] = f[5] = f[6] = -1;
    f[1] = -1;
    f[2] = -1001;
    f[4] = 0;
    f[7] = add_extra(CodeAndMessage(env, error_code, error_message));
    f += kPackedFields;
  }
  for (size_t i = 0; i < msgs.size(); i++, f += kPackedFields) {
    rd_kafka_message_t* msg = msgs[i];
    f[1] = msg->partition;
    f[2] = static_cast<double>(msg->offset);
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      f[0] = -1;
      f[3] = -1;
      f[4] = static_cast<double>(at);
      f[5] = f[6] = -1;
      f[7] = add_extra(MessageTuple(env, msg));  // [code, message]
      continue;
    }
    size_t topic = 0;
    while (topic < seen.size() && seen[topic] != msg->rkt) topic++;
    if (topic == seen.size()) {
      seen.push_back(msg->rkt);
      topics.Set(static_cast<uint32_t>(topic), Napi::String::New(env, rd_kafka_topic_name(msg->rkt)));
    }
    f[0] = static_cast<double>(topic);
    rd_kafka_timestamp_type_t type;
    f[3] = static_cast<double>(rd_kafka_message_timestamp(msg, &type));
    f[4] = static_cast<double>(at);
    f[5] = msg->payload != nullptr ? static_cast<double>(msg->len) : -1;
    f[6] = msg->key != nullptr ? static_cast<double>(msg->key_len) : -1;
    if (msg->payload != nullptr && msg->len > 0) std::memcpy(out + at, msg->payload, msg->len);
    if (msg->payload != nullptr) at += msg->len;
    if (msg->key != nullptr && msg->key_len > 0) std::memcpy(out + at, msg->key, msg->key_len);
    if (msg->key != nullptr) at += msg->key_len;
    rd_kafka_headers_t* headers = SurelyNoHeaders(msg) ? nullptr : HeadersOf(msg);
    f[7] = headers != nullptr ? add_extra(HeaderArray(env, headers)) : -1;  // no JS array for none
  }
  if (!msgs.empty()) {
    if (!handle->message_reaper) handle->message_reaper = std::make_shared<MessageReaper>();
    if (!handle->message_reaper->Give(&msgs, total)) {
      for (rd_kafka_message_t* msg : msgs) rd_kafka_message_destroy(msg);
    }
  }
  Napi::Array result = Napi::Array::New(env, 6);
  result.Set(0u, Napi::Number::New(env, 0));
  result.Set(1u, Napi::Number::New(env, static_cast<double>(count)));
  result.Set(2u, topics);
  result.Set(3u, fields);
  result.Set(4u, data);
  result.Set(5u, extras);
  return result;
}

// The list argument of Commit / Committed: a list handle, or null for "the current assignment".
rd_kafka_topic_partition_list_t* OptionalListCopy(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value value = Arg(info, i);
  if (value.IsNull() || value.IsUndefined()) return nullptr;
  return rd_kafka_topic_partition_list_copy(UnwrapList(info, i));
}

// Commit(h, list | null, async = false) -> code. null commits the current positions. With async
// false it waits for the broker on the calling thread; with true it returns at once.
Napi::Value Commit(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  bool async = ExpectBool(info, 2, "async", false);
  rd_kafka_topic_partition_list_t* offsets = OptionalListCopy(info, 1);
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code == 0) code = rd_kafka_commit(handle->rk(), offsets, async ? 1 : 0);
  if (offsets) rd_kafka_topic_partition_list_destroy(offsets);
  return Napi::Number::New(info.Env(), code);
}

// CommitAsync(h, list | null) -> Promise<code>: the commit is queued to librdkafka on the calling
// thread, so it goes out before any rebalance a later Consume applies (librdkafka waits for queued
// commits before it rejoins the group); its answer settles the promise (KafkaHandle::QueueCommit).
Napi::Value CommitAsync(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  rd_kafka_topic_partition_list_t* offsets = OptionalListCopy(info, 1);
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code != 0) {
    if (offsets) rd_kafka_topic_partition_list_destroy(offsets);
    auto deferred = Napi::Promise::Deferred::New(info.Env());
    deferred.Resolve(Napi::Number::New(info.Env(), code));
    return deferred.Promise();
  }
  napi_value promise = handle->QueueCommit(info.Env(), offsets);
  if (offsets) rd_kafka_topic_partition_list_destroy(offsets);  // librdkafka copied it
  return Napi::Value(info.Env(), promise);
}

Napi::Array CommittedResult(Napi::Env env, int code, const rd_kafka_topic_partition_list_t* list) {
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, code));
  result.Set(1u, list ? ListEntries(env, list) : Napi::Array::New(env));
  return result;
}

// Committed(h, list, timeoutMs = 5000) -> [code, [[topic, partition, offset, error], ...]] for
// every entry of the list (offset -1001 when the group never committed it). Synchronous.
Napi::Value Committed(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_copy(UnwrapList(info, 1));
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 2, "timeoutMs", 0, INT32_MAX, 5000));
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code == 0) code = rd_kafka_committed(handle->rk(), list, timeout_ms);
  Napi::Array result = CommittedResult(info.Env(), code, list);
  rd_kafka_topic_partition_list_destroy(list);
  return result;
}

// CommittedAsync(h, list, timeoutMs = 5000) -> Promise of Committed's result.
Napi::Value CommittedAsync(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_copy(UnwrapList(info, 1));
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 2, "timeoutMs", 0, INT32_MAX, 5000));
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code != 0) {
    auto deferred = Napi::Promise::Deferred::New(info.Env());
    deferred.Resolve(CommittedResult(info.Env(), code, list));
    rd_kafka_topic_partition_list_destroy(list);
    return deferred.Promise();
  }
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  return RunBlocking(info.Env(), [token, list, timeout_ms]() -> Completion {
    int result = rd_kafka_committed(token->rk(), list, timeout_ms);
    return [result, list](Napi::Env env) {
      Napi::Array value = CommittedResult(env, result, list);
      rd_kafka_topic_partition_list_destroy(list);
      return value;
    };
  });
}

// [code, entries]
Napi::Array CodeAndEntries(Napi::Env env, int code, const rd_kafka_topic_partition_list_t* list) {
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, code));
  result.Set(1u, list ? ListEntries(env, list) : Napi::Array::New(env));
  return result;
}

// Runs `call` on a copy of the list argument when the handle is a running consumer, and returns
// [code, entries] with the entries as `call` left them (each with its own error).
template <typename Call>
Napi::Value WithListCopy(const Napi::CallbackInfo& info, Call call) {
  auto handle = UnwrapHandle(info, 0);
  std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)> list(
      rd_kafka_topic_partition_list_copy(UnwrapList(info, 1)), rd_kafka_topic_partition_list_destroy);
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code == 0) code = call(handle->rk(), list.get());
  return CodeAndEntries(info.Env(), code, list.get());
}

// EnableConsumerEvents(h) -> code. Asks for rebalance events (ConsumerEvents); call it before the
// consumer starts. 0, or ERR__STATE (-172) when the client already runs without them.
Napi::Value EnableConsumerEvents(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int code = 0;
  if (handle->kind() == KafkaHandle::Kind::Unstarted) {
    if (!handle->consumer_state) handle->consumer_state = std::make_shared<ConsumerState>();
  } else if (handle->kind() != KafkaHandle::Kind::Consumer || !handle->consumer_state) {
    code = RD_KAFKA_RESP_ERR__STATE;
  }
  return Napi::Number::New(info.Env(), code);
}

// ConsumerEvents(h, max = 1000000) -> [code, [[eventCode, [[topic, partition, offset, error], ...],
// lost, protocol], ...]]: the rebalance events since the last call, oldest first. eventCode is
// -175 (ERR__ASSIGN_PARTITIONS: the partitions were assigned), -174 (ERR__REVOKE_PARTITIONS:
// taken away; lost is true when they were lost rather than handed over) or an error. protocol is
// EAGER (the whole assignment each time) or COOPERATIVE (only what changed). The code is
// ERR__STATE (-172) when EnableConsumerEvents was not called before the consumer started, and
// ERR__NOT_IMPLEMENTED (-170) when the client started without the rebalance hook.
Napi::Value ConsumerEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  size_t max = static_cast<size_t>(ExpectIntegerOr(info, 1, "max", 1, 1000000, 1000000));
  std::shared_ptr<ConsumerState> state = handle->consumer_state;
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(1u, Napi::Array::New(env));
  if (!state) {
    result.Set(0u, Napi::Number::New(env, handle->kind() == KafkaHandle::Kind::Unstarted ? 0 : RD_KAFKA_RESP_ERR__STATE));
    return result;
  }
  if (handle->kind() == KafkaHandle::Kind::Consumer && !state->installed) {
    result.Set(0u, Napi::Number::New(env, RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED));
    return result;
  }
  std::deque<RebalanceEvent> taken;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    size_t n = std::min(max, state->events.size());
    taken.assign(std::make_move_iterator(state->events.begin()), std::make_move_iterator(state->events.begin() + static_cast<long>(n)));
    state->events.erase(state->events.begin(), state->events.begin() + static_cast<long>(n));
  }
  Napi::Array events = Napi::Array::New(env, taken.size());
  for (size_t i = 0; i < taken.size(); i++) {
    const RebalanceEvent& event = taken[i];
    Napi::Array partitions = Napi::Array::New(env, event.partitions.size());
    for (size_t p = 0; p < event.partitions.size(); p++) {
      const RebalanceEntry& e = event.partitions[p];
      Napi::Array entry = Napi::Array::New(env, 4);
      entry.Set(0u, Napi::String::New(env, e.topic));
      entry.Set(1u, Napi::Number::New(env, e.partition));
      entry.Set(2u, Int64Value(env, e.offset));
      entry.Set(3u, Napi::Number::New(env, e.err));
      partitions.Set(static_cast<uint32_t>(p), entry);
    }
    Napi::Array tuple = Napi::Array::New(env, 4);
    tuple.Set(0u, Napi::Number::New(env, event.code));
    tuple.Set(1u, partitions);
    tuple.Set(2u, Napi::Boolean::New(env, event.lost));
    tuple.Set(3u, Napi::String::New(env, event.protocol));
    events.Set(static_cast<uint32_t>(i), tuple);
  }
  result.Set(0u, Napi::Number::New(env, 0));
  result.Set(1u, events);
  return result;
}

// Assign(h, list | null) -> [code, message]. Starts the consumer if needed and consumes exactly
// the list's partitions, from each entry's offset (-1001: the committed offset, else
// auto.offset.reset; -2 beginning; -1 end). null removes the assignment. The client needs a
// group.id (librdkafka 2.0.2 refuses with ERR__UNKNOWN_GROUP otherwise), but joins no group: the
// id only says where commits and committed offsets go.
Napi::Value Assign(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  Napi::Value arg = Arg(info, 1);
  rd_kafka_topic_partition_list_t* list = (arg.IsNull() || arg.IsUndefined()) ? nullptr : UnwrapList(info, 1);
  std::string message;
  int code = handle->Start(KafkaHandle::Kind::Consumer, &message);
  if (code != 0) return CodeAndMessage(info.Env(), code, message);
  rd_kafka_resp_err_t err = rd_kafka_assign(handle->rk(), list);
  return CodeAndMessage(info.Env(), err, err ? rd_kafka_err2str(err) : "");
}

// Unsubscribe(h) -> code: leaves the group's topics (the consumer stays open; 0 when it never
// subscribed). ERR__STATE (-172) before the consumer started.
Napi::Value Unsubscribe(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code == 0) code = rd_kafka_unsubscribe(handle->rk());
  return Napi::Number::New(info.Env(), code);
}

// Assignment(h) -> [code, [[topic, partition, offset, error], ...]]: the partitions this consumer
// reads now (offset -1001: not tracked here).
Napi::Value Assignment(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  std::string message;
  int code = RunningConsumer(handle, &message);
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (code == 0) code = rd_kafka_assignment(handle->rk(), &list);
  Napi::Array result = CodeAndEntries(info.Env(), code, list);
  if (list) rd_kafka_topic_partition_list_destroy(list);
  return result;
}

// Seek(h, list, timeoutMs = 0) -> [code, entries]: the next Consume of each assigned partition
// reads from the entry's offset (-2 beginning, -1 end). With 0 it returns at once: each entry's
// error is -178 (ERR__IN_PROGRESS: the seek started) or -190 (not assigned). Above 0 it waits on
// the calling thread for each seek to finish (error 0).
Napi::Value Seek(const Napi::CallbackInfo& info) {
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 2, "timeoutMs", 0, INT32_MAX, 0));
  return WithListCopy(info, [timeout_ms](rd_kafka_t* rk, rd_kafka_topic_partition_list_t* list) -> int {
    rd_kafka_error_t* error = rd_kafka_seek_partitions(rk, list, timeout_ms);
    if (error == nullptr) return 0;
    int code = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
    return code;
  });
}

// Position(h, list) -> [code, entries]: each partition's next offset to consume (the last
// consumed + 1; -1001 when nothing was consumed yet). Never blocks.
Napi::Value Position(const Napi::CallbackInfo& info) {
  return WithListCopy(info, [](rd_kafka_t* rk, rd_kafka_topic_partition_list_t* list) -> int { return rd_kafka_position(rk, list); });
}

// Pause(h, list) -> [code, entries]: stops fetching the partitions (they stay assigned).
Napi::Value Pause(const Napi::CallbackInfo& info) {
  return WithListCopy(info, [](rd_kafka_t* rk, rd_kafka_topic_partition_list_t* list) -> int { return rd_kafka_pause_partitions(rk, list); });
}

// Resume(h, list) -> [code, entries]: fetches paused partitions again.
Napi::Value Resume(const Napi::CallbackInfo& info) {
  return WithListCopy(info, [](rd_kafka_t* rk, rd_kafka_topic_partition_list_t* list) -> int { return rd_kafka_resume_partitions(rk, list); });
}

}  // namespace

napi_value KafkaHandle::QueueCommit(napi_env env, rd_kafka_topic_partition_list_t* offsets) {
  napi_deferred deferred;
  napi_value promise;
  napi_create_promise(env, &deferred, &promise);
  if (commit_replies_ == nullptr) {
    commit_replies_ = rd_kafka_queue_new(rk_);
    rd_kafka_queue_cb_event_enable(commit_replies_, OnQueueEvent, this);  // wakes the JS thread
  }
  uint64_t id = next_commit_id_++;
  commits_in_flight_++;
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(rk_, offsets, commit_replies_, nullptr, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {  // refused at once: no answer will come
    commits_in_flight_--;
    napi_value code;
    napi_create_int32(env, err, &code);
    napi_resolve_deferred(env, deferred, code);
    return promise;
  }
  commits_.emplace(id, deferred);
  UpdateLoopReference();  // a pending commit keeps the process alive, as a thread of its own did
  return promise;
}

void KafkaHandle::TakeCommitAnswers(bool wait) {
  while (commits_in_flight_.load() > 0) {
    rd_kafka_event_t* event = rd_kafka_queue_poll(commit_replies_, wait ? 1000 : 0);
    if (event == nullptr) {
      if (wait) continue;
      return;
    }
    if (rd_kafka_event_type(event) == RD_KAFKA_EVENT_OFFSET_COMMIT) {
      uint64_t id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(rd_kafka_event_opaque(event)));
      int code = rd_kafka_event_error(event);
      commits_in_flight_--;
      std::lock_guard<std::mutex> lock(commit_answers_mutex_);
      commit_answers_.emplace_back(id, code);
    }
    rd_kafka_event_destroy(event);
  }
}

void KafkaHandle::SettleCommits(napi_env env) {
  std::deque<std::pair<uint64_t, int>> answers;
  {
    std::lock_guard<std::mutex> lock(commit_answers_mutex_);
    answers.swap(commit_answers_);
  }
  for (const auto& [id, code] : answers) {
    auto found = commits_.find(id);
    if (found == commits_.end()) continue;
    napi_deferred deferred = found->second;
    commits_.erase(found);
    napi_value value;
    napi_create_int32(env, code, &value);
    napi_resolve_deferred(env, deferred, value);
  }
  UpdateLoopReference();
}

void InitConsumer(Napi::Env env, Napi::Object exports) {
  exports.Set("SubscribeConsumerTPList", Napi::Function::New(env, SubscribeConsumerTPList, "SubscribeConsumerTPList"));
  exports.Set("Consume", Napi::Function::New(env, Consume, "Consume"));
  exports.Set("ConsumeBatch", Napi::Function::New(env, ConsumeBatch, "ConsumeBatch"));
  exports.Set("ConsumeBatchPacked", Napi::Function::New(env, ConsumeBatchPacked, "ConsumeBatchPacked"));
  exports.Set("Commit", Napi::Function::New(env, Commit, "Commit"));
  exports.Set("CommitAsync", Napi::Function::New(env, CommitAsync, "CommitAsync"));
  exports.Set("Committed", Napi::Function::New(env, Committed, "Committed"));
  exports.Set("CommittedAsync", Napi::Function::New(env, CommittedAsync, "CommittedAsync"));
  exports.Set("EnableConsumerEvents", Napi::Function::New(env, EnableConsumerEvents, "EnableConsumerEvents"));
  exports.Set("ConsumerEvents", Napi::Function::New(env, ConsumerEvents, "ConsumerEvents"));
  exports.Set("Assign", Napi::Function::New(env, Assign, "Assign"));
  exports.Set("Unsubscribe", Napi::Function::New(env, Unsubscribe, "Unsubscribe"));
  exports.Set("Assignment", Napi::Function::New(env, Assignment, "Assignment"));
  exports.Set("Seek", Napi::Function::New(env, Seek, "Seek"));
  exports.Set("Position", Napi::Function::New(env, Position, "Position"));
  exports.Set("Pause", Napi::Function::New(env, Pause, "Pause"));
  exports.Set("Resume", Napi::Function::New(env, Resume, "Resume"));
}

}  // namespace rdk
