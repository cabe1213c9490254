// The embedded broker: librdkafka's mock cluster, with fault injection.
#include "handle.h"

#include <librdkafka/rdkafka_mock.h>

#include <thread>
#include <vector>

namespace rdk {

namespace {

// A mock cluster lives inside an rd_kafka_t of its own, which must outlive it. That client logs
// only errors; they are kept (bounded) and handed to the default logger when the cluster is
// destroyed, so the mock holds no libuv handle that a worker's exit would have to close.
struct MockCluster {
  explicit MockCluster(napi_env env) : log(env) {}
  rd_kafka_t* rk = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  LogSink log;
};

void OnMockLog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  static_cast<MockCluster*>(rd_kafka_opaque(rk))->log.Push(level, facility, message, rd_kafka_name(rk));
}

void DestroyMock(MockCluster* mock) {
  if (mock->cluster != nullptr) rd_kafka_mock_cluster_destroy(mock->cluster);
  if (mock->rk != nullptr) rd_kafka_destroy(mock->rk);
  mock->cluster = nullptr;
  mock->rk = nullptr;
}

void FinalizeMock(Napi::Env, MockCluster* mock) {
  mock->log.Release();
  if (mock->cluster == nullptr) {
    delete mock;
    return;
  }
  // Stopping the cluster joins its threads: do it off the JS thread.
  std::thread([mock]() {
    DestroyMock(mock);
    delete mock;
  }).detach();
}

rd_kafka_mock_cluster_t* UnwrapMock(const Napi::CallbackInfo& info) {
  auto* mock = UnwrapTagged<MockCluster>(info, 0, &kMockClusterTag, "a mock cluster from MockClusterNew()", "cluster");
  if (mock->cluster == nullptr) throw Napi::Error::New(info.Env(), "The mock cluster was destroyed (MockClusterDestroy)");
  return mock->cluster;
}

// MockClusterNew(brokers) -> cluster handle.
Napi::Value MockClusterNew(const Napi::CallbackInfo& info) {
  int brokers = static_cast<int>(ExpectInteger(info, 0, "brokers", 1, 64));
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);  // the mock's own client is idle
  auto mock = std::make_unique<MockCluster>(info.Env());
  rd_kafka_conf_set_opaque(conf, mock.get());
  rd_kafka_conf_set_log_cb(conf, OnMockLog);
  mock->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (mock->rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    mock->log.Release();
    throw Napi::Error::New(info.Env(), std::string("Could not create the mock cluster's client: ") + errstr);
  }
  mock->cluster = rd_kafka_mock_cluster_new(mock->rk, brokers);
  if (mock->cluster == nullptr) {
    DestroyMock(mock.get());
    mock->log.Release();
    throw Napi::Error::New(info.Env(), "Could not start the mock cluster");
  }
  return MakeTaggedExternal(info.Env(), mock.release(), &kMockClusterTag, FinalizeMock);
}

// MockClusterBootstraps(cluster) -> "127.0.0.1:port,..."
Napi::Value MockClusterBootstraps(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), rd_kafka_mock_cluster_bootstraps(UnwrapMock(info)));
}

// MockTopicCreate(cluster, topic, partitions, replicationFactor = 1) -> code
Napi::Value MockTopicCreate(const Napi::CallbackInfo& info) {
  rd_kafka_mock_cluster_t* cluster = UnwrapMock(info);
  std::string topic = ExpectString(info, 1, "topic");
  int partitions = static_cast<int>(ExpectInteger(info, 2, "partitions", 1, 100000));
  int replication = static_cast<int>(ExpectIntegerOr(info, 3, "replicationFactor", 1, 64, 1));
  return Napi::Number::New(info.Env(), rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, replication));
}

// MockBrokerSetDown(cluster, brokerId) / MockBrokerSetUp(cluster, brokerId) -> code
Napi::Value MockBrokerSetDown(const Napi::CallbackInfo& info) {
  rd_kafka_mock_cluster_t* cluster = UnwrapMock(info);
  int32_t broker = static_cast<int32_t>(ExpectInteger(info, 1, "brokerId", 1, INT32_MAX));
  return Napi::Number::New(info.Env(), rd_kafka_mock_broker_set_down(cluster, broker));
}

Napi::Value MockBrokerSetUp(const Napi::CallbackInfo& info) {
  rd_kafka_mock_cluster_t* cluster = UnwrapMock(info);
  int32_t broker = static_cast<int32_t>(ExpectInteger(info, 1, "brokerId", 1, INT32_MAX));
  return Napi::Number::New(info.Env(), rd_kafka_mock_broker_set_up(cluster, broker));
}

