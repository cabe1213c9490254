// Admin and metadata requests: cluster metadata, watermarks, offsets for times, topics,
// partitions, configs, records and consumer groups. Everything that waits on the network runs on
// a thread of its own and resolves a promise; request-wide failures resolve with [code, message].
#include "admin.h"
#include "topic_partition.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <tuple>
#include <thread>

namespace rdk {

Napi::Promise RunAdmin(Napi::Env env, const std::shared_ptr<KafkaHandle>& handle, int timeout_ms,
                       std::function<void(rd_kafka_t*, rd_kafka_queue_t*)> request, AdminReader read,
                       AdminGuard guard) {
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  // Login failures count from the call, not from when a worker thread takes it up (later under load).
  auto called = std::chrono::steady_clock::now();
  return RunBlocking(env, [token, timeout_ms, called, request = std::move(request), read = std::move(read), guard = std::move(guard)]() -> Completion {
    std::string refusal;
    int refused = guard ? guard(token->rk(), &refusal) : 0;
    if (refused != 0) {
      return [refused, refusal](Napi::Env env) -> Napi::Value { return CodeAndMessage(env, refused, refusal); };
    }
    rd_kafka_queue_t* queue = rd_kafka_queue_new(token->rk());
    auto started = std::chrono::steady_clock::now();
    request(token->rk(), queue);
    // The request carries its own timeout; the margin only guards against a lost result. Waited
    // in slices: a client that cannot log in ends the request with that cause at once.
    rd_kafka_event_t* event = nullptr;
    int failure_code = 0;
    std::string failure;
    for (auto end = started + std::chrono::milliseconds(timeout_ms + 5000); event == nullptr && std::chrono::steady_clock::now() < end;) {
      event = rd_kafka_queue_poll(queue, 200);
      if (event == nullptr && (*token)->SecurityFailureSince(called, &failure_code, &failure)) break;
    }
    rd_kafka_queue_destroy(queue);
    if (event == nullptr && failure_code != 0) {
      return [failure_code, failure](Napi::Env env) -> Napi::Value { return CodeAndMessage(env, failure_code, failure); };
    }
    return [event, read](Napi::Env env) -> Napi::Value {
      if (event == nullptr) return CodeAndMessage(env, RD_KAFKA_RESP_ERR__TIMED_OUT, "The admin request got no answer in time");
      Napi::Value value;
      if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        value = CodeAndMessage(env, rd_kafka_event_error(event), rd_kafka_event_error_string(event));
      } else {
        value = read(env, event);
      }
      rd_kafka_event_destroy(event);
      return value;
    };
  });
}

std::shared_ptr<KafkaHandle> AdminHandle(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  std::string message;
  // Admin requests work on any client; an unstarted handle starts as a producer (as librdkafka's
  // own admin clients are).
  if (handle->kind() == KafkaHandle::Kind::Unstarted && handle->Start(KafkaHandle::Kind::Producer, &message) != 0) {
    throw Napi::Error::New(info.Env(), message);
  }
  return handle;
}

rd_kafka_AdminOptions_t* AdminOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms) {
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, op);
  char errstr[256];
  rd_kafka_AdminOptions_set_request_timeout(options, timeout_ms, errstr, sizeof errstr);
  // Only the topic and partition requests take an operation timeout; the others refuse it.
  rd_kafka_AdminOptions_set_operation_timeout(options, timeout_ms, errstr, sizeof errstr);
  return options;
}

Napi::Array TopicResults(Napi::Env env, const rd_kafka_topic_result_t** results, size_t count) {
  Napi::Array out = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; i++) {
    Napi::Array entry = Napi::Array::New(env, 3);
    entry.Set(0u, Napi::String::New(env, rd_kafka_topic_result_name(results[i])));
    entry.Set(1u, Napi::Number::New(env, rd_kafka_topic_result_error(results[i])));
    const char* text = rd_kafka_topic_result_error_string(results[i]);
    entry.Set(2u, Napi::String::New(env, text ? text : ""));
    out.Set(static_cast<uint32_t>(i), entry);
  }
  return out;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Checking the elements of array arguments. Failures name the element: "topics[2][1]".
// ---------------------------------------------------------------------------------------------

std::string ElementName(const std::string& parameter, uint32_t i) { return parameter + "[" + std::to_string(i) + "]"; }

Napi::Array ArrayAt(Napi::Env env, const Napi::Value& value, const std::string& name, const char* what) {
  if (!value.IsArray()) ThrowExpected(env, what, name.c_str(), value);
  return value.As<Napi::Array>();
}

std::string StringAt(Napi::Env env, const Napi::Value& value, const std::string& name) {
  std::string s = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (s.empty() || s.find('\0') != std::string::npos) ThrowExpected(env, "a non-empty string", name.c_str(), value);
  return s;
}

int64_t IntegerAt(Napi::Env env, const Napi::Value& value, const std::string& name, int64_t min, int64_t max) {
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::floor(d) == d && d >= static_cast<double>(min) && d <= static_cast<double>(max)) return static_cast<int64_t>(d);
  }
  std::string what = "an integer between " + std::to_string(min) + " and " + std::to_string(max);
  ThrowExpected(env, what.c_str(), name.c_str(), value);
}

int TimeoutArg(const Napi::CallbackInfo& info, size_t i, int fallback) {
  return static_cast<int>(ExpectIntegerOr(info, i, "timeoutMs", 1, INT32_MAX - 10000, fallback));
}

// A copy of the list argument, owned by the caller.
rd_kafka_topic_partition_list_t* ListCopy(const Napi::CallbackInfo& info, size_t i) {
  return rd_kafka_topic_partition_list_copy(UnwrapList(info, i));
}

// [code, entries]
Napi::Array CodeAndEntries(Napi::Env env, int code, const rd_kafka_topic_partition_list_t* list) {
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, code));
  result.Set(1u, list ? ListEntries(env, list) : Napi::Array::New(env));
  return result;
}

Napi::Value StringOrNull(Napi::Env env, const char* s) { return s ? Napi::String::New(env, s) : env.Null(); }

}  // namespace

// Refuses the requests that librdkafka 2.0.2's mock cluster cannot take, before they are sent:
// CreateTopics, DeleteTopics, CreatePartitions, Describe/AlterConfigs, DeleteRecords and the
// group listings time out or fail obscurely there, a failed DescribeConsumerGroups leaves later
// group requests of the client hanging, and DeleteGroups aborts the process. The mock's cluster id
// is "mockCluster<hex>". When no broker answers in time, the request is refused as timed out
// rather than waiting its own timeout once more.
AdminGuard RefuseEmbeddedBroker(const char* request, int timeout_ms) {
  std::string name = request;
  auto called = std::chrono::steady_clock::now();  // login failures count from here
  return [name, timeout_ms, called](rd_kafka_t* rk, std::string* message) -> int {
    auto started = std::chrono::steady_clock::now();
    auto* handle = static_cast<KafkaHandle*>(rd_kafka_opaque(rk));
    char* id = nullptr;
    // Asked in slices, so that a client that cannot log in is refused with that cause at once.
    for (int left = timeout_ms; id == nullptr && left > 0;) {
      int slice = std::min(left, 200);
      auto asked = std::chrono::steady_clock::now();
      id = rd_kafka_clusterid(rk, slice);
      // NULL before the slice ended: the brokers do not report a cluster id (so not the mock).
      if (id == nullptr && std::chrono::steady_clock::now() - asked < std::chrono::milliseconds(slice)) return 0;
      int code = 0;
      if (id == nullptr && handle->SecurityFailureSince(called, &code, message)) return code;
      left = timeout_ms - static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    }
    if (id == nullptr) {  // nobody answered in the whole timeout
      *message = "No broker answered within " + std::to_string(timeout_ms) + " ms (check bootstrap.servers)";
      return RD_KAFKA_RESP_ERR__TIMED_OUT;
    }
    bool mock = std::strncmp(id, "mockCluster", 11) == 0;
    rd_kafka_mem_free(rk, id);
    if (!mock) return 0;
    *message = "The embedded broker (librdkafka's mock cluster) does not support " + name;
    return RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE;
  };
}

namespace {

// ---------------------------------------------------------------------------------------------
// Metadata, watermarks, offsets for times
// ---------------------------------------------------------------------------------------------

struct PartitionInfo {
  int32_t id;
  int err;
  int32_t leader;
  std::vector<int32_t> replicas, isrs;
};
struct TopicInfo {
  std::string name;
  int err;
  std::vector<PartitionInfo> partitions;
};
struct BrokerInfo {
  int32_t id;
  std::string host;
  int port;
};

Napi::Array Int32Array(Napi::Env env, const std::vector<int32_t>& values) {
  Napi::Array out = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); i++) out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, values[i]));
  return out;
}

