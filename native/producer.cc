// Producing: Produce, DeliveryReport, Flush.
#include "handle.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace rdk {

namespace {

// Record headers from [[name, value], ...]; value is bytes or null. nullptr when there are none.
rd_kafka_headers_t* ExpectHeaders(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return nullptr;
  Napi::Env env = value.Env();
  if (!value.IsArray()) ThrowExpected(env, "an array of [name, value] pairs", "headers", value);
  Napi::Array pairs = value.As<Napi::Array>();
  // Check everything before allocating, so a bad entry cannot leak the list.
  std::vector<std::pair<std::string, Bytes>> checked;
  for (uint32_t i = 0; i < pairs.Length(); i++) {
    Napi::Value pair = pairs.Get(i);
    if (!pair.IsArray() || pair.As<Napi::Array>().Length() != 2 || !pair.As<Napi::Array>().Get(0u).IsString()) {
      ThrowExpected(env, "a [name: string, value] pair", ("headers[" + std::to_string(i) + "]").c_str(), pair);
    }
    Napi::Array entry = pair.As<Napi::Array>();
    checked.emplace_back(entry.Get(0u).As<Napi::String>().Utf8Value(),
                         ExpectBytes(entry.Get(1u), ("headers[" + std::to_string(i) + "] value").c_str()));
  }
  rd_kafka_headers_t* headers = rd_kafka_headers_new(checked.size());
  for (auto& [name, bytes] : checked) {
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                        bytes.data(), bytes.size);
  }
  return headers;
}

// librdkafka refuses a message with ERR__STATE only when a transactional producer is outside a transaction.
const char* const kNotInTransaction =
    "A transactional producer sends only inside a transaction: call beginTransaction() first (after initTransactions())";

Napi::Array ProduceResult(Napi::Env env, int code, uint64_t msgid, const std::string& message) {
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::Number::New(env, code));
  result.Set(1u, Napi::Number::New(env, static_cast<double>(msgid)));
  result.Set(2u, Napi::String::New(env, message));
  return result;
}

// The arguments of one Produce call. The common case (a Buffer payload, a topic name of up to
// 255 bytes, a number partition) is read with one N-API call per argument; anything else goes
// through the general checks, which also word the errors.
struct ProduceArgs {
  char topic_small[256];
  std::string topic_large;
  const char* topic = nullptr;
  size_t topic_length = 0;
  Bytes payload;
  Bytes key;
  int32_t partition = -1;
  int64_t timestamp = 0;
  rd_kafka_headers_t* headers = nullptr;  // owned until librdkafka accepts the message
};

// A Buffer (the common case) read with one N-API call; false for anything else, which the
// caller hands to the general checks.
bool ReadBuffer(napi_env env, napi_value value, Bytes* bytes) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok || type != napi_uint8_array) {
    return false;
  }
  bytes->isNull = false;
  bytes->view = length > 0 ? static_cast<const char*>(data) : "";  // empty stays distinct from null
  bytes->size = length;
  return true;
}

Bytes ReadBytes(napi_env env, napi_value value, const char* parameter) {
  Bytes bytes;
  if (ReadBuffer(env, value, &bytes)) return bytes;
  return ExpectBytes(Napi::Value(env, value), parameter);
}

void ReadProduceArgs(const Napi::CallbackInfo& info, ProduceArgs* args) {
  napi_env env = info.Env();
  Napi::Value topic = Arg(info, 1);
  if (napi_get_value_string_utf8(env, topic, args->topic_small, sizeof args->topic_small, &args->topic_length) == napi_ok &&
      args->topic_length < sizeof args->topic_small - 1 && std::memchr(args->topic_small, 0, args->topic_length) == nullptr) {
    args->topic = args->topic_small;
  } else {
    args->topic_large = ExpectString(info, 1, "topic");  // long, or not a clean string (throws)
    args->topic = args->topic_large.c_str();
    args->topic_length = args->topic_large.size();
  }
  args->payload = ReadBytes(env, Arg(info, 2), "payload");
  args->key = ReadBytes(env, Arg(info, 3), "key");
  double partition;
  if (info.Length() > 4 && napi_get_value_double(env, info[4], &partition) == napi_ok && partition >= -1 && partition <= INT32_MAX &&
      partition == static_cast<int32_t>(partition)) {
    args->partition = static_cast<int32_t>(partition);
  } else {
    args->partition = static_cast<int32_t>(ExpectIntegerOr(info, 4, "partition", -1, INT32_MAX, -1));
  }
  if (info.Length() > 6) args->timestamp = ExpectIntegerOr(info, 6, "timestamp", 0, 9007199254740991LL, 0);
  if (info.Length() > 5) args->headers = ExpectHeaders(info[5]);
}

