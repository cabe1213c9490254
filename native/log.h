// librdkafka's log lines, handed to JavaScript. librdkafka calls its log callback from its own
// threads; a LogSink queues the line (bounded, a short lock, never a wait) and wakes the JS thread,
// which hands the queued lines to the client's logger. Nothing is written to stderr.
#pragma once

#include <napi.h>
#include <librdkafka/rdkafka.h>
#include <uv.h>

#include <deque>
#include <mutex>
#include <string>

namespace rdk {

class LogSink {
 public:
  // Lines kept while JavaScript has not taken them; past this, new lines are counted and dropped.
  static constexpr size_t kMaxQueued = 10000;

  explicit LogSink(napi_env env);  // JS thread

  // JS thread. The function called with batches of [level, facility, message, client] lines;
  // null or undefined: the environment's default logger (SetDefaultLogger).
  void SetCallback(napi_value callback);

  // JS thread. Starts waking the JS thread for queued lines (before the client is created, so
  // lines logged by rd_kafka_new arrive too). Safe to call twice.
  void Open();

  // Any thread: queues one line and wakes the JS thread. After Close, lines wait for Deliver.
  void Push(int level, const char* facility, const char* message, const char* client);

  // JS thread: hands every queued line to the callback.
  void Deliver();

  // JS thread: no more wake-ups. Lines logged later (while the client shuts down) are delivered
  // by the next Deliver, which Uninit calls once the client is destroyed.
  void Close();

  // JS thread: frees the JavaScript references; nothing is delivered after this. Not done by a
  // destructor, because the last owner of a sink may be a librdkafka or shutdown thread.
  void Release();

 private:
  struct Line {
    int level;
    std::string facility;
    std::string message;
    std::string client;
  };
  static void OnWake(uv_async_t* async);

  napi_env env_;
  napi_ref callback_ = nullptr;
  bool released_ = false;
  std::mutex mutex_;
  std::deque<Line> lines_;
  size_t dropped_ = 0;
  uv_async_t* async_ = nullptr;  // guarded by mutex_ for Push; freed by its close callback
  napi_async_context async_context_ = nullptr;
};

// The environment's default logger (JS thread), used by sinks without a callback of their own;
// kept with the environment's open handles (handle.cc).
Napi::FunctionReference* DefaultLoggerOf(napi_env env);

}  // namespace rdk