// Metadata(h, topics | null = null, timeoutMs = 10000) -> Promise<[0, brokers, topics, clusterId,
// controllerId] | [code, message]>. brokers: [id, host, port][]; topics: [name, error,
// [partition, error, leader, replicas[], isrs[]][]][]. null asks for every topic; named topics
// come back in the order asked, an unknown one with error 3 (UNKNOWN_TOPIC_OR_PART). Never
// creates topics (it always asks the broker for all of them).
Napi::Value Metadata(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  bool all = Arg(info, 1).IsNull() || Arg(info, 1).IsUndefined();
  std::vector<std::string> wanted;
  if (!all) wanted = ExpectStringArray(info, 1, "topics");
  int timeout_ms = TimeoutArg(info, 2, 10000);
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  // Login failures count from the call, not from when a worker thread takes it up (later under load).
  auto called = std::chrono::steady_clock::now();
  return RunBlocking(env, [token, all, wanted, timeout_ms, called]() -> Completion {
    const rd_kafka_metadata_t* md = nullptr;
    auto started = std::chrono::steady_clock::now();
    auto elapsed = [started] { return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count()); };
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    int failure_code = 0;
    std::string failure;
    // Asked in growing slices (0.5 s, 1 s, 2 s, ...): a client that cannot log in ends the
    // request with that cause within a slice, not at the end of the whole timeout.
    for (int slice = 500; elapsed() < timeout_ms; slice *= 2) {
      int asked = elapsed();
      err = rd_kafka_metadata(token->rk(), 1, nullptr, &md, std::min(slice, timeout_ms - asked));
      if (err != RD_KAFKA_RESP_ERR__TIMED_OUT && err != RD_KAFKA_RESP_ERR__TRANSPORT) break;
      if (elapsed() - asked < 100) std::this_thread::sleep_for(std::chrono::milliseconds(100));  // never a busy loop
      if ((*token)->SecurityFailureSince(called, &failure_code, &failure)) {
        // No broker answered because none would let us in: say why, not just "transport failure".
        return [failure_code, failure](Napi::Env env) -> Napi::Value { return CodeAndMessage(env, failure_code, failure); };
      }
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return [err](Napi::Env env) -> Napi::Value { return CodeAndMessage(env, err, rd_kafka_err2str(err)); };
    }
    std::vector<BrokerInfo> brokers;
    for (int i = 0; i < md->broker_cnt; i++) brokers.push_back({md->brokers[i].id, md->brokers[i].host, md->brokers[i].port});
    std::vector<TopicInfo> topics;
    for (int i = 0; i < md->topic_cnt; i++) {
      const rd_kafka_metadata_topic_t& t = md->topics[i];
      TopicInfo topic{t.topic, t.err, {}};
      for (int p = 0; p < t.partition_cnt; p++) {
        const rd_kafka_metadata_partition_t& mp = t.partitions[p];
        topic.partitions.push_back({mp.id, mp.err, mp.leader, std::vector<int32_t>(mp.replicas, mp.replicas + mp.replica_cnt),
                                    std::vector<int32_t>(mp.isrs, mp.isrs + mp.isr_cnt)});
      }
      std::sort(topic.partitions.begin(), topic.partitions.end(), [](const PartitionInfo& a, const PartitionInfo& b) { return a.id < b.id; });
      topics.push_back(std::move(topic));
    }
    rd_kafka_metadata_destroy(md);
    if (!all) {
      std::vector<TopicInfo> selected;
      for (const auto& name : wanted) {
        auto found = std::find_if(topics.begin(), topics.end(), [&](const TopicInfo& t) { return t.name == name; });
        selected.push_back(found != topics.end() ? *found : TopicInfo{name, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, {}});
      }
      topics.swap(selected);
    }
    // Both come from the metadata just fetched (timeout 0: the cached values).
    std::string cluster_id;
    if (char* id = rd_kafka_clusterid(token->rk(), 0)) {
      cluster_id = id;
      rd_kafka_mem_free(token->rk(), id);
    }
    int32_t controller = rd_kafka_controllerid(token->rk(), 0);
    return [brokers, topics, cluster_id, controller](Napi::Env env) -> Napi::Value {
      Napi::Array jsBrokers = Napi::Array::New(env, brokers.size());
      for (size_t i = 0; i < brokers.size(); i++) {
        Napi::Array b = Napi::Array::New(env, 3);
        b.Set(0u, Napi::Number::New(env, brokers[i].id));
        b.Set(1u, Napi::String::New(env, brokers[i].host));
        b.Set(2u, Napi::Number::New(env, brokers[i].port));
        jsBrokers.Set(static_cast<uint32_t>(i), b);
      }
      Napi::Array jsTopics = Napi::Array::New(env, topics.size());
      for (size_t i = 0; i < topics.size(); i++) {
        Napi::Array partitions = Napi::Array::New(env, topics[i].partitions.size());
        for (size_t p = 0; p < topics[i].partitions.size(); p++) {
          const PartitionInfo& info = topics[i].partitions[p];
          Napi::Array entry = Napi::Array::New(env, 5);
          entry.Set(0u, Napi::Number::New(env, info.id));
          entry.Set(1u, Napi::Number::New(env, info.err));
          entry.Set(2u, Napi::Number::New(env, info.leader));
          entry.Set(3u, Int32Array(env, info.replicas));
          entry.Set(4u, Int32Array(env, info.isrs));
          partitions.Set(static_cast<uint32_t>(p), entry);
        }
        Napi::Array t = Napi::Array::New(env, 3);
        t.Set(0u, Napi::String::New(env, topics[i].name));
        t.Set(1u, Napi::Number::New(env, topics[i].err));
        t.Set(2u, partitions);
        jsTopics.Set(static_cast<uint32_t>(i), t);
      }
      Napi::Array result = Napi::Array::New(env, 5);
      result.Set(0u, Napi::Number::New(env, 0));
      result.Set(1u, jsBrokers);
      result.Set(2u, jsTopics);
      result.Set(3u, Napi::String::New(env, cluster_id));
      result.Set(4u, Napi::Number::New(env, controller));
      return result;
    };
  });
}

Napi::Array Watermarks(Napi::Env env, int code, int64_t low, int64_t high) {
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::Number::New(env, code));
  result.Set(1u, Int64Value(env, low));
  result.Set(2u, Int64Value(env, high));
  return result;
}

// QueryWatermarkOffsets(h, topic, partition, timeoutMs = 10000) -> Promise<[code, low, high]>:
// the partition's first offset and the offset after its last message, asked of its leader.
Napi::Value QueryWatermarkOffsets(const Napi::CallbackInfo& info) {
  auto handle = AdminHandle(info);
  std::string topic = ExpectString(info, 1, "topic");
  int32_t partition = static_cast<int32_t>(ExpectInteger(info, 2, "partition", 0, INT32_MAX));
  int timeout_ms = TimeoutArg(info, 3, 10000);
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  return RunBlocking(info.Env(), [token, topic, partition, timeout_ms]() -> Completion {
    int64_t low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(token->rk(), topic.c_str(), partition, &low, &high, timeout_ms);
    return [err, low, high](Napi::Env env) -> Napi::Value { return Watermarks(env, err, low, high); };
  });
}

// GetWatermarkOffsets(h, topic, partition) -> [code, low, high]: the watermarks a consumer last
// saw while fetching (-1001 when unknown). Never blocks; ERR__STATE before the client started.
Napi::Value GetWatermarkOffsets(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  std::string topic = ExpectString(info, 1, "topic");
  int32_t partition = static_cast<int32_t>(ExpectInteger(info, 2, "partition", 0, INT32_MAX));
  int64_t low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;
  int err = RD_KAFKA_RESP_ERR__STATE;
  if (handle->rk() != nullptr) err = rd_kafka_get_watermark_offsets(handle->rk(), topic.c_str(), partition, &low, &high);
  return Watermarks(info.Env(), err, low, high);
}

// OffsetsForTimes(h, list, timeoutMs = 10000) -> Promise<[code, entries] | [code, message]>. Each
// entry's offset is a timestamp (ms) on the way in and, on the way out, the first offset whose
// message timestamp is at least that, or -1 when there is none. Timestamp -1 gives the end, -2
// the beginning. The embedded broker only knows -1 and -2: real timestamps are refused there
// with [ERR__UNSUPPORTED_FEATURE, message].
Napi::Value OffsetsForTimes(const Napi::CallbackInfo& info) {
  auto handle = AdminHandle(info);
  std::shared_ptr<rd_kafka_topic_partition_list_t> list(ListCopy(info, 1), rd_kafka_topic_partition_list_destroy);
  int timeout_ms = TimeoutArg(info, 2, 10000);
  bool by_time = false;
  for (int i = 0; i < list->cnt; i++) by_time = by_time || list->elems[i].offset >= 0;
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  return RunBlocking(info.Env(), [token, list, timeout_ms, by_time]() -> Completion {
    std::string refusal;
    int refused = by_time ? RefuseEmbeddedBroker("offsets for timestamps (only -1, the end, and -2, the beginning)", timeout_ms)(token->rk(), &refusal) : 0;
    if (refused != 0) return [refused, refusal](Napi::Env env) -> Napi::Value { return CodeAndMessage(env, refused, refusal); };
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(token->rk(), list.get(), timeout_ms);
    return [err, list](Napi::Env env) -> Napi::Value { return CodeAndEntries(env, err, list.get()); };
  });
}

// ---------------------------------------------------------------------------------------------
// Topics and partitions
// ---------------------------------------------------------------------------------------------

struct NewTopicSpec {
  std::string name;
  int partitions;
  int replication;
  std::vector<std::pair<std::string, std::string>> configs;
  /** Replica broker ids of partition 0, 1, ...; empty: Kafka places them. */
  std::vector<std::vector<int32_t>> assignment;
};

// Broker id lists, one per partition: [[1, 2], [2, 3], ...].
std::vector<std::vector<int32_t>> AssignmentAt(Napi::Env env, const Napi::Value& value, const std::string& name) {
  std::vector<std::vector<int32_t>> out;
  Napi::Array partitions = ArrayAt(env, value, name, "an array of broker id arrays, one per partition");
  for (uint32_t i = 0; i < partitions.Length(); i++) {
    Napi::Array ids = ArrayAt(env, partitions.Get(i), ElementName(name, i), "an array of broker ids");
    std::vector<int32_t> replicas;
    for (uint32_t j = 0; j < ids.Length(); j++) replicas.push_back(static_cast<int32_t>(IntegerAt(env, ids.Get(j), ElementName(ElementName(name, i), j), 0, INT32_MAX)));
    out.push_back(std::move(replicas));
  }
  return out;
}

