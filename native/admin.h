// Admin and metadata requests: shared plumbing for the functions in admin.cc.
#pragma once

#include "handle.h"

namespace rdk {

// Turns a successful admin result event into a JS value, on the JS thread.
using AdminReader = std::function<Napi::Value(Napi::Env, rd_kafka_event_t*)>;

// Issues an admin request on a thread of its own (`request` gets the client and a temporary
// result queue), waits for the result event and resolves with `read`'s value, or [code, message]
// when the request as a whole failed or timed out.
Napi::Promise RunAdmin(Napi::Env env, const std::shared_ptr<KafkaHandle>& handle, int timeout_ms,
                       std::function<void(rd_kafka_t*, rd_kafka_queue_t*)> request, AdminReader read);

// The handle of argument 0, started (as a producer) if it was not yet.
std::shared_ptr<KafkaHandle> AdminHandle(const Napi::CallbackInfo& info);

// Options with both the request and the operation timeout set.
rd_kafka_AdminOptions_t* AdminOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms);

// [[name, code, message], ...] from topic results.
Napi::Array TopicResults(Napi::Env env, const rd_kafka_topic_result_t** results, size_t count);

}  // namespace rdk
