#include "common.h"

#include <cmath>
#include <thread>

namespace rdk {

// Random 128-bit tags, one per kind of external.
const napi_type_tag kKafkaHandleTag = {0x8c1d6a50e1f24a07ULL, 0x9b3fa5c27e0d4d61ULL};
const napi_type_tag kTopicPartitionListTag = {0x2f7e91c4b8a3452dULL, 0xa6c0d94e13f87b22ULL};
const napi_type_tag kMockClusterTag = {0x54b2e8f01c6d4e93ULL, 0x8d17c3a9f2b05e48ULL};
const napi_type_tag kHttpFrontTag = {0xd3a4c1f07b2e4e58ULL, 0x91e6b02a5c7f4d13ULL};

std::string DescribeValue(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return std::string(value.As<Napi::Boolean>() ? "true" : "false") + " of type boolean";
    case napi_number: {
      double d = value.As<Napi::Number>().DoubleValue();
      std::string text = std::isfinite(d) ? Napi::Value(value).ToString().Utf8Value() : (std::isnan(d) ? "NaN" : (d > 0 ? "Infinity" : "-Infinity"));
      return text + " of type number";
    }
    case napi_bigint: return "a bigint";
    case napi_string: {
      std::string s = value.As<Napi::String>().Utf8Value();
      if (s.size() > 40) s = s.substr(0, 40) + "...";
      return "'" + s + "' of type string";
    }
    case napi_symbol: return "a symbol";
    case napi_function: return "a function";
    case napi_external: return "an external of another kind";
    default: return value.IsArray() ? "an array" : "an object";
  }
}

void ThrowExpected(Napi::Env env, const char* what, const char* parameter, const Napi::Value& value) {
  throw Napi::TypeError::New(env, std::string("Expected ") + what + " for " + parameter +
                                      " but received " + DescribeValue(value));
}

std::string ExpectString(const Napi::CallbackInfo& info, size_t i, const char* parameter) {
  Napi::Value value = Arg(info, i);
  if (!value.IsString()) ThrowExpected(info.Env(), "a string", parameter, value);
  std::string s = value.As<Napi::String>().Utf8Value();
  // librdkafka takes C strings: an embedded NUL would silently cut the name short.
  if (s.find('\0') != std::string::npos) ThrowExpected(info.Env(), "a string without NUL characters", parameter, value);
  return s;
}

bool ExpectBool(const Napi::CallbackInfo& info, size_t i, const char* parameter, bool fallback) {
  Napi::Value value = Arg(info, i);
  if (value.IsUndefined()) return fallback;
  if (!value.IsBoolean()) ThrowExpected(info.Env(), "a boolean", parameter, value);
  return value.As<Napi::Boolean>();
}

int64_t ExpectInteger(const Napi::CallbackInfo& info, size_t i, const char* parameter, int64_t min, int64_t max) {
  Napi::Value value = Arg(info, i);
  if (value.IsNumber()) {
    double d = value.As<Napi::Number>().DoubleValue();
    if (std::isfinite(d) && std::floor(d) == d && d >= static_cast<double>(min) && d <= static_cast<double>(max)) {
      return static_cast<int64_t>(d);
    }
  }
  std::string what = "an integer between " + std::to_string(min) + " and " + std::to_string(max);
  ThrowExpected(info.Env(), what.c_str(), parameter, value);
}

int64_t ExpectIntegerOr(const Napi::CallbackInfo& info, size_t i, const char* parameter, int64_t min, int64_t max, int64_t fallback) {
  Napi::Value value = Arg(info, i);
  if (value.IsUndefined()) return fallback;
  return ExpectInteger(info, i, parameter, min, max);
}

int64_t ExpectOffset(const Napi::CallbackInfo& info, size_t i, const char* parameter) {
  Napi::Value value = Arg(info, i);
  if (value.IsBigInt()) {
    bool lossless = false;
    int64_t v = value.As<Napi::BigInt>().Int64Value(&lossless);
    if (lossless) return v;
  }
  if (value.IsNumber()) return ExpectInteger(info, i, parameter, -9007199254740991LL, 9007199254740991LL);
  ThrowExpected(info.Env(), "an integer offset (number or bigint)", parameter, value);
}

Bytes ExpectBytes(const Napi::Value& value, const char* parameter) {
  Bytes bytes;
  if (value.IsNull() || value.IsUndefined()) return bytes;
  bytes.isNull = false;
  if (value.IsString()) {
    bytes.isString = true;
    bytes.storage = value.As<Napi::String>().Utf8Value();
    bytes.size = bytes.storage.size();
    return bytes;
  }
  if (value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
    auto array = value.As<Napi::Uint8Array>();
    // A zero-length view may have a null data pointer; librdkafka reads a null pointer as a Kafka
    // null, so point at a static empty string to keep "empty" distinct from "null".
    bytes.view = array.ByteLength() ? reinterpret_cast<const char*>(array.Data()) : "";
    bytes.size = array.ByteLength();
    return bytes;
  }
  ThrowExpected(value.Env(), "a Buffer, Uint8Array, string or null", parameter, value);
}

Napi::Array CodeAndMessage(Napi::Env env, int code, const std::string& message) {
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, code));
  result.Set(1u, Napi::String::New(env, message));
  return result;
}

namespace {

// One blocking task: the thread runs `work`, then hands the completion to the JS thread through a
// one-shot thread-safe function, which settles the promise.
struct BlockingTask {
  Napi::Promise::Deferred deferred;
  std::function<Completion()> work;
  Completion completion;
  std::string error;  // set when `work` threw
};

void SettleOnJsThread(napi_env raw_env, napi_value, void*, void* data) {
  std::unique_ptr<BlockingTask> task(static_cast<BlockingTask*>(data));
  if (raw_env == nullptr) return;  // the environment is shutting down
  Napi::Env env(raw_env);
  Napi::HandleScope scope(env);
  try {
    try {
      if (!task->error.empty()) {
        task->deferred.Reject(Napi::Error::New(env, task->error).Value());
      } else {
        task->deferred.Resolve(task->completion(env));
      }
    } catch (const Napi::Error& e) {
      task->deferred.Reject(e.Value());
    }
  } catch (const Napi::Error&) {
    // The promise cannot be settled: the environment is being torn down (a worker terminated).
    // Nobody is left to tell, and an exception leaving this callback would end the process.
  }
}

}  // namespace

Napi::Promise RunBlocking(Napi::Env env, std::function<Completion()> work) {
  auto* task = new BlockingTask{Napi::Promise::Deferred::New(env), std::move(work), nullptr, ""};
  Napi::Promise promise = task->deferred.Promise();
  napi_threadsafe_function tsfn = nullptr;
  napi_value name = Napi::String::New(env, "rdkafka-napi:blocking");
  napi_status status = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr,
                                                       nullptr, nullptr, SettleOnJsThread, &tsfn);
  if (status != napi_ok) {
    delete task;
    throw Napi::Error::New(env, "could not create a thread-safe function");
  }
  std::thread([task, tsfn]() {
    try {
      task->completion = task->work();
    } catch (const std::exception& e) {
      task->error = e.what();
    }
    // Free what the work held (a handle's task token) here: a synchronous Uninit on the JS thread
    // waits for the token, so releasing it only when the JS thread settles would deadlock.
    task->work = nullptr;
    napi_call_threadsafe_function(tsfn, task, napi_tsfn_blocking);
    napi_release_threadsafe_function(tsfn, napi_tsfn_release);
  }).detach();
  return promise;
}

}  // namespace rdk