// MockBrokerSetRtt(cluster, brokerId, rttMs) -> code
Napi::Value MockBrokerSetRtt(const Napi::CallbackInfo& info) {
  rd_kafka_mock_cluster_t* cluster = UnwrapMock(info);
  int32_t broker = static_cast<int32_t>(ExpectInteger(info, 1, "brokerId", 1, INT32_MAX));
  int rtt = static_cast<int>(ExpectInteger(info, 2, "rttMs", 0, 3600000));
  return Napi::Number::New(info.Env(), rd_kafka_mock_broker_set_rtt(cluster, broker, rtt));
}

// MockPartitionSetLeader(cluster, topic, partition, brokerId) -> code
Napi::Value MockPartitionSetLeader(const Napi::CallbackInfo& info) {
  rd_kafka_mock_cluster_t* cluster = UnwrapMock(info);
  std::string topic = ExpectString(info, 1, "topic");
  int32_t partition = static_cast<int32_t>(ExpectInteger(info, 2, "partition", 0, INT32_MAX));
  int32_t broker = static_cast<int32_t>(ExpectInteger(info, 3, "brokerId", -1, INT32_MAX));
  return Napi::Number::New(info.Env(), rd_kafka_mock_partition_set_leader(cluster, topic.c_str(), partition, broker));
}

// MockPushRequestErrors(cluster, apiKey, [code, ...]): the next requests of that type (e.g.
// Produce = 0) fail with these codes, in order.
Napi::Value MockPushRequestErrors(const Napi::CallbackInfo& info) {
  rd_kafka_mock_cluster_t* cluster = UnwrapMock(info);
  int16_t api_key = static_cast<int16_t>(ExpectInteger(info, 1, "apiKey", 0, 32767));
  Napi::Value value = Arg(info, 2);
  if (!value.IsArray()) ThrowExpected(info.Env(), "an array of error codes", "errors", value);
  Napi::Array codes = value.As<Napi::Array>();
  std::vector<rd_kafka_resp_err_t> errors;
  for (uint32_t i = 0; i < codes.Length(); i++) {
    Napi::Value code = codes.Get(i);
    if (!code.IsNumber()) ThrowExpected(info.Env(), "an error code (number)", ("errors[" + std::to_string(i) + "]").c_str(), code);
    errors.push_back(static_cast<rd_kafka_resp_err_t>(code.As<Napi::Number>().Int32Value()));
  }
  rd_kafka_mock_push_request_errors_array(cluster, api_key, errors.size(), errors.data());
  return info.Env().Undefined();
}

// MockClearRequestErrors(cluster, apiKey)
Napi::Value MockClearRequestErrors(const Napi::CallbackInfo& info) {
  rd_kafka_mock_cluster_t* cluster = UnwrapMock(info);
  int16_t api_key = static_cast<int16_t>(ExpectInteger(info, 1, "apiKey", 0, 32767));
  rd_kafka_mock_clear_request_errors(cluster, api_key);
  return info.Env().Undefined();
}

// MockClusterDestroy(cluster) -> 0. Stops the brokers now; safe to call twice.
Napi::Value MockClusterDestroy(const Napi::CallbackInfo& info) {
  auto* mock = UnwrapTagged<MockCluster>(info, 0, &kMockClusterTag, "a mock cluster from MockClusterNew()", "cluster");
  DestroyMock(mock);
  mock->log.Deliver();
  return Napi::Number::New(info.Env(), 0);
}

}  // namespace

void InitMock(Napi::Env env, Napi::Object exports) {
  exports.Set("MockClusterNew", Napi::Function::New(env, MockClusterNew, "MockClusterNew"));
  exports.Set("MockClusterBootstraps", Napi::Function::New(env, MockClusterBootstraps, "MockClusterBootstraps"));
  exports.Set("MockTopicCreate", Napi::Function::New(env, MockTopicCreate, "MockTopicCreate"));
  exports.Set("MockBrokerSetDown", Napi::Function::New(env, MockBrokerSetDown, "MockBrokerSetDown"));
  exports.Set("MockBrokerSetUp", Napi::Function::New(env, MockBrokerSetUp, "MockBrokerSetUp"));
  exports.Set("MockBrokerSetRtt", Napi::Function::New(env, MockBrokerSetRtt, "MockBrokerSetRtt"));
  exports.Set("MockPartitionSetLeader", Napi::Function::New(env, MockPartitionSetLeader, "MockPartitionSetLeader"));
  exports.Set("MockPushRequestErrors", Napi::Function::New(env, MockPushRequestErrors, "MockPushRequestErrors"));
  exports.Set("MockClearRequestErrors", Napi::Function::New(env, MockClearRequestErrors, "MockClearRequestErrors"));
  exports.Set("MockClusterDestroy", Napi::Function::New(env, MockClusterDestroy, "MockClusterDestroy"));
}

}  // namespace rdk
