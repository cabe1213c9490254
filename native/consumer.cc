// Consuming: SubscribeConsumerTPList, Consume, ConsumeBatch, Commit, Committed.
#include "handle.h"
#include "topic_partition.h"

#include <vector>

namespace rdk {

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
  Napi::Array headers = Napi::Array::New(env);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(msg, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, Napi::String::New(env, name));
      pair.Set(1u, BytesOrNull(env, value, size));
      headers.Set(static_cast<uint32_t>(i), pair);
    }
  }
  tuple.Set(7u, headers);
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

// Consume(h, timeoutMs = 0) -> [0, topic, payload, key, partition, offset, timestamp, headers]
// | [1] nothing yet | [code, message]. Synchronous: a timeout above 0 waits on the calling thread.
Napi::Value Consume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 1, "timeoutMs", 0, INT32_MAX, 0));
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code != 0) return CodeAndMessage(env, code, message);
  rd_kafka_message_t* msg = rd_kafka_consumer_poll(handle->rk(), timeout_ms);
  if (msg == nullptr) {
    Napi::Array nothing = Napi::Array::New(env, 1);
    nothing.Set(0u, Napi::Number::New(env, 1));
    return nothing;
  }
  Napi::Array tuple = MessageTuple(env, msg);
  rd_kafka_message_destroy(msg);
  return tuple;
}

// ConsumeBatch(h, max) -> array of Consume's tuples (messages and errors), possibly empty.
// Never blocks. Offsets are stored as messages leave librdkafka, as with Consume.
Napi::Value ConsumeBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  size_t max = static_cast<size_t>(ExpectInteger(info, 1, "max", 1, 1000000));
  std::string message;
  int code = RunningConsumer(handle, &message);
  if (code != 0) {
    Napi::Array result = Napi::Array::New(env, 1);
    result.Set(0u, CodeAndMessage(env, code, message));
    return result;
  }
  std::vector<rd_kafka_message_t*> msgs(max);
  ssize_t count = rd_kafka_consume_batch_queue(handle->queue(), 0, msgs.data(), max);
  if (count < 0) {
    Napi::Array result = Napi::Array::New(env, 1);
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    result.Set(0u, CodeAndMessage(env, err, rd_kafka_err2str(err)));
    return result;
  }
  Napi::Array result = Napi::Array::New(env, static_cast<size_t>(count));
  for (ssize_t i = 0; i < count; i++) {
    result.Set(static_cast<uint32_t>(i), MessageTuple(env, msgs[i]));
    rd_kafka_message_destroy(msgs[i]);
  }
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

// CommitAsync(h, list | null) -> Promise<code>: a synchronous commit on a thread of its own.
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
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  return RunBlocking(info.Env(), [token, offsets]() -> Completion {
    int result = rd_kafka_commit(token->rk(), offsets, 0);
    if (offsets) rd_kafka_topic_partition_list_destroy(offsets);
    return [result](Napi::Env env) { return Napi::Number::New(env, result); };
  });
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

}  // namespace

void InitConsumer(Napi::Env env, Napi::Object exports) {
  exports.Set("SubscribeConsumerTPList", Napi::Function::New(env, SubscribeConsumerTPList, "SubscribeConsumerTPList"));
  exports.Set("Consume", Napi::Function::New(env, Consume, "Consume"));
  exports.Set("ConsumeBatch", Napi::Function::New(env, ConsumeBatch, "ConsumeBatch"));
  exports.Set("Commit", Napi::Function::New(env, Commit, "Commit"));
  exports.Set("CommitAsync", Napi::Function::New(env, CommitAsync, "CommitAsync"));
  exports.Set("Committed", Napi::Function::New(env, Committed, "Committed"));
  exports.Set("CommittedAsync", Napi::Function::New(env, CommittedAsync, "CommittedAsync"));
}

}  // namespace rdk
