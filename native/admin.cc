// Admin requests: CreateTopics, DeleteTopics. Each runs on a thread of its own against a
// temporary result queue, and resolves a promise with the per-item outcome.
#include "admin.h"

#include <vector>

namespace rdk {

Napi::Promise RunAdmin(Napi::Env env, const std::shared_ptr<KafkaHandle>& handle, int timeout_ms,
                       std::function<void(rd_kafka_t*, rd_kafka_queue_t*)> request, AdminReader read) {
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  return RunBlocking(env, [token, timeout_ms, request = std::move(request), read = std::move(read)]() -> Completion {
    rd_kafka_queue_t* queue = rd_kafka_queue_new(token->rk());
    request(token->rk(), queue);
    // The request carries its own timeout; the margin only guards against a lost result.
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, timeout_ms + 5000);
    rd_kafka_queue_destroy(queue);
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

struct NewTopicSpec {
  std::string name;
  int partitions;
  int replication;
  std::vector<std::pair<std::string, std::string>> configs;
};

// CreateTopics(h, [[name, partitions, replicationFactor, [[key, value], ...]?], ...], timeoutMs)
// -> Promise<[[name, code, message], ...]> (or [code, message] when the whole request failed).
// replicationFactor -1 takes the broker's default.
Napi::Value CreateTopics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  Napi::Value arg = Arg(info, 1);
  if (!arg.IsArray()) ThrowExpected(env, "an array of [name, partitions, replicationFactor, configs?]", "topics", arg);
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 2, "timeoutMs", 1, INT32_MAX - 10000, 30000));
  std::vector<NewTopicSpec> specs;
  Napi::Array topics = arg.As<Napi::Array>();
  for (uint32_t i = 0; i < topics.Length(); i++) {
    std::string where = "topics[" + std::to_string(i) + "]";
    Napi::Value item = topics.Get(i);
    Napi::Array t = item.IsArray() ? item.As<Napi::Array>() : Napi::Array();
    if (!item.IsArray() || t.Length() < 3 || !t.Get(0u).IsString() || !t.Get(1u).IsNumber() || !t.Get(2u).IsNumber()) {
      ThrowExpected(env, "[name, partitions, replicationFactor, configs?]", where.c_str(), item);
    }
    NewTopicSpec spec{t.Get(0u).As<Napi::String>().Utf8Value(), t.Get(1u).As<Napi::Number>().Int32Value(), t.Get(2u).As<Napi::Number>().Int32Value(), {}};
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
    specs.push_back(std::move(spec));
  }
  return RunAdmin(env, handle, timeout_ms, [specs, timeout_ms](rd_kafka_t* rk, rd_kafka_queue_t* queue) {
    std::vector<rd_kafka_NewTopic_t*> news;
    char errstr[512];
    for (const auto& spec : specs) {
      rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions, spec.replication, errstr, sizeof errstr);
      if (t == nullptr) t = rd_kafka_NewTopic_new(spec.name.c_str(), 1, -1, errstr, sizeof errstr);  // reported by the broker
      for (const auto& [key, value] : spec.configs) rd_kafka_NewTopic_set_config(t, key.c_str(), value.c_str());
      news.push_back(t);
    }
    rd_kafka_AdminOptions_t* options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
    rd_kafka_CreateTopics(rk, news.data(), news.size(), options, queue);
    rd_kafka_AdminOptions_destroy(options);
    rd_kafka_NewTopic_destroy_array(news.data(), news.size());
  }, [](Napi::Env env, rd_kafka_event_t* event) -> Napi::Value {
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    return TopicResults(env, results, count);
  });
}

// DeleteTopics(h, [name, ...], timeoutMs) -> Promise<[[name, code, message], ...]>
Napi::Value DeleteTopics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = AdminHandle(info);
  Napi::Value arg = Arg(info, 1);
  if (!arg.IsArray()) ThrowExpected(env, "an array of topic names", "topics", arg);
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 2, "timeoutMs", 1, INT32_MAX - 10000, 30000));
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
  });
}

}  // namespace

void InitAdmin(Napi::Env env, Napi::Object exports) {
  exports.Set("CreateTopics", Napi::Function::New(env, CreateTopics, "CreateTopics"));
  exports.Set("DeleteTopics", Napi::Function::New(env, DeleteTopics, "DeleteTopics"));
}

}  // namespace rdk