// A new topic as librdkafka builds it, or nullptr with its reason in errstr.
rd_kafka_NewTopic_t* NewTopicOf(const NewTopicSpec& spec, char* errstr, size_t size) {
  rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, spec.replication, errstr, size);
  for (size_t i = 0; t != nullptr && i < spec.assignment.size(); i++) {
    const auto& ids = spec.assignment[i];
    if (rd_kafka_NewTopic_set_replica_assignment(t, static_cast<int32_t>(i), const_cast<int32_t*>(ids.data()), ids.size(), errstr, size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_NewTopic_destroy(t);
      t = nullptr;
    }
  }
  return t;
}

// CreateTopics(h, [[name, partitions, replicationFactor, [[key, value], ...]?, [[brokerId, ...],
// ...]?], ...], timeoutMs, validateOnly = false) -> Promise<[[name, code, message], ...]> (or
// [code, message] when the whole request failed). replicationFactor -1 takes the broker's default;
// the last field places the replicas of partition 0, 1, ... (replicationFactor must then be -1). A topic whose spec librdkafka
// refuses (e.g. partitions or replication out of range) is not sent: its result is
// ERR__INVALID_ARG with librdkafka's reason. validateOnly: the broker checks the request and
// creates nothing.
Napi::Value CreateTopics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  Napi::Value arg = Arg(info, 1);
  if (!arg.IsArray()) ThrowExpected(env, "an array of [name, partitions, replicationFactor, configs?]", "topics", arg);
  int timeout_ms = TimeoutArg(info, 2, 30000);
  bool validate_only = ExpectBool(info, 3, "validateOnly", false);
  std::vector<NewTopicSpec> specs;
  std::vector<std::string> names;
  // Index in `topics` -> librdkafka's reason for refusing that spec.
  std::vector<std::pair<uint32_t, std::string>> refused;
  Napi::Array topics = arg.As<Napi::Array>();
  for (uint32_t i = 0; i < topics.Length(); i++) {
    std::string where = "topics[" + std::to_string(i) + "]";
    Napi::Value item = topics.Get(i);
    Napi::Array t = item.IsArray() ? item.As<Napi::Array>() : Napi::Array();
    if (!item.IsArray() || t.Length() < 3 || !t.Get(0u).IsString() || !t.Get(1u).IsNumber() || !t.Get(2u).IsNumber()) {
      ThrowExpected(env, "[name, partitions, replicationFactor, configs?]", where.c_str(), item);
    }
    names.push_back(t.Get(0u).As<Napi::String>().Utf8Value());
    NewTopicSpec spec{t.Get(0u).As<Napi::String>().Utf8Value(), t.Get(1u).As<Napi::Number>().Int32Value(), t.Get(2u).As<Napi::Number>().Int32Value(), {}, {}};
    if (t.Length() > 3 && t.Get(3u).IsArray()) {
      Napi::Array pairs = t.Get(3u).As<Napi::Array>();
      for (uint32_t j = 0; j < pairs.Length(); j++) {
        Napi::Value pair = pairs.Get(j);
        if (!pair.IsArray() || !pair.As<Napi::Array>().Get(0u).IsString() || !pair.As<Napi::Array>().Get(1u).IsString()) {
          ThrowExpected(env, "a [key, value] pair of strings", (where + " configs").c_str(), pair);
        }
        spec.configs.emplace_back(pair.As<Napi::Array>().Get(0u).As<Napi::String>().Utf8Value(), pair.As<Napi::Array>().Get(1u).As<Napi::String>().Utf8Value());
      }
    }
    if (t.Length() > 4 && !t.Get(4u).IsUndefined() && !t.Get(4u).IsNull()) spec.assignment = AssignmentAt(env, t.Get(4u), where + "[4]");
    // librdkafka's own checks, here: a refused spec is never replaced by another one.
    char errstr[512];
    rd_kafka_NewTopic_t* check = NewTopicOf(spec, errstr, sizeof errstr);
    if (check == nullptr) {
      refused.emplace_back(i, errstr);
    } else {
      rd_kafka_NewTopic_destroy(check);
      specs.push_back(std::move(spec));
    }
  }
  // Every topic's result in the order asked: librdkafka's refusals and the broker's answers.
  auto results = [names, refused](Napi::Env env, const rd_kafka_topic_result_t** sent, size_t count) -> Napi::Value {
    Napi::Array out = Napi::Array::New(env, names.size());
    for (uint32_t i = 0; i < names.size(); i++) {
      Napi::Array entry = Napi::Array::New(env, 3);
      entry.Set(0u, Napi::String::New(env, names[i]));
      auto local = std::find_if(refused.begin(), refused.end(), [i](const auto& r) { return r.first == i; });
      const rd_kafka_topic_result_t* answer = nullptr;
      for (size_t j = 0; j < count && local == refused.end() && answer == nullptr; j++) {
        if (names[i] == rd_kafka_topic_result_name(sent[j])) answer = sent[j];
      }
      if (local != refused.end()) {
        entry.Set(1u, Napi::Number::New(env, RD_KAFKA_RESP_ERR__INVALID_ARG));
        entry.Set(2u, Napi::String::New(env, local->second));
      } else if (answer != nullptr) {
        const char* text = rd_kafka_topic_result_error_string(answer);
        entry.Set(1u, Napi::Number::New(env, rd_kafka_topic_result_error(answer)));
        entry.Set(2u, Napi::String::New(env, text ? text : ""));
      } else {
        entry.Set(1u, Napi::Number::New(env, RD_KAFKA_RESP_ERR__FAIL));
        entry.Set(2u, Napi::String::New(env, "The broker's answer had no result for this topic"));
      }
      out.Set(i, entry);
    }
    return out;
  };
  if (specs.empty()) {
    // Nothing left to send.
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Resolve(results(env, nullptr, 0));
    return deferred.Promise();
  }
  return RunAdmin(env, handle, timeout_ms, [specs, timeout_ms, validate_only](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_NewTopic_t*> news;
    char errstr[512];
    for (const auto& spec : specs) {
      rd_kafka_NewTopic_t* t = NewTopicOf(spec, errstr, sizeof errstr);
      for (const auto& [key, value] : spec.configs) rd_kafka_NewTopic_set_config(t, key.c_str(), value.c_str());
      news.push_back(t);
    }
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
    if (validate_only) rd_kafka_AdminOptions_set_validate_only(options, 1, errstr, sizeof errstr);
    rd_kafka_CreateTopics(rk, news.data(), news.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_NewTopic_destroy_array(news.data(), news.size());
  }, [results](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_topic_result_t** sent = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    return results(env, sent, count);
  }, RefuseEmbeddedBroker("CreateTopics", timeout_ms));
}

// DeleteTopics(h, [name, ...], timeoutMs) -> Promise<[[name, code, message], ...]>
Napi::Value DeleteTopics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  Napi::Value arg = Arg(info, 1);
  if (!arg.IsArray()) ThrowExpected(env, "an array of topic names", "topics", arg);
  int timeout_ms = TimeoutArg(info, 2, 30000);
  std::vector<std::string> names;
  Napi::Array topics = arg.As<Napi::Array>();
  for (uint32_t i = 0; i < topics.Length(); i++) {
    if (!topics.Get(i).IsString()) ThrowExpected(env, "a topic name", ("topics[" + std::to_string(i) + "]").c_str(), topics.Get(i));
    names.push_back(topics.Get(i).As<Napi::String>().Utf8Value());
  }
  return RunAdmin(env, handle, timeout_ms, [names, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_DeleteTopic_t*> deletes;
    for (const auto& name : names) deletes.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms);
    rd_kafka_DeleteTopics(rk, deletes.data(), deletes.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_DeleteTopic_destroy_array(deletes.data(), deletes.size());
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count);
    return TopicResults(env, results, count);
  }, RefuseEmbeddedBroker("DeleteTopics", timeout_ms));
}

