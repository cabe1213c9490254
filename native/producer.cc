// Producing: Produce, DeliveryReport, Flush.
#include "handle.h"

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

Napi::Array ProduceResult(Napi::Env env, int code, uint64_t msgid, const std::string& message) {
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::Number::New(env, code));
  result.Set(1u, Napi::Number::New(env, static_cast<double>(msgid)));
  result.Set(2u, Napi::String::New(env, message));
  return result;
}

// Produce(h, topic, payload, key, partition = -1, headers?, timestamp?) -> [code, msgid, message]
// payload/key: Buffer, Uint8Array, string, or null (a Kafka null, distinct from empty).
// msgid is 0 unless the message was accepted. A full queue is ERR__QUEUE_FULL (-184).
Napi::Value Produce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  std::string topic = ExpectString(info, 1, "topic");
  Bytes payload = ExpectBytes(Arg(info, 2), "payload");
  Bytes key = ExpectBytes(Arg(info, 3), "key");
  int32_t partition = static_cast<int32_t>(ExpectIntegerOr(info, 4, "partition", -1, INT32_MAX, -1));
  int64_t timestamp = ExpectIntegerOr(info, 6, "timestamp", 0, 9007199254740991LL, 0);
  rd_kafka_headers_t* headers = ExpectHeaders(Arg(info, 5));

  std::string message;
  int code = handle->Start(KafkaHandle::Kind::Producer, &message);
  if (code != 0) {
    if (headers) rd_kafka_headers_destroy(headers);
    return ProduceResult(env, code, 0, message);
  }
  uint64_t msgid = handle->PeekMsgid();
  rd_kafka_resp_err_t err = rd_kafka_producev(
      handle->rk(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size),
      RD_KAFKA_V_KEY(key.data(), key.size),
      RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<uintptr_t>(msgid))),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (headers) rd_kafka_headers_destroy(headers);  // still ours when the message was refused
    return ProduceResult(env, err, 0, rd_kafka_err2str(err));
  }
  handle->MessageAccepted();
  return ProduceResult(env, 0, msgid, "");
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

}  // namespace

void InitProducer(Napi::Env env, Napi::Object exports) {
  exports.Set("Produce", Napi::Function::New(env, Produce, "Produce"));
  exports.Set("DeliveryReport", Napi::Function::New(env, DeliveryReport, "DeliveryReport"));
  exports.Set("Flush", Napi::Function::New(env, Flush, "Flush"));
  exports.Set("FlushAsync", Napi::Function::New(env, FlushAsync, "FlushAsync"));
  exports.Set("OutstandingCount", Napi::Function::New(env, OutstandingCount, "OutstandingCount"));
}

}  // namespace rdk
