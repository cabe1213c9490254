// Admin and metadata requests: shared plumbing for the functions in admin.cc.
#pragma once

#include "handle.h"

#include <string>
#include <vector>

namespace rdk {

// Turns a successful admin result event into a JS value, on the JS thread.
using AdminReader = std::function<Napi::Value(Napi::Env, rd_kafka_event_t*)>;

// Runs on the admin thread before the request is sent: a non-zero code refuses the request (the
// promise resolves with [code, message]) without sending anything.
using AdminGuard = std::function<int(rd_kafka_t*, std::string* message)>;

// Issues an admin request on a thread of its own (`request` gets the client and a temporary
// result queue), waits for the result event and resolves with `read`'s value, or [code, message]
// when the request as a whole failed, timed out, or `guard` refused it.
Napi::Promise RunAdmin(Napi::Env env, const std::shared_ptr<KafkaHandle>& handle, int timeout_ms,
                       std::function<void(rd_kafka_t*, rd_kafka_queue_t*)> request, AdminReader read,
                       AdminGuard guard = nullptr);

// The handle of argument 0, started (as a producer) if it was not yet.
std::shared_ptr<KafkaHandle> AdminHandle(const Napi::CallbackInfo& info);

// Options with both the request and the operation timeout set.
rd_kafka_AdminOptions_t* AdminOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms);

// A guard refusing `request` on the embedded broker (librdkafka's mock cluster), which cannot take it.
AdminGuard RefuseEmbeddedBroker(const char* request, int timeout_ms);

// [[name, code, message], ...] from topic results.
Napi::Array TopicResults(Napi::Env env, const rd_kafka_topic_result_t** results, size_t count);

// Array arguments: every element checked, failures name it ("topics[2]").
std::vector<std::string> ExpectStringArray(const Napi::CallbackInfo& info, size_t i, const char* parameter);

}  // namespace rdk