// CreatePartitions(h, [[topic, totalCount, [[brokerId, ...], ...]?], ...], timeoutMs = 30000) ->
// Promise<[[name, code, message], ...] | [code, message]>. totalCount is the new number of
// partitions (only grows); the last field places the replicas of each new partition, in order.
// validateOnly: the broker only checks the request and creates nothing. A placement librdkafka
// refuses fails the call with ERR__INVALID_ARG and its reason; nothing is sent.
Napi::Value CreatePartitions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  Napi::Array items = ArrayAt(env, Arg(info, 1), "topics", "an array of [topic, totalCount]");
  int timeout_ms = TimeoutArg(info, 2, 30000);
  bool validate_only = ExpectBool(info, 3, "validateOnly", false);
  struct Spec {
    std::string topic;
    int count;
    std::vector<std::vector<int32_t>> assignment;
  };
  std::vector<Spec> specs;
  // The new partitions as librdkafka builds them, or nullptr with its reason in errstr.
  auto build = [](const Spec& spec, char* errstr, size_t size) -> rd_kafka_NewPartitions_t* {
    rd_kafka_NewPartitions_t* p = rd_kafka_NewPartitions_new(spec.topic.c_str(), spec.count, errstr, size);
    for (size_t i = 0; p != nullptr && i < spec.assignment.size(); i++) {
      const auto& ids = spec.assignment[i];
      if (rd_kafka_NewPartitions_set_replica_assignment(p, static_cast<int32_t>(i), const_cast<int32_t*>(ids.data()), ids.size(), errstr, size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_NewPartitions_destroy(p);
        p = nullptr;
      }
    }
    return p;
  };
  for (uint32_t i = 0; i < items.Length(); i++) {
    std::string where = ElementName("topics", i);
    Napi::Array item = ArrayAt(env, items.Get(i), where, "[topic, totalCount, assignment?]");
    Spec spec{StringAt(env, item.Get(0u), where + "[0]"), static_cast<int>(IntegerAt(env, item.Get(1u), where + "[1]", 1, 1000000)), {}};
    if (item.Length() > 2 && !item.Get(2u).IsUndefined() && !item.Get(2u).IsNull()) spec.assignment = AssignmentAt(env, item.Get(2u), where + "[2]");
    char errstr[512];
    rd_kafka_NewPartitions_t* check = build(spec, errstr, sizeof errstr);
    if (check == nullptr) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Resolve(CodeAndMessage(env, RD_KAFKA_RESP_ERR__INVALID_ARG, "Topic '" + spec.topic + "': " + errstr));
      return deferred.Promise();
    }
    rd_kafka_NewPartitions_destroy(check);
    specs.push_back(std::move(spec));
  }
  return RunAdmin(env, handle, timeout_ms, [specs, timeout_ms, validate_only, build](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_NewPartitions_t*> parts;
    char errstr[512];
    for (const auto& spec : specs) parts.push_back(build(spec, errstr, sizeof errstr));
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout_ms);
    if (validate_only) rd_kafka_AdminOptions_set_validate_only(options, 1, errstr, sizeof errstr);
    rd_kafka_CreatePartitions(rk, parts.data(), parts.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_NewPartitions_destroy_array(parts.data(), parts.size());
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(event), &count);
    return TopicResults(env, results, count);
  }, RefuseEmbeddedBroker("CreatePartitions", timeout_ms));
}

// ---------------------------------------------------------------------------------------------
// Configs
// ---------------------------------------------------------------------------------------------

rd_kafka_ResourceType_t ResourceTypeAt(Napi::Env env, const Napi::Value& value, const std::string& name) {
  int64_t type = IntegerAt(env, value, name, RD_KAFKA_RESOURCE_TOPIC, RD_KAFKA_RESOURCE_BROKER);
  return static_cast<rd_kafka_ResourceType_t>(type);
}

// [[type, name, code, message, entries?], ...] for config resource results.
Napi::Array ConfigResults(Napi::Env env, const rd_kafka_ConfigResource_t** resources, size_t count, bool with_entries) {
  Napi::Array out = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; i++) {
    const rd_kafka_ConfigResource_t* r = resources[i];
    Napi::Array entry = Napi::Array::New(env, with_entries ? 5 : 4);
    entry.Set(0u, Napi::Number::New(env, rd_kafka_ConfigResource_type(r)));
    entry.Set(1u, Napi::String::New(env, rd_kafka_ConfigResource_name(r)));
    entry.Set(2u, Napi::Number::New(env, rd_kafka_ConfigResource_error(r)));
    const char* text = rd_kafka_ConfigResource_error_string(r);
    entry.Set(3u, Napi::String::New(env, text ? text : ""));
    if (with_entries) {
      size_t n = 0;
      const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(r, &n);
      Napi::Array jsConfigs = Napi::Array::New(env, n);
      for (size_t j = 0; j < n; j++) {
        Napi::Array c = Napi::Array::New(env, 7);
        c.Set(0u, Napi::String::New(env, rd_kafka_ConfigEntry_name(configs[j])));
        c.Set(1u, StringOrNull(env, rd_kafka_ConfigEntry_value(configs[j])));
        c.Set(2u, Napi::Number::New(env, rd_kafka_ConfigEntry_source(configs[j])));
        c.Set(3u, Napi::Boolean::New(env, rd_kafka_ConfigEntry_is_read_only(configs[j])));
        c.Set(4u, Napi::Boolean::New(env, rd_kafka_ConfigEntry_is_default(configs[j])));
        c.Set(5u, Napi::Boolean::New(env, rd_kafka_ConfigEntry_is_sensitive(configs[j])));
        // Where else the value could come from, highest precedence first (the broker sends them).
        size_t m = 0;
        const rd_kafka_ConfigEntry_t** synonyms = rd_kafka_ConfigEntry_synonyms(configs[j], &m);
        Napi::Array jsSynonyms = Napi::Array::New(env, m);
        for (size_t k = 0; k < m; k++) {
          Napi::Array syn = Napi::Array::New(env, 3);
          syn.Set(0u, Napi::String::New(env, rd_kafka_ConfigEntry_name(synonyms[k])));
          syn.Set(1u, StringOrNull(env, rd_kafka_ConfigEntry_value(synonyms[k])));
          syn.Set(2u, Napi::Number::New(env, rd_kafka_ConfigEntry_source(synonyms[k])));
          jsSynonyms.Set(static_cast<uint32_t>(k), syn);
        }
        c.Set(6u, jsSynonyms);
        jsConfigs.Set(static_cast<uint32_t>(j), c);
      }
      entry.Set(4u, jsConfigs);
    }
    out.Set(static_cast<uint32_t>(i), entry);
  }
  return out;
}

// DescribeConfigs(h, [[resourceType, name], ...], timeoutMs = 30000) -> Promise<[[type, name,
// code, message, [[key, value | null, source, readOnly, isDefault, sensitive, [[synonym, value |
// null, source], ...]], ...]], ...] | [code, message]>. resourceType: 2 topic, 3 group, 4 broker
// (name: the broker id).
Napi::Value DescribeConfigs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  Napi::Array items = ArrayAt(env, Arg(info, 1), "resources", "an array of [resourceType, name]");
  int timeout_ms = TimeoutArg(info, 2, 30000);
  std::vector<std::pair<rd_kafka_ResourceType_t, std::string>> specs;
  for (uint32_t i = 0; i < items.Length(); i++) {
    std::string where = ElementName("resources", i);
    Napi::Array item = ArrayAt(env, items.Get(i), where, "[resourceType, name]");
    specs.emplace_back(ResourceTypeAt(env, item.Get(0u), where + "[0]"), StringAt(env, item.Get(1u), where + "[1]"));
  }
  return RunAdmin(env, handle, timeout_ms, [specs, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_ConfigResource_t*> resources;
    for (const auto& [type, name] : specs) resources.push_back(rd_kafka_ConfigResource_new(type, name.c_str()));
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
    rd_kafka_DescribeConfigs(rk, resources.data(), resources.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** results = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count);
    return ConfigResults(env, results, count, true);
  }, RefuseEmbeddedBroker("DescribeConfigs", timeout_ms));
}

struct AlterSpec {
  rd_kafka_ResourceType_t type;
  std::string name;
  std::vector<std::pair<std::string, std::optional<std::string>>> configs;
};

// AlterConfigs(h, [[resourceType, name, [[key, value | null], ...]], ...], timeoutMs = 30000,
// validateOnly = false) -> Promise<[[type, name, code, message], ...] | [code, message]>. Kafka's
// (non-incremental) AlterConfigs: the resource's dynamic configuration becomes exactly the pairs
// given; a property left out returns to its default. null also means the default. validateOnly:
// the broker only checks the request.
Napi::Value AlterConfigs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  Napi::Array items = ArrayAt(env, Arg(info, 1), "resources", "an array of [resourceType, name, [[key, value], ...]]");
  int timeout_ms = TimeoutArg(info, 2, 30000);
  bool validate_only = ExpectBool(info, 3, "validateOnly", false);
  std::vector<AlterSpec> specs;
  for (uint32_t i = 0; i < items.Length(); i++) {
    std::string where = ElementName("resources", i);
    Napi::Array item = ArrayAt(env, items.Get(i), where, "[resourceType, name, [[key, value], ...]]");
    AlterSpec spec{ResourceTypeAt(env, item.Get(0u), where + "[0]"), StringAt(env, item.Get(1u), where + "[1]"), {}};
    Napi::Array pairs = ArrayAt(env, item.Get(2u), where + "[2]", "an array of [key, value] pairs");
    for (uint32_t j = 0; j < pairs.Length(); j++) {
      std::string at = ElementName(where + "[2]", j);
      Napi::Array pair = ArrayAt(env, pairs.Get(j), at, "a [key, value | null] pair");
      Napi::Value value = pair.Get(1u);
      std::optional<std::string> text;
      if (!value.IsNull()) {
        if (!value.IsString()) ThrowExpected(env, "a string or null", (at + "[1]").c_str(), value);
        text = value.As<Napi::String>().Utf8Value();
      }
      spec.configs.emplace_back(StringAt(env, pair.Get(0u), at + "[0]"), text);
    }
    specs.push_back(std::move(spec));
  }
  return RunAdmin(env, handle, timeout_ms, [specs, timeout_ms, validate_only](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_ConfigResource_t*> resources;
    for (const auto& spec : specs) {
      rd_kafka_ConfigResource_t* r = rd_kafka_ConfigResource_new(spec.type, spec.name.c_str());
      for (const auto& [key, value] : spec.configs) rd_kafka_ConfigResource_set_config(r, key.c_str(), value ? value->c_str() : nullptr);
      resources.push_back(r);
    }
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS, timeout_ms);
    char errstr[256];
    if (validate_only) rd_kafka_AdminOptions_set_validate_only(options, 1, errstr, sizeof errstr);
    rd_kafka_AlterConfigs(rk, resources.data(), resources.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** results = rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(event), &count);
    return ConfigResults(env, results, count, false);
  }, RefuseEmbeddedBroker("AlterConfigs", timeout_ms));
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