// Queues one message; 0 and its msgid, or an error code and its text.
int ProduceOne(KafkaHandle* handle, ProduceArgs* args, uint64_t* msgid, std::string* message) {
  int code = handle->Start(KafkaHandle::Kind::Producer, message);
  if (code != 0) return code;
  *msgid = handle->PeekMsgid();
  void* opaque = reinterpret_cast<void*>(static_cast<uintptr_t>(*msgid));
  // The handle's topic object saves librdkafka a lookup by name for every message.
  rd_kafka_topic_t* rkt = handle->Topic(args->topic, args->topic_length);
  if (rkt == nullptr) {  // a name librdkafka refuses (longer than 512 bytes)
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    *message = std::string(rd_kafka_err2str(err)) + " (topic '" + std::string(args->topic, args->topic_length) + "')";
    return err;
  }
  rd_kafka_resp_err_t err = rd_kafka_producev(
      handle->rk(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(args->partition), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE(const_cast<char*>(args->payload.data()), args->payload.size),
      RD_KAFKA_V_KEY(args->key.data(), args->key.size), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_HEADERS(args->headers),
      RD_KAFKA_V_TIMESTAMP(args->timestamp), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    *message = err == RD_KAFKA_RESP_ERR__STATE ? kNotInTransaction : rd_kafka_err2str(err);
    return err;
  }
  args->headers = nullptr;  // librdkafka's now
  handle->MessageAccepted();
  return 0;
}

// Reads Produce's arguments and queues the message: 0 and its msgid, or a code and its text.
int ProduceCall(const Napi::CallbackInfo& info, uint64_t* msgid, std::string* message) {
  auto handle = UnwrapHandle(info, 0);
  ProduceArgs args;
  ReadProduceArgs(info, &args);
  int code = ProduceOne(handle.get(), &args, msgid, message);
  if (args.headers) rd_kafka_headers_destroy(args.headers);  // still ours when the message was refused
  return code;
}

// Produce(h, topic, payload, key, partition = -1, headers?, timestamp?) -> [code, msgid, message]
// payload/key: Buffer, Uint8Array, string, or null (a Kafka null, distinct from empty).
// msgid is 0 unless the message was accepted. A full queue is ERR__QUEUE_FULL (-184).
Napi::Value Produce(const Napi::CallbackInfo& info) {
  uint64_t msgid = 0;
  std::string message;
  int code = ProduceCall(info, &msgid, &message);
  return ProduceResult(info.Env(), code, code == 0 ? msgid : 0, message);
}

// ProduceMsgid(h, topic, payload, key, partition = -1, headers?, timestamp?) -> msgid | [code, 0, message]
// Produce for per-message hot loops: an accepted message returns just its msgid (a number), so
// no tuple is built; a refused one returns Produce's tuple.
Napi::Value ProduceMsgid(const Napi::CallbackInfo& info) {
  uint64_t msgid = 0;
  std::string message;
  int code = ProduceCall(info, &msgid, &message);
  if (code != 0) return ProduceResult(info.Env(), code, 0, message);
  return Napi::Number::New(info.Env(), static_cast<double>(msgid));
}

// DeliveryReport(h, max = 1000000) -> [msgids, errors, partitions, offsets], oldest first.
// Never blocks: serves what librdkafka has ready and returns what has been collected.
Napi::Value DeliveryReport(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  size_t max = static_cast<size_t>(ExpectIntegerOr(info, 1, "max", 0, INT32_MAX, 1000000));
  handle->ServeMainQueue();
  std::deque<DeliveryReportEntry> reports = handle->TakeReports(max);
  Napi::Array ids = Napi::Array::New(env, reports.size());
  Napi::Array errors = Napi::Array::New(env, reports.size());
  Napi::Array partitions = Napi::Array::New(env, reports.size());
  Napi::Array offsets = Napi::Array::New(env, reports.size());
  for (uint32_t i = 0; i < reports.size(); i++) {
    ids.Set(i, Napi::Number::New(env, static_cast<double>(reports[i].msgid)));
    errors.Set(i, Napi::Number::New(env, reports[i].error));
    partitions.Set(i, Napi::Number::New(env, reports[i].partition));
    offsets.Set(i, Int64Value(env, reports[i].offset));
  }
  Napi::Array result = Napi::Array::New(env, 4);
  result.Set(0u, ids);
  result.Set(1u, errors);
  result.Set(2u, partitions);
  result.Set(3u, offsets);
  return result;
}

// A batch's arrays (its payloads, keys and librdkafka messages: about 150 bytes a record), kept
// for the thread's next batch. Allocating and freeing them on every call (1.5 MB for 10,000)
// makes glibc raise its mmap threshold and then trim the heap each time the records' memory is
// freed, so the next batch faults its messages' pages in again (about 1,000 page faults and 2 ms
// per 10,000 in a transaction loop). A lease takes the spare set, or a new one when a call
// re-enters (an element's getter producing); sets grown past kKeepScratch records are freed.
struct BatchScratch {
  std::vector<Bytes> values, keys;
  std::vector<rd_kafka_message_t> messages;
};

class ScratchLease {
 public:
  // Payload and key arrays sized for `count` records (empty ones; no keys: none).
  ScratchLease(uint32_t count, bool has_keys) : scratch_(spare_ ? std::move(spare_) : std::make_unique<BatchScratch>()) {
    scratch_->values.clear();
    scratch_->values.resize(count);
    scratch_->keys.clear();
    if (has_keys) scratch_->keys.resize(count);
  }
  ~ScratchLease() {
    scratch_->values.clear();  // frees string payloads' copies; keeps the capacity
    scratch_->keys.clear();
    constexpr size_t kKeepScratch = 16384;
    if (scratch_->values.capacity() <= kKeepScratch && scratch_->keys.capacity() <= kKeepScratch && scratch_->messages.capacity() <= kKeepScratch) {
      spare_ = std::move(scratch_);
    }
  }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  BatchScratch& operator*() { return *scratch_; }

 private:
  static thread_local std::unique_ptr<BatchScratch> spare_;
  std::unique_ptr<BatchScratch> scratch_;
};

thread_local std::unique_ptr<BatchScratch> ScratchLease::spare_;

Napi::Value QueueBatch(Napi::Env env, KafkaHandle* handle, const std::string& topic, int32_t partition,
                       BatchScratch& scratch, bool has_keys);

// What ProduceBatch and ProduceBatchPacked take first: the handle, the topic and the partition.
struct BatchTarget {
  std::shared_ptr<KafkaHandle> handle;
  std::string topic;
  int32_t partition;
};

BatchTarget ReadBatchTarget(const Napi::CallbackInfo& info) {
  return {UnwrapHandle(info, 0), ExpectString(info, 1, "topic"),
          static_cast<int32_t>(ExpectInteger(info, 2, "partition", -1, INT32_MAX))};
}

// The keys argument at `i`: null (or absent) for none, else an array of `count` keys, one per
// element of the argument `counted` (named in the error).
bool ReadBatchKeys(const Napi::CallbackInfo& info, size_t i, uint32_t count, const char* counted) {
  Napi::Value keys = Arg(info, i);
  if (keys.IsNull() || keys.IsUndefined()) return false;
  if (!keys.IsArray() || keys.As<Napi::Array>().Length() != count) {
    ThrowExpected(info.Env(), (std::string("null or an array of keys as long as ") + counted).c_str(), "keys", keys);
  }
  return true;
}

// ProduceBatch(h, topic, partition, payloads[], keys[] | null) -> [code, firstMsgid, count, errors, message]
// Queues many messages for one topic in one call (rd_kafka_produce_batch). partition -1 runs the
// partitioner for each message (on its key); otherwise all go to that partition. Every message
// takes a msgid: firstMsgid .. firstMsgid + count - 1. `errors` is null when all were accepted,
// else an Int32Array with each message's code (0 = accepted; typically -184 once the queue filled),
// and `code` is the first failure. Headers are not supported here (use Produce).
Napi::Value ProduceBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BatchTarget target = ReadBatchTarget(info);
  Napi::Value payloads_arg = Arg(info, 3);
  if (!payloads_arg.IsArray()) ThrowExpected(env, "an array of payloads", "payloads", payloads_arg);
  Napi::Array payloads = payloads_arg.As<Napi::Array>();
  uint32_t count = payloads.Length();
  bool has_keys = ReadBatchKeys(info, 4, count, "payloads");
  // Check every element before queueing any, so a bad one leaves nothing half-sent.
  ScratchLease lease(count, has_keys);
  BatchScratch& scratch = *lease;
  std::vector<Bytes>& values = scratch.values;
  std::vector<Bytes>& keys = scratch.keys;
  auto bytes_at = [env](Napi::Array array, uint32_t i, const char* name) {
    Napi::Value value = array.Get(i);
    Bytes bytes;
    if (ReadBuffer(env, value, &bytes)) return bytes;  // as in Produce
    if (value.IsString() || value.IsTypedArray() || value.IsNull() || value.IsUndefined()) return ExpectBytes(value, name);
    std::string where = std::string(name) + "[" + std::to_string(i) + "]";  // built only to throw
    return ExpectBytes(value, where.c_str());
  };
  // The elements' handles (one each) live in a scope of their own, closed before librdkafka
  // allocates the messages: the handle blocks freed after those would leave the heap's top to be
  // trimmed, and the next batch's messages to fault their pages in again (about 2 ms per
  // 10,000). Their bytes stay valid: the client is started first, so nothing allocates on the
  // JavaScript heap (and no collection can run) between the scope's end and librdkafka's copy.
  std::string start_message;
  target.handle->Start(KafkaHandle::Kind::Producer, &start_message);  // QueueBatch reports a failure
  {
    Napi::HandleScope reads(env);
    Napi::Array key_array = has_keys ? Arg(info, 4).As<Napi::Array>() : Napi::Array();
    for (uint32_t i = 0; i < count; i++) {
      values[i] = bytes_at(payloads, i, "payloads");
      if (has_keys) keys[i] = bytes_at(key_array, i, "keys");
    }
  }
  return QueueBatch(env, target.handle.get(), target.topic, target.partition, scratch, has_keys);
}

