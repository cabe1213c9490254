// LogSink: librdkafka's log lines, from its threads to the client's logger on the JS thread.
#include "log.h"

namespace rdk {

void LogSink::SetCallback(napi_value callback) {
  if (callback_ != nullptr) napi_delete_reference(env_, callback_);
  callback_ = nullptr;
  napi_valuetype type;
  if (callback != nullptr && napi_typeof(env_, callback, &type) == napi_ok && type == napi_function) {
    napi_create_reference(env_, callback, 1, &callback_);
  }
}

LogSink::LogSink(napi_env env) : env_(env) {
  napi_value name, resource;
  napi_create_string_utf8(env_, "rdkafka-napi:log", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env_, &resource);
  napi_async_init(env_, resource, name, &async_context_);
}

void LogSink::Open() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (async_ != nullptr || released_) return;
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env_, &loop);
  async_ = new uv_async_t;
  uv_async_init(loop, async_, OnWake);
  async_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(async_));  // log lines never keep the process alive
  if (!lines_.empty()) uv_async_send(async_);
}

void LogSink::Push(int level, const char* facility, const char* message, const char* client) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (released_) return;
  if (lines_.size() >= kMaxQueued) {
    dropped_++;
    return;
  }
  lines_.push_back({level, facility ? facility : "", message ? message : "", client ? client : ""});
  if (async_ != nullptr) uv_async_send(async_);
}

void LogSink::OnWake(uv_async_t* async) { static_cast<LogSink*>(async->data)->Deliver(); }

void LogSink::Deliver() {
  if (released_) return;
  std::deque<Line> lines;
  size_t dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    lines.swap(lines_);
    dropped = dropped_;
    dropped_ = 0;
  }
  if (lines.empty() && dropped == 0) return;
  napi_env env = env_;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value callback = nullptr;
  if (callback_ != nullptr) {
    napi_get_reference_value(env, callback_, &callback);
  } else if (Napi::FunctionReference* fallback = DefaultLoggerOf(env); fallback != nullptr && !fallback->IsEmpty()) {
    callback = fallback->Value();
  }
  if (callback == nullptr) {  // nobody listens: the lines are dropped
    napi_close_handle_scope(env, scope);
    return;
  }
  napi_value batch;
  napi_create_array_with_length(env, lines.size() + (dropped > 0 ? 1 : 0), &batch);
  auto add = [env, batch](uint32_t i, int level, const std::string& facility, const std::string& message, const std::string& client) {
    napi_value line, value;
    napi_create_array_with_length(env, 4, &line);
    napi_create_int32(env, level, &value);
    napi_set_element(env, line, 0, value);
    napi_create_string_utf8(env, facility.data(), facility.size(), &value);
    napi_set_element(env, line, 1, value);
    napi_create_string_utf8(env, message.data(), message.size(), &value);
    napi_set_element(env, line, 2, value);
    napi_create_string_utf8(env, client.data(), client.size(), &value);
    napi_set_element(env, line, 3, value);
    napi_set_element(env, batch, i, line);
  };
  uint32_t i = 0;
  for (const Line& line : lines) add(i++, line.level, line.facility, line.message, line.client);
  if (dropped > 0) {
    add(i, 4, "LOGDROP", std::to_string(dropped) + " log lines were dropped: more than " + std::to_string(kMaxQueued) + " waited for JavaScript",
        lines.empty() ? "" : lines.back().client);
  }
  napi_value global, result;
  napi_get_global(env, &global);
  // The C calls, not node-addon-api's: an exception must not leave a libuv callback.
  if (napi_make_callback(env, async_context_, global, callback, 1, &batch, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

void LogSink::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (async_ == nullptr) return;
  uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
  async_ = nullptr;
}

void LogSink::Release() {
  Close();
  std::lock_guard<std::mutex> lock(mutex_);
  released_ = true;
  lines_.clear();
  if (callback_ != nullptr) napi_delete_reference(env_, callback_);
  callback_ = nullptr;
  if (async_context_ != nullptr) napi_async_destroy(env_, async_context_);
  async_context_ = nullptr;
}

}  // namespace rdk