// DeleteRecords(h, list, timeoutMs = 30000) -> Promise<[[topic, partition, lowWatermark, error],
// ...] | [code, message]>. Deletes every record before each entry's offset (-1: the end, i.e.
// all); the result is each partition's new first offset.
Napi::Value DeleteRecords(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  rd_kafka_topic_partition_list_t* list = ListCopy(info, 1);
  std::shared_ptr<rd_kafka_topic_partition_list_t> owned(list, rd_kafka_topic_partition_list_destroy);
  int timeout_ms = TimeoutArg(info, 2, 30000);
  return RunAdmin(env, handle, timeout_ms, [owned, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(owned.get());
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DELETERECORDS, timeout_ms);
    rd_kafka_DeleteRecords(rk, &del, 1, options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_DeleteRecords_destroy(del);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    return ListEntries(env, rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event)));
  }, RefuseEmbeddedBroker("DeleteRecords", timeout_ms));
}

// ---------------------------------------------------------------------------------------------
// Consumer groups
// ---------------------------------------------------------------------------------------------

Napi::Array ErrorTuple(Napi::Env env, const rd_kafka_error_t* error) {
  return CodeAndMessage(env, error ? rd_kafka_error_code(error) : 0, error ? rd_kafka_error_string(error) : "");
}

// ListConsumerGroups' result as [[[groupId, isSimple, state(, type)], ...], [[code, message], ...]];
// `with_type` adds each group's protocol type (KIP-848; librdkafka 2.6.0 and later).
Napi::Value GroupListings(Napi::Env env, rd_kafka_event_t* event, bool with_type) {
  const rd_kafka_ListConsumerGroups_result_t* result = rd_kafka_event_ListConsumerGroups_result(event);
  size_t count = 0, error_count = 0;
  const rd_kafka_ConsumerGroupListing_t** groups = rd_kafka_ListConsumerGroups_result_valid(result, &count);
  const rd_kafka_error_t** errors = rd_kafka_ListConsumerGroups_result_errors(result, &error_count);
  Napi::Array jsGroups = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; i++) {
    Napi::Array g = Napi::Array::New(env, with_type ? 4 : 3);
    g.Set(0u, Napi::String::New(env, rd_kafka_ConsumerGroupListing_group_id(groups[i])));
    g.Set(1u, Napi::Boolean::New(env, rd_kafka_ConsumerGroupListing_is_simple_consumer_group(groups[i])));
    g.Set(2u, Napi::String::New(env, rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(groups[i]))));
#if RD_KAFKA_VERSION >= 0x020600ff
    if (with_type) {
      rd_kafka_consumer_group_type_t type = rd_kafka_ConsumerGroupListing_type(groups[i]);
      g.Set(3u, Napi::String::New(env, type == RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC ? "classic" : type == RD_KAFKA_CONSUMER_GROUP_TYPE_CONSUMER ? "consumer" : "unknown"));
    }
#endif
    jsGroups.Set(static_cast<uint32_t>(i), g);
  }
  Napi::Array jsErrors = Napi::Array::New(env, error_count);
  for (size_t i = 0; i < error_count; i++) jsErrors.Set(static_cast<uint32_t>(i), ErrorTuple(env, errors[i]));
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, jsGroups);
  out.Set(1u, jsErrors);
  return out;
}

// ListConsumerGroups(h, timeoutMs = 30000) -> Promise<[[[groupId, isSimple, state], ...],
// [[code, message], ...]] | [code, message]>: the groups every broker knows, and the brokers'
// errors. state: Unknown, PreparingRebalance, CompletingRebalance, Stable, Dead or Empty.
Napi::Value ListConsumerGroups(const Napi::CallbackInfo& info) {
  auto handle = AdminHandle(info);
  int timeout_ms = TimeoutArg(info, 1, 30000);
  return RunAdmin(info.Env(), handle, timeout_ms, [timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms);
    rd_kafka_ListConsumerGroups(rk, options, queue);
    rd_kafka_AdminOptions_destroy(options);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    return GroupListings(env, event, false);
  }, RefuseEmbeddedBroker("ListConsumerGroups", timeout_ms));
}

// DescribeConsumerGroups(h, [groupId, ...], timeoutMs = 30000) -> Promise<[[groupId, code,
// message, isSimple, partitionAssignor, state, [id, host, port] | null, [[memberId, clientId,
// host, groupInstanceId | null, [[topic, partition, offset, error], ...]], ...]], ...] |
// [code, message]>: each group's state, coordinator and members with their assignments.
Napi::Value DescribeConsumerGroups(const Napi::CallbackInfo& info) {
  auto handle = AdminHandle(info);
  std::vector<std::string> groups = ExpectStringArray(info, 1, "groups");
  int timeout_ms = TimeoutArg(info, 2, 30000);
  return RunAdmin(info.Env(), handle, timeout_ms, [groups, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<const char*> names;
    for (const auto& g : groups) names.push_back(g.c_str());
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
    rd_kafka_DescribeConsumerGroups(rk, names.data(), names.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_ConsumerGroupDescription_t** descs =
        rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(event), &count);
    Napi::Array out = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; i++) {
      const rd_kafka_ConsumerGroupDescription_t* d = descs[i];
      const rd_kafka_error_t* error = rd_kafka_ConsumerGroupDescription_error(d);
      Napi::Array g = Napi::Array::New(env, 8);
      g.Set(0u, Napi::String::New(env, rd_kafka_ConsumerGroupDescription_group_id(d)));
      g.Set(1u, Napi::Number::New(env, error ? rd_kafka_error_code(error) : 0));
      g.Set(2u, Napi::String::New(env, error ? rd_kafka_error_string(error) : ""));
      g.Set(3u, Napi::Boolean::New(env, rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d)));
      const char* assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(d);
      g.Set(4u, Napi::String::New(env, assignor ? assignor : ""));
      g.Set(5u, Napi::String::New(env, rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d))));
      const rd_kafka_Node_t* node = rd_kafka_ConsumerGroupDescription_coordinator(d);
      if (node != nullptr) {
        Napi::Array c = Napi::Array::New(env, 3);
        c.Set(0u, Napi::Number::New(env, rd_kafka_Node_id(node)));
        c.Set(1u, Napi::String::New(env, rd_kafka_Node_host(node) ? rd_kafka_Node_host(node) : ""));
        c.Set(2u, Napi::Number::New(env, rd_kafka_Node_port(node)));
        g.Set(6u, c);
      } else {
        g.Set(6u, env.Null());
      }
      size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
      Napi::Array jsMembers = Napi::Array::New(env, members);
      for (size_t m = 0; m < members; m++) {
        const rd_kafka_MemberDescription_t* member = rd_kafka_ConsumerGroupDescription_member(d, m);
        Napi::Array jm = Napi::Array::New(env, 5);
        jm.Set(0u, Napi::String::New(env, rd_kafka_MemberDescription_consumer_id(member)));
        jm.Set(1u, Napi::String::New(env, rd_kafka_MemberDescription_client_id(member)));
        jm.Set(2u, Napi::String::New(env, rd_kafka_MemberDescription_host(member)));
        jm.Set(3u, StringOrNull(env, rd_kafka_MemberDescription_group_instance_id(member)));
        const rd_kafka_MemberAssignment_t* assignment = rd_kafka_MemberDescription_assignment(member);
        const rd_kafka_topic_partition_list_t* partitions = assignment ? rd_kafka_MemberAssignment_partitions(assignment) : nullptr;
        jm.Set(4u, partitions ? ListEntries(env, partitions) : Napi::Array::New(env));
        jsMembers.Set(static_cast<uint32_t>(m), jm);
      }
      g.Set(7u, jsMembers);
      out.Set(static_cast<uint32_t>(i), g);
    }
    return out;
  }, RefuseEmbeddedBroker("DescribeConsumerGroups", timeout_ms));
}

// [[groupId, code, message, entries?], ...] from group results.
Napi::Array GroupResults(Napi::Env env, const rd_kafka_group_result_t** results, size_t count, bool with_partitions) {
  Napi::Array out = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; i++) {
    const rd_kafka_error_t* error = rd_kafka_group_result_error(results[i]);
    Napi::Array g = Napi::Array::New(env, with_partitions ? 4 : 3);
    g.Set(0u, Napi::String::New(env, rd_kafka_group_result_name(results[i])));
    g.Set(1u, Napi::Number::New(env, error ? rd_kafka_error_code(error) : 0));
    g.Set(2u, Napi::String::New(env, error ? rd_kafka_error_string(error) : ""));
    if (with_partitions) {
      const rd_kafka_topic_partition_list_t* partitions = rd_kafka_group_result_partitions(results[i]);
      g.Set(3u, partitions ? ListEntries(env, partitions) : Napi::Array::New(env));
    }
    out.Set(static_cast<uint32_t>(i), g);
  }
  return out;
}