// ProduceBatchPacked(h, topic, partition, data: Buffer, lengths: Int32Array, keys[] | null) ->
// ProduceBatch's result. ProduceBatch with the payloads one after another in `data`: payload i is
// the next lengths[i] bytes (-1: a null payload, taking none). One buffer for the whole batch
// instead of one per message (what a serializer writes; no N-API calls per payload).
Napi::Value ProduceBatchPacked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BatchTarget target = ReadBatchTarget(info);
  Napi::Value data_arg = Arg(info, 3);
  if (!data_arg.IsTypedArray() || data_arg.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) ThrowExpected(env, "a Buffer", "data", data_arg);
  Napi::Value lengths_arg = Arg(info, 4);
  if (!lengths_arg.IsTypedArray() || lengths_arg.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) ThrowExpected(env, "an Int32Array", "lengths", lengths_arg);
  auto data = data_arg.As<Napi::Uint8Array>();
  auto lengths = lengths_arg.As<Napi::Int32Array>();
  uint32_t count = static_cast<uint32_t>(lengths.ElementLength());
  bool has_keys = ReadBatchKeys(info, 5, count, "lengths");
  // Check every length before queueing any, so bad ones leave nothing half-sent.
  ScratchLease lease(count, has_keys);
  BatchScratch& scratch = *lease;
  std::vector<Bytes>& values = scratch.values;
  std::vector<Bytes>& keys = scratch.keys;
  const char* base = data.ByteLength() ? reinterpret_cast<const char*>(data.Data()) : "";
  size_t at = 0;
  for (uint32_t i = 0; i < count; i++) {
    int32_t length = lengths[i];
    if (length < -1 || (length > 0 && static_cast<size_t>(length) > data.ByteLength() - at)) {
      ThrowExpected(env, "lengths of -1 or more that fit in data", ("lengths[" + std::to_string(i) + "]").c_str(), Napi::Number::New(env, length));
    }
    if (length < 0) continue;  // a null payload
    values[i].isNull = false;
    values[i].view = base + at;
    values[i].size = static_cast<size_t>(length);
    at += static_cast<size_t>(length);
  }
  Napi::Array key_array = has_keys ? Arg(info, 5).As<Napi::Array>() : Napi::Array();
  for (uint32_t i = 0; has_keys && i < count; i++) {
    keys[i] = ExpectBytes(key_array.Get(i), ("keys[" + std::to_string(i) + "]").c_str());
  }
  return QueueBatch(env, target.handle.get(), target.topic, target.partition, scratch, has_keys);
}

