// Shared pieces of the native layer: argument checks that word every failure the same way,
// type-tagged externals, and the helper that runs blocking librdkafka calls off the JS thread.
#pragma once

#include <napi.h>
#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace rdk {

// ---------------------------------------------------------------------------------------------
// Argument checks. Every failure reads "Expected <what> for <parameter> but received <value>".
// ---------------------------------------------------------------------------------------------

// Describes a JS value for an error message: `42 of type number`, `an object`, `null`.
std::string DescribeValue(const Napi::Value& value);

// Throws a TypeError "Expected <what> for <parameter> but received <value>".
[[noreturn]] void ThrowExpected(Napi::Env env, const char* what, const char* parameter,
                                const Napi::Value& value);

// The i-th argument, or undefined when the caller passed fewer.
inline Napi::Value Arg(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

std::string ExpectString(const Napi::CallbackInfo& info, size_t i, const char* parameter);
bool ExpectBool(const Napi::CallbackInfo& info, size_t i, const char* parameter, bool fallback);
// An integer Number within [min, max]; `fallback` when undefined (if allowed).
int64_t ExpectInteger(const Napi::CallbackInfo& info, size_t i, const char* parameter,
                      int64_t min, int64_t max);
int64_t ExpectIntegerOr(const Napi::CallbackInfo& info, size_t i, const char* parameter,
                        int64_t min, int64_t max, int64_t fallback);
// A Kafka offset: an integer Number (safe range) or a BigInt.
int64_t ExpectOffset(const Napi::CallbackInfo& info, size_t i, const char* parameter);

// Bytes from a Buffer / Uint8Array or a string; `null`/`undefined` means "no bytes" (Kafka null).
// A Buffer is viewed in place (valid while the call's arguments are alive); a string is copied.
struct Bytes {
  bool isNull = true;
  bool isString = false;
  const char* view = nullptr;
  std::string storage;  // the UTF-8 copy of a string argument
  size_t size = 0;
  // Derived on each call so that moving a Bytes never leaves a dangling pointer.
  const char* data() const { return isNull ? nullptr : (isString ? storage.data() : view); }
};
Bytes ExpectBytes(const Napi::Value& value, const char* parameter);

// ---------------------------------------------------------------------------------------------
// Type-tagged externals: a foreign object passed as a handle is a TypeError, never a crash.
// ---------------------------------------------------------------------------------------------

extern const napi_type_tag kKafkaHandleTag;
extern const napi_type_tag kTopicPartitionListTag;
extern const napi_type_tag kMockClusterTag;
extern const napi_type_tag kHttpFrontTag;

// Wraps `owned` in an external tagged with `tag`; `finalize` runs when it is collected.
template <typename T>
Napi::Value MakeTaggedExternal(Napi::Env env, T* owned, const napi_type_tag* tag,
                               void (*finalize)(Napi::Env, T*)) {
  auto external = Napi::External<T>::New(env, owned, finalize);
  NAPI_THROW_IF_FAILED(env, napi_type_tag_object(env, external, tag), Napi::Value());
  return external;
}

// The data behind a tagged external, or a TypeError naming the parameter.
template <typename T>
T* UnwrapTagged(const Napi::CallbackInfo& info, size_t i, const napi_type_tag* tag,
                const char* what, const char* parameter) {
  Napi::Value value = Arg(info, i);
  bool matches = false;
  if (value.IsExternal()) {
    napi_check_object_type_tag(info.Env(), value, tag, &matches);
  }
  if (!matches) ThrowExpected(info.Env(), what, parameter, value);
  return value.As<Napi::External<T>>().Data();
}

// ---------------------------------------------------------------------------------------------
// Results in the C-style API's shape.
// ---------------------------------------------------------------------------------------------

// [code, message]
Napi::Array CodeAndMessage(Napi::Env env, int code, const std::string& message);

// A JS number for an int64 (offsets and timestamps fit in a double's 53-bit integer range).
inline Napi::Value Int64Value(Napi::Env env, int64_t v) {
  return Napi::Number::New(env, static_cast<double>(v));
}

// ---------------------------------------------------------------------------------------------
// Blocking work. librdkafka calls that wait on the network run on a thread of their own (never
// the JS thread, never libuv's small shared pool); `work` returns the function that turns its
// outcome into a JS value once back on the JS thread.
// ---------------------------------------------------------------------------------------------

using Completion = std::function<Napi::Value(Napi::Env)>;
Napi::Promise RunBlocking(Napi::Env env, std::function<Completion()> work);

}  // namespace rdk