// librdkafka handles a group coordinator's "not coordinator" or "coordinator not available" answer
// to ListConsumerGroupOffsets through the client's own consumer group: on a handle without one it
// dereferences a null pointer and the process dies (librdkafka issue 5040). Refused there instead.
AdminGuard NeedsConsumerGroup(AdminGuard next) {
  return [next](rd_kafka_t* rk, std::string* message) -> int {
    char group[512] = "";
    size_t size = sizeof group;
    if (rd_kafka_type(rk) != RD_KAFKA_CONSUMER || rd_kafka_conf_get(rd_kafka_conf(rk), "group.id", group, &size) != RD_KAFKA_CONF_OK ||
        group[0] == '\0') {
      *message = "ListConsumerGroupOffsets runs on a consumer's handle with a group.id (Admin.groupOffsets makes one): on any other, "
                 "librdkafka crashes when a group coordinator answers \"not coordinator\"";
      return RD_KAFKA_RESP_ERR__INVALID_ARG;
    }
    return next ? next(rk, message) : 0;
  };
}

// ListConsumerGroupOffsets(h, groupId, list | null, timeoutMs = 30000, requireStable = false) ->
// Promise<[[groupId, code, message, [[topic, partition, offset, error], ...]]] | [code, message]>:
// the group's committed offsets for the list's partitions, or for every partition it committed
// when the list is null (offset -1001: nothing committed). The embedded broker answers only for
// named partitions: null is refused there with ERR__UNSUPPORTED_FEATURE.
Napi::Value ListConsumerGroupOffsets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  std::string group = ExpectString(info, 1, "groupId");
  if (group.empty()) ThrowExpected(env, "a non-empty string", "groupId", Arg(info, 1));
  std::shared_ptr<rd_kafka_topic_partition_list_t> partitions;
  if (!Arg(info, 2).IsNull() && !Arg(info, 2).IsUndefined()) partitions.reset(ListCopy(info, 2), rd_kafka_topic_partition_list_destroy);
  int timeout_ms = TimeoutArg(info, 3, 30000);
  bool require_stable = ExpectBool(info, 4, "requireStable", false);
  return RunAdmin(env, handle, timeout_ms, [group, partitions, timeout_ms, require_stable](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    rd_kafka_ListConsumerGroupOffsets_t* request = rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), partitions.get());
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms);
    if (require_stable) {
      if (rd_kafka_error_t* error = rd_kafka_AdminOptions_set_require_stable_offsets(options, 1)) rd_kafka_error_destroy(error);
    }
    rd_kafka_ListConsumerGroupOffsets(rk, &request, 1, options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_ListConsumerGroupOffsets_destroy(request);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_group_result_t** results =
        rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(event), &count);
    return GroupResults(env, results, count, true);
  }, NeedsConsumerGroup(partitions ? AdminGuard() : RefuseEmbeddedBroker("listing all of a group's committed offsets (name the partitions)", timeout_ms)));
}

// DeleteGroups(h, [groupId, ...], timeoutMs = 30000) -> Promise<[[groupId, code, message], ...] |
// [code, message]>. Refused with ERR__UNSUPPORTED_FEATURE (-165) on the embedded broker, whose
// 2.0.2 version would abort the process.
Napi::Value DeleteGroups(const Napi::CallbackInfo& info) {
  auto handle = AdminHandle(info);
  std::vector<std::string> groups = ExpectStringArray(info, 1, "groups");
  int timeout_ms = TimeoutArg(info, 2, 30000);
  return RunAdmin(info.Env(), handle, timeout_ms, [groups, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_DeleteGroup_t*> deletes;
    for (const auto& g : groups) deletes.push_back(rd_kafka_DeleteGroup_new(g.c_str()));
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DELETEGROUPS, timeout_ms);
    rd_kafka_DeleteGroups(rk, deletes.data(), deletes.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_DeleteGroup_destroy_array(deletes.data(), deletes.size());
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_group_result_t** results = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(event), &count);
    return GroupResults(env, results, count, false);
  }, RefuseEmbeddedBroker("DeleteGroups", timeout_ms));
}

// AlterConsumerGroupOffsets(h, groupId, list, timeoutMs = 30000) -> Promise<[[groupId, code,
// message, [[topic, partition, offset, error], ...]]] | [code, message]>: commits the list's
// offsets for the group from outside it (Kafka refuses it while members consume those topics).
Napi::Value AlterConsumerGroupOffsets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  std::string group = ExpectString(info, 1, "groupId");
  if (group.empty()) ThrowExpected(env, "a non-empty string", "groupId", Arg(info, 1));
  std::shared_ptr<rd_kafka_topic_partition_list_t> partitions(ListCopy(info, 2), rd_kafka_topic_partition_list_destroy);
  int timeout_ms = TimeoutArg(info, 3, 30000);
  return RunAdmin(env, handle, timeout_ms, [group, partitions, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    rd_kafka_AlterConsumerGroupOffsets_t* request = rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), partitions.get());
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout_ms);
    rd_kafka_AlterConsumerGroupOffsets(rk, &request, 1, options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_AlterConsumerGroupOffsets_destroy(request);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_group_result_t** results =
        rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(event), &count);
    return GroupResults(env, results, count, true);
  });
}

// ---------------------------------------------------------------------------------------------
// Requests of newer librdkafka versions (ListOffsets, DescribeCluster, DescribeTopics, listing
// groups by type, ElectLeaders). Each is compiled in only when the headers have it
// (RD_KAFKA_VERSION) and called only when the library loaded at run time has it too (the addon
// is loaded lazily, so a missing function would end the process at its first call); otherwise
// the promise resolves with [ERR__NOT_IMPLEMENTED, "<request> needs librdkafka <version> ..."].
// ---------------------------------------------------------------------------------------------

// The library's version as text, e.g. "2.0.2" from 0x020002ff.
std::string VersionText(int hex) {
  return std::to_string((hex >> 24) & 0xff) + "." + std::to_string((hex >> 16) & 0xff) + "." + std::to_string((hex >> 8) & 0xff);
}

// Empty when both the headers the addon was built with and the library it runs with are at least
// `needed`; else why not, naming the version needed and the one found.
std::string MissingVersion(const char* request, int needed) {
  std::string why = std::string(request) + " needs librdkafka " + VersionText(needed) + " or newer; ";
  if (RD_KAFKA_VERSION < needed) return why + "this addon was built against librdkafka " + VersionText(RD_KAFKA_VERSION) + " (rebuild it against a newer one)";
  if (rd_kafka_version() < needed) return why + "the librdkafka loaded is " + rd_kafka_version_str();
  return "";
}

Napi::Value NotImplemented(Napi::Env env, const std::string& message) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Resolve(CodeAndMessage(env, RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED, message));
  return deferred.Promise();
}

constexpr int kListOffsetsVersion = 0x020300ff;

// ListOffsets(h, list, timeoutMs = 10000, readCommitted = false) -> Promise<[[topic, partition,
// offset, error, timestamp], ...] | [code, message]>. Each entry's offset says what to find: -1
// the end offset, -2 the first, -3 the message with the largest timestamp, a timestamp (ms) the
// first offset whose message timestamp is at least it. Needs librdkafka 2.3.0. readCommitted: the
// end is the last stable offset (before open transactions). The embedded broker answers every
// timestamp with -1, so -3 and timestamps are refused there with ERR__UNSUPPORTED_FEATURE.
Napi::Value ListOffsets(const Napi::CallbackInfo& info) {
  // Arguments are checked the same on every version; on an older one they go unused.
  [[maybe_unused]] auto handle = AdminHandle(info);
  std::shared_ptr<rd_kafka_topic_partition_list_t> list(ListCopy(info, 1), rd_kafka_topic_partition_list_destroy);
  [[maybe_unused]] int timeout_ms = TimeoutArg(info, 2, 10000);
  [[maybe_unused]] bool read_committed = ExpectBool(info, 3, "readCommitted", false);
  [[maybe_unused]] bool by_time = false;
  for (int i = 0; i < list->cnt; i++) {
    by_time = by_time || list->elems[i].offset >= 0 || list->elems[i].offset == -3;
    if (list->elems[i].offset < -3) {
      std::string name = "list[" + std::to_string(i) + "].offset";
      ThrowExpected(info.Env(), "-1 (latest), -2 (earliest), -3 (max timestamp) or a timestamp", name.c_str(), Napi::Number::New(info.Env(), static_cast<double>(list->elems[i].offset)));
    }
  }
  std::string missing = MissingVersion("ListOffsets", kListOffsetsVersion);
#if RD_KAFKA_VERSION >= 0x020300ff
  if (missing.empty()) return RunAdmin(info.Env(), handle, timeout_ms, [list, timeout_ms, read_committed](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_LISTOFFSETS, timeout_ms);
    if (read_committed) {
      if (rd_kafka_error_t* error = rd_kafka_AdminOptions_set_isolation_level(options, RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED)) rd_kafka_error_destroy(error);
    }
    rd_kafka_ListOffsets(rk, list.get(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_ListOffsetsResultInfo_t** infos = rd_kafka_ListOffsets_result_infos(rd_kafka_event_ListOffsets_result(event), &count);
    Napi::Array out = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; i++) {
      const rd_kafka_topic_partition_t* tp = rd_kafka_ListOffsetsResultInfo_topic_partition(infos[i]);
      Napi::Array entry = Napi::Array::New(env, 5);
      entry.Set(0u, Napi::String::New(env, tp->topic));
      entry.Set(1u, Napi::Number::New(env, tp->partition));
      entry.Set(2u, Napi::Number::New(env, static_cast<double>(tp->offset)));
      entry.Set(3u, Napi::Number::New(env, tp->err));
      entry.Set(4u, Napi::Number::New(env, static_cast<double>(rd_kafka_ListOffsetsResultInfo_timestamp(infos[i]))));
      out.Set(static_cast<uint32_t>(i), entry);
    }
    return out;
  }, by_time ? RefuseEmbeddedBroker("ListOffsets by timestamp (only -1, the end, and -2, the beginning)", timeout_ms) : AdminGuard());
#endif
  return NotImplemented(info.Env(), missing);
}