// Queues checked payloads (and keys) for ProduceBatch and ProduceBatchPacked; builds their result.
Napi::Value QueueBatch(Napi::Env env, KafkaHandle* handle, const std::string& topic, int32_t partition,
                       BatchScratch& scratch, bool has_keys) {
  const std::vector<Bytes>& values = scratch.values;
  const std::vector<Bytes>* keys = has_keys ? &scratch.keys : nullptr;
  uint32_t count = static_cast<uint32_t>(values.size());
  auto result = [&](int code, uint64_t first, Napi::Value errors, const std::string& message) {
    Napi::Array out = Napi::Array::New(env, 5);
    out.Set(0u, Napi::Number::New(env, code));
    out.Set(1u, Napi::Number::New(env, static_cast<double>(first)));
    out.Set(2u, Napi::Number::New(env, code == 0 || !errors.IsNull() ? count : 0));
    out.Set(3u, errors);
    out.Set(4u, Napi::String::New(env, message));
    return out;
  };
  std::string message;
  int code = handle->Start(KafkaHandle::Kind::Producer, &message);
  if (code != 0) return result(code, 0, env.Null(), message);
  if (count == 0) return result(0, handle->PeekMsgid(), env.Null(), "");
  rd_kafka_topic_t* rkt = handle->Topic(topic);
  if (rkt == nullptr) {
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    return result(err, 0, env.Null(), rd_kafka_err2str(err));
  }
  uint64_t first = handle->PeekMsgid();
  std::vector<rd_kafka_message_t>& messages = scratch.messages;
  messages.resize(count);
  for (uint32_t i = 0; i < count; i++) {
    rd_kafka_message_t& m = messages[i];
    m = rd_kafka_message_t{};
    m.payload = const_cast<char*>(values[i].data());
    m.len = values[i].size;
    if (has_keys) {
      m.key = const_cast<char*>((*keys)[i].data());
      m.key_len = (*keys)[i].size;
    }
    m._private = reinterpret_cast<void*>(static_cast<uintptr_t>(first + i));
  }
  int accepted = rd_kafka_produce_batch(rkt, partition, RD_KAFKA_MSG_F_COPY, messages.data(), static_cast<int>(count));
  handle->BatchProduced(count, accepted);
  if (accepted == static_cast<int>(count)) return result(0, first, env.Null(), "");
  Napi::Int32Array errors = Napi::Int32Array::New(env, count);
  int first_error = 0;
  for (uint32_t i = 0; i < count; i++) {
    errors[i] = messages[i].err;
    if (first_error == 0) first_error = messages[i].err;
  }
  return result(first_error, first, errors, first_error == RD_KAFKA_RESP_ERR__STATE ? kNotInTransaction : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(first_error)));
}

// DeliveryReportInto(h, msgids: Float64Array, errors: Int32Array, partitions: Int32Array,
// offsets: Float64Array) -> count. DeliveryReport without allocating: fills the arrays (up to
// the shortest one's length) with the oldest reports and returns how many it wrote.
Napi::Value DeliveryReportInto(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  auto typed = [&](size_t i, napi_typedarray_type type, const char* what, const char* name) {
    Napi::Value value = Arg(info, i);
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) ThrowExpected(env, what, name, value);
    return value.As<Napi::TypedArray>();
  };
  auto ids = typed(1, napi_float64_array, "a Float64Array", "msgids").As<Napi::Float64Array>();
  auto errors = typed(2, napi_int32_array, "an Int32Array", "errors").As<Napi::Int32Array>();
  auto partitions = typed(3, napi_int32_array, "an Int32Array", "partitions").As<Napi::Int32Array>();
  auto offsets = typed(4, napi_float64_array, "a Float64Array", "offsets").As<Napi::Float64Array>();
  size_t max = std::min({ids.ElementLength(), errors.ElementLength(), partitions.ElementLength(), offsets.ElementLength()});
  handle->ServeMainQueue();
  std::deque<DeliveryReportEntry> reports = handle->TakeReports(max);
  for (size_t i = 0; i < reports.size(); i++) {
    ids[i] = static_cast<double>(reports[i].msgid);
    errors[i] = reports[i].error;
    partitions[i] = reports[i].partition;
    offsets[i] = static_cast<double>(reports[i].offset);
  }
  return Napi::Number::New(env, static_cast<double>(reports.size()));
}