constexpr int kDescribeVersion = 0x020300ff;

#if RD_KAFKA_VERSION >= 0x020300ff
// [id, host, port], or null for no node.
Napi::Value NodeTuple(Napi::Env env, const rd_kafka_Node_t* node) {
  if (node == nullptr) return env.Null();
  Napi::Array tuple = Napi::Array::New(env, 3);
  tuple.Set(0u, Napi::Number::New(env, rd_kafka_Node_id(node)));
  tuple.Set(1u, Napi::String::New(env, rd_kafka_Node_host(node)));
  tuple.Set(2u, Napi::Number::New(env, rd_kafka_Node_port(node)));
  return tuple;
}

Napi::Array NodeIds(Napi::Env env, const rd_kafka_Node_t** nodes, size_t count) {
  Napi::Array ids = Napi::Array::New(env, count);
  for (size_t i = 0; i < count; i++) ids.Set(static_cast<uint32_t>(i), Napi::Number::New(env, rd_kafka_Node_id(nodes[i])));
  return ids;
}
#endif

// DescribeCluster(h, timeoutMs = 10000) -> Promise<[clusterId, controller [id, host, port] | null,
// brokers [[id, host, port], ...]] | [code, message]>. Needs librdkafka 2.3.0. Refused with
// ERR__UNSUPPORTED_FEATURE on the embedded broker, which has no controller to ask.
Napi::Value DescribeCluster(const Napi::CallbackInfo& info) {
  [[maybe_unused]] auto handle = AdminHandle(info);
  [[maybe_unused]] int timeout_ms = TimeoutArg(info, 1, 10000);
  std::string missing = MissingVersion("DescribeCluster", kDescribeVersion);
#if RD_KAFKA_VERSION >= 0x020300ff
  if (missing.empty()) return RunAdmin(info.Env(), handle, timeout_ms, [timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER, timeout_ms);
    rd_kafka_DescribeCluster(rk, options, queue);
    rd_kafka_AdminOptions_destroy(options);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    const rd_kafka_DescribeCluster_result_t* result = rd_kafka_event_DescribeCluster_result(event);
    size_t count = 0;
    const rd_kafka_Node_t** nodes = rd_kafka_DescribeCluster_result_nodes(result, &count);
    Napi::Array brokers = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; i++) brokers.Set(static_cast<uint32_t>(i), NodeTuple(env, nodes[i]));
    Napi::Array out = Napi::Array::New(env, 3);
    out.Set(0u, StringOrNull(env, rd_kafka_DescribeCluster_result_cluster_id(result)));
    out.Set(1u, NodeTuple(env, rd_kafka_DescribeCluster_result_controller(result)));
    out.Set(2u, brokers);
    return out;
  }, RefuseEmbeddedBroker("DescribeCluster", timeout_ms));
#endif
  return NotImplemented(info.Env(), missing);
}

// DescribeTopics(h, [name, ...], timeoutMs = 10000) -> Promise<[[name, code, message, internal,
// [[partition, leader, replicas[], isr[]], ...]], ...] | [code, message]>. leader -1: none. A
// topic that does not exist has its own code (3, UNKNOWN_TOPIC_OR_PART). Needs librdkafka 2.3.0.
// Refused with ERR__UNSUPPORTED_FEATURE on the embedded broker, which has no controller to ask.
Napi::Value DescribeTopics(const Napi::CallbackInfo& info) {
  [[maybe_unused]] auto handle = AdminHandle(info);
  [[maybe_unused]] std::vector<std::string> topics = ExpectStringArray(info, 1, "topics");
  [[maybe_unused]] int timeout_ms = TimeoutArg(info, 2, 10000);
  std::string missing = MissingVersion("DescribeTopics", kDescribeVersion);
#if RD_KAFKA_VERSION >= 0x020300ff
  if (missing.empty()) return RunAdmin(info.Env(), handle, timeout_ms, [topics, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<const char*> names;
    for (const auto& t : topics) names.push_back(t.c_str());
    rd_kafka_TopicCollection_t* collection = rd_kafka_TopicCollection_of_topic_names(names.data(), names.size());
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBETOPICS, timeout_ms);
    rd_kafka_DescribeTopics(rk, collection, options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_TopicCollection_destroy(collection);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_TopicDescription_t** descriptions = rd_kafka_DescribeTopics_result_topics(rd_kafka_event_DescribeTopics_result(event), &count);
    Napi::Array out = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; i++) {
      const rd_kafka_error_t* error = rd_kafka_TopicDescription_error(descriptions[i]);
      size_t partition_count = 0;
      const rd_kafka_TopicPartitionInfo_t** partitions = rd_kafka_TopicDescription_partitions(descriptions[i], &partition_count);
      Napi::Array partition_tuples = Napi::Array::New(env, partition_count);
      for (size_t j = 0; j < partition_count; j++) {
        const rd_kafka_Node_t* leader = rd_kafka_TopicPartitionInfo_leader(partitions[j]);
        size_t replica_count = 0, isr_count = 0;
        const rd_kafka_Node_t** replicas = rd_kafka_TopicPartitionInfo_replicas(partitions[j], &replica_count);
        const rd_kafka_Node_t** isr = rd_kafka_TopicPartitionInfo_isr(partitions[j], &isr_count);
        Napi::Array tuple = Napi::Array::New(env, 4);
        tuple.Set(0u, Napi::Number::New(env, rd_kafka_TopicPartitionInfo_partition(partitions[j])));
        tuple.Set(1u, Napi::Number::New(env, leader ? rd_kafka_Node_id(leader) : -1));
        tuple.Set(2u, NodeIds(env, replicas, replica_count));
        tuple.Set(3u, NodeIds(env, isr, isr_count));
        partition_tuples.Set(static_cast<uint32_t>(j), tuple);
      }
      Napi::Array entry = Napi::Array::New(env, 5);
      entry.Set(0u, Napi::String::New(env, rd_kafka_TopicDescription_name(descriptions[i])));
      entry.Set(1u, Napi::Number::New(env, error ? rd_kafka_error_code(error) : 0));
      entry.Set(2u, Napi::String::New(env, error ? rd_kafka_error_string(error) : ""));
      entry.Set(3u, Napi::Boolean::New(env, rd_kafka_TopicDescription_is_internal(descriptions[i]) != 0));
      entry.Set(4u, partition_tuples);
      out.Set(static_cast<uint32_t>(i), entry);
    }
    return out;
  }, RefuseEmbeddedBroker("DescribeTopics", timeout_ms));
#endif
  return NotImplemented(info.Env(), missing);
}

constexpr int kGroupTypesVersion = 0x020600ff;

// ListConsumerGroupsByType(h, types ['classic' | 'consumer', ...], timeoutMs = 30000) ->
// Promise<[[[groupId, isSimple, state, type], ...], [[code, message], ...]] | [code, message]>:
// ListConsumerGroups keeping only groups of those types (KIP-848); type is 'classic', 'consumer'
// or 'unknown'. Needs librdkafka 2.6.0. Refused on the embedded broker as ListConsumerGroups is.
Napi::Value ListConsumerGroupsByType(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  [[maybe_unused]] auto handle = AdminHandle(info);
  std::vector<std::string> names = ExpectStringArray(info, 1, "types");
  [[maybe_unused]] std::vector<int> types;
  for (size_t i = 0; i < names.size(); i++) {
    if (names[i] != "classic" && names[i] != "consumer") {
      ThrowExpected(env, "'classic' or 'consumer'", ("types[" + std::to_string(i) + "]").c_str(), Napi::String::New(env, names[i]));
    }
    types.push_back(names[i] == "classic" ? 2 : 1);  // RD_KAFKA_CONSUMER_GROUP_TYPE_CLASSIC, _CONSUMER
  }
  if (types.empty()) ThrowExpected(env, "a non-empty array of group types", "types", Arg(info, 1));
  [[maybe_unused]] int timeout_ms = TimeoutArg(info, 2, 30000);
  std::string missing = MissingVersion("Listing groups by type", kGroupTypesVersion);
#if RD_KAFKA_VERSION >= 0x020600ff
  if (missing.empty()) return RunAdmin(env, handle, timeout_ms, [types, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_consumer_group_type_t> wanted;
    for (int t : types) wanted.push_back(static_cast<rd_kafka_consumer_group_type_t>(t));
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms);
    if (rd_kafka_error_t* error = rd_kafka_AdminOptions_set_match_consumer_group_types(options, wanted.data(), wanted.size())) rd_kafka_error_destroy(error);
    rd_kafka_ListConsumerGroups(rk, options, queue);
    rd_kafka_AdminOptions_destroy(options);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    return GroupListings(env, event, true);
  }, RefuseEmbeddedBroker("ListConsumerGroups", timeout_ms));
#endif
  return NotImplemented(env, missing);
}

constexpr int kElectLeadersVersion = 0x020600ff;