// Flush(h, timeoutMs) -> code. Synchronous: waits up to timeoutMs on the calling thread.
// 0 when every message has its delivery report, ERR__TIMED_OUT otherwise.
Napi::Value Flush(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int timeout_ms = static_cast<int>(ExpectInteger(info, 1, "timeoutMs", 0, INT32_MAX));
  if (handle->kind() != KafkaHandle::Kind::Producer) return Napi::Number::New(info.Env(), 0);
  return Napi::Number::New(info.Env(), rd_kafka_flush(handle->rk(), timeout_ms));
}

// FlushAsync(h, timeoutMs) -> Promise<code>: Flush on a thread of its own.
Napi::Value FlushAsync(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int timeout_ms = static_cast<int>(ExpectInteger(info, 1, "timeoutMs", 0, INT32_MAX));
  if (handle->kind() != KafkaHandle::Kind::Producer) {
    auto deferred = Napi::Promise::Deferred::New(info.Env());
    deferred.Resolve(Napi::Number::New(info.Env(), 0));
    return deferred.Promise();
  }
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  return RunBlocking(info.Env(), [token, timeout_ms]() -> Completion {
    int code = rd_kafka_flush(token->rk(), timeout_ms);
    return [code](Napi::Env env) { return Napi::Number::New(env, code); };
  });
}

// OutstandingCount(h) -> messages (and requests) librdkafka still holds for this producer.
Napi::Value OutstandingCount(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int count = handle->rk() != nullptr ? rd_kafka_outq_len(handle->rk()) : 0;
  return Napi::Number::New(info.Env(), count);
}

// Purge(h, flags) -> code: rd_kafka_purge without waiting. flags: 1 messages still queued, 2
// those sent and awaiting an answer. Each purged message gets its delivery report with
// ERR__PURGE_QUEUE (-152) or ERR__PURGE_INFLIGHT (-151). ERR__STATE before the producer started.
Napi::Value Purge(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int flags = static_cast<int>(ExpectInteger(info, 1, "flags", 0, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT));
  if (handle->kind() != KafkaHandle::Kind::Producer || handle->rk() == nullptr) return Napi::Number::New(info.Env(), RD_KAFKA_RESP_ERR__STATE);
  return Napi::Number::New(info.Env(), rd_kafka_purge(handle->rk(), flags | RD_KAFKA_PURGE_F_NON_BLOCKING));
}

}  // namespace

void InitProducer(Napi::Env env, Napi::Object exports) {
  exports.Set("Produce", Napi::Function::New(env, Produce, "Produce"));
  exports.Set("ProduceMsgid", Napi::Function::New(env, ProduceMsgid, "ProduceMsgid"));
  exports.Set("DeliveryReport", Napi::Function::New(env, DeliveryReport, "DeliveryReport"));
  exports.Set("ProduceBatch", Napi::Function::New(env, ProduceBatch, "ProduceBatch"));
  exports.Set("ProduceBatchPacked", Napi::Function::New(env, ProduceBatchPacked, "ProduceBatchPacked"));
  exports.Set("DeliveryReportInto", Napi::Function::New(env, DeliveryReportInto, "DeliveryReportInto"));
  exports.Set("Flush", Napi::Function::New(env, Flush, "Flush"));
  exports.Set("FlushAsync", Napi::Function::New(env, FlushAsync, "FlushAsync"));
  exports.Set("OutstandingCount", Napi::Function::New(env, OutstandingCount, "OutstandingCount"));
  exports.Set("Purge", Napi::Function::New(env, Purge, "Purge"));
}

}  // namespace rdk