// ElectLeaders(h, electionType, list | null, timeoutMs = 30000) -> Promise<[[topic, partition,
// code, message], ...] | [code, message]>: asks the controller to elect a leader for each of the
// list's partitions (null: every partition; the result then lists only those where an election
// happened or failed). electionType: 0 the preferred replica (the first of the replicas), 1 unclean
// (any live replica, even one out of sync: it may lose records). code 84 (ELECTION_NOT_NEEDED):
// the partition already had that leader. Needs librdkafka 2.6.0. Refused with
// ERR__UNSUPPORTED_FEATURE on the embedded broker, which has no controller to ask.
Napi::Value ElectLeaders(const Napi::CallbackInfo& info) {
  [[maybe_unused]] auto handle = AdminHandle(info);
  [[maybe_unused]] int election_type = static_cast<int>(ExpectInteger(info, 1, "electionType", 0, 1));
  [[maybe_unused]] std::shared_ptr<rd_kafka_topic_partition_list_t> partitions;
  if (!Arg(info, 2).IsNull() && !Arg(info, 2).IsUndefined()) partitions.reset(ListCopy(info, 2), rd_kafka_topic_partition_list_destroy);
  [[maybe_unused]] int timeout_ms = TimeoutArg(info, 3, 30000);
  std::string missing = MissingVersion("ElectLeaders", kElectLeadersVersion);
#if RD_KAFKA_VERSION >= 0x020600ff
  if (missing.empty()) return RunAdmin(info.Env(), handle, timeout_ms, [election_type, partitions, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    rd_kafka_ElectLeaders_t* request = rd_kafka_ElectLeaders_new(static_cast<rd_kafka_ElectionType_t>(election_type), partitions.get());
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_ELECTLEADERS, timeout_ms);
    rd_kafka_ElectLeaders(rk, request, options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_ElectLeaders_destroy(request);
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_topic_partition_result_t** results = rd_kafka_ElectLeaders_result_partitions(rd_kafka_event_ElectLeaders_result(event), &count);
    Napi::Array out = Napi::Array::New(env, count);
    for (size_t i = 0; i < count; i++) {
      const rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_result_partition(results[i]);
      const rd_kafka_error_t* error = rd_kafka_topic_partition_result_error(results[i]);
      Napi::Array entry = Napi::Array::New(env, 4);
      entry.Set(0u, Napi::String::New(env, tp->topic));
      entry.Set(1u, Napi::Number::New(env, tp->partition));
      entry.Set(2u, Napi::Number::New(env, error ? rd_kafka_error_code(error) : 0));
      entry.Set(3u, Napi::String::New(env, error ? rd_kafka_error_string(error) : ""));
      out.Set(static_cast<uint32_t>(i), entry);
    }
    return out;
  }, RefuseEmbeddedBroker("ElectLeaders", timeout_ms));
#endif
  return NotImplemented(info.Env(), missing);
}

constexpr int kIncrementalAlterVersion = 0x020200ff;

// IncrementalAlterConfigs(h, [[resourceType, name, [[key, op, value | null], ...]], ...],
// timeoutMs = 30000, validateOnly = false) -> Promise<[[type, name, code, message], ...] | [code,
// message]>. Kafka's IncrementalAlterConfigs: only the properties named change; op 0 sets one to
// value, 1 deletes it (back to its default), 2 appends to a list, 3 subtracts from it. Needs
// librdkafka 2.2.0. Refused with ERR__UNSUPPORTED_FEATURE on the embedded broker.
Napi::Value IncrementalAlterConfigs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  [[maybe_unused]] auto handle = AdminHandle(info);
  Napi::Array items = ArrayAt(env, Arg(info, 1), "resources", "an array of [resourceType, name, [[key, op, value], ...]]");
  [[maybe_unused]] int timeout_ms = TimeoutArg(info, 2, 30000);
  [[maybe_unused]] bool validate_only = ExpectBool(info, 3, "validateOnly", false);
  struct Op {
    std::string key;
    int op;
    std::optional<std::string> value;
  };
  [[maybe_unused]] std::vector<std::tuple<rd_kafka_ResourceType_t, std::string, std::vector<Op>>> specs;
  for (uint32_t i = 0; i < items.Length(); i++) {
    std::string where = ElementName("resources", i);
    Napi::Array item = ArrayAt(env, items.Get(i), where, "[resourceType, name, [[key, op, value], ...]]");
    std::vector<Op> ops;
    Napi::Array triples = ArrayAt(env, item.Get(2u), where + "[2]", "an array of [key, op, value | null]");
    for (uint32_t j = 0; j < triples.Length(); j++) {
      std::string at = ElementName(where + "[2]", j);
      Napi::Array triple = ArrayAt(env, triples.Get(j), at, "a [key, op, value | null] triple");
      Napi::Value value = triple.Get(2u);
      std::optional<std::string> text;
      if (!value.IsNull() && !value.IsUndefined()) {
        if (!value.IsString()) ThrowExpected(env, "a string or null", (at + "[2]").c_str(), value);
        text = value.As<Napi::String>().Utf8Value();
      }
      ops.push_back({StringAt(env, triple.Get(0u), at + "[0]"), static_cast<int>(IntegerAt(env, triple.Get(1u), at + "[1]", 0, 3)), text});
    }
    specs.emplace_back(ResourceTypeAt(env, item.Get(0u), where + "[0]"), StringAt(env, item.Get(1u), where + "[1]"), std::move(ops));
  }
  std::string missing = MissingVersion("IncrementalAlterConfigs", kIncrementalAlterVersion);
#if RD_KAFKA_VERSION >= 0x020200ff
  if (missing.empty()) return RunAdmin(env, handle, timeout_ms, [specs, timeout_ms, validate_only](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_ConfigResource_t*> resources;
    for (const auto& [type, name, ops] : specs) {
      rd_kafka_ConfigResource_t* r = rd_kafka_ConfigResource_new(type, name.c_str());
      for (const auto& op : ops) {
        rd_kafka_error_t* error = rd_kafka_ConfigResource_add_incremental_config(r, op.key.c_str(), static_cast<rd_kafka_AlterConfigOpType_t>(op.op), op.value ? op.value->c_str() : nullptr);
        if (error) rd_kafka_error_destroy(error);  // the broker then refuses the property, naming it
      }
      resources.push_back(r);
    }
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS, timeout_ms);
    char errstr[256];
    if (validate_only) rd_kafka_AdminOptions_set_validate_only(options, 1, errstr, sizeof errstr);
    rd_kafka_IncrementalAlterConfigs(rk, resources.data(), resources.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_ConfigResource_t** results = rd_kafka_IncrementalAlterConfigs_result_resources(rd_kafka_event_IncrementalAlterConfigs_result(event), &count);
    return ConfigResults(env, results, count, false);
  }, RefuseEmbeddedBroker("IncrementalAlterConfigs", timeout_ms));
#endif
  return NotImplemented(env, missing);
}

}  // namespace

std::vector<std::string> ExpectStringArray(const Napi::CallbackInfo& info, size_t i, const char* parameter) {
  Napi::Env env = info.Env();
  Napi::Array items = ArrayAt(env, Arg(info, i), parameter, "an array of strings");
  std::vector<std::string> out;
  for (uint32_t j = 0; j < items.Length(); j++) out.push_back(StringAt(env, items.Get(j), ElementName(parameter, j)));
  return out;
}

void InitAdmin(Napi::Env env, Napi::Object exports) {
  exports.Set("Metadata", Napi::Function::New(env, Metadata, "Metadata"));
  exports.Set("QueryWatermarkOffsets", Napi::Function::New(env, QueryWatermarkOffsets, "QueryWatermarkOffsets"));
  exports.Set("GetWatermarkOffsets", Napi::Function::New(env, GetWatermarkOffsets, "GetWatermarkOffsets"));
  exports.Set("OffsetsForTimes", Napi::Function::New(env, OffsetsForTimes, "OffsetsForTimes"));
  exports.Set("CreateTopics", Napi::Function::New(env, CreateTopics, "CreateTopics"));
  exports.Set("DeleteTopics", Napi::Function::New(env, DeleteTopics, "DeleteTopics"));
  exports.Set("CreatePartitions", Napi::Function::New(env, CreatePartitions, "CreatePartitions"));
  exports.Set("DescribeConfigs", Napi::Function::New(env, DescribeConfigs, "DescribeConfigs"));
  exports.Set("AlterConfigs", Napi::Function::New(env, AlterConfigs, "AlterConfigs"));
  exports.Set("IncrementalAlterConfigs", Napi::Function::New(env, IncrementalAlterConfigs, "IncrementalAlterConfigs"));
  exports.Set("DeleteRecords", Napi::Function::New(env, DeleteRecords, "DeleteRecords"));
  exports.Set("ListConsumerGroups", Napi::Function::New(env, ListConsumerGroups, "ListConsumerGroups"));
  exports.Set("DescribeConsumerGroups", Napi::Function::New(env, DescribeConsumerGroups, "DescribeConsumerGroups"));
  exports.Set("ListConsumerGroupOffsets", Napi::Function::New(env, ListConsumerGroupOffsets, "ListConsumerGroupOffsets"));
  exports.Set("DeleteGroups", Napi::Function::New(env, DeleteGroups, "DeleteGroups"));
  exports.Set("AlterConsumerGroupOffsets", Napi::Function::New(env, AlterConsumerGroupOffsets, "AlterConsumerGroupOffsets"));
  exports.Set("ListOffsets", Napi::Function::New(env, ListOffsets, "ListOffsets"));
  exports.Set("DescribeCluster", Napi::Function::New(env, DescribeCluster, "DescribeCluster"));
  exports.Set("DescribeTopics", Napi::Function::New(env, DescribeTopics, "DescribeTopics"));
  exports.Set("ListConsumerGroupsByType", Napi::Function::New(env, ListConsumerGroupsByType, "ListConsumerGroupsByType"));
  exports.Set("ElectLeaders", Napi::Function::New(env, ElectLeaders, "ElectLeaders"));
}

}  // namespace rdk
