// OAUTHBEARER tokens from JavaScript: librdkafka asks for a token (and again before it expires)
// on its background thread; the request wakes the JS thread, which calls the callback given to
// SetOAuthBearerRefresh; that answers with OAuthBearerSetToken or OAuthBearerSetTokenFailure.
#include "handle.h"

namespace rdk {

struct OAuthState {
  napi_env env;
  Napi::FunctionReference callback;  // JS thread only
  napi_async_context async_context = nullptr;
  uv_async_t* async = nullptr;  // created at start, closed by CloseOAuth (JS thread)

  std::mutex mutex;  // guards the fields below: librdkafka's background thread writes them
  bool closed = false;
  bool pending = false;
  std::string config;  // sasl.oauthbearer.config of the latest request
};

namespace {

// librdkafka's background thread: record the request and wake the JS thread. Requests that come
// while one waits are one request (JavaScript answers the latest).
void OnTokenRefresh(rd_kafka_t*, const char* oauthbearer_config, void* opaque) {
  std::shared_ptr<OAuthState> state = static_cast<KafkaHandle*>(opaque)->oauth_state;
  if (!state) return;
  std::lock_guard<std::mutex> lock(state->mutex);
  if (state->closed || state->async == nullptr) return;
  state->pending = true;
  state->config = oauthbearer_config ? oauthbearer_config : "";
  uv_async_send(state->async);
}

void OnWake(uv_async_t* async) {
  auto* state = static_cast<OAuthState*>(async->data);
  std::string config;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    if (state->closed || !state->pending) return;
    state->pending = false;
    config = state->config;
  }
  napi_env env = state->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value global, result, arg;
  napi_get_global(env, &global);
  napi_create_string_utf8(env, config.data(), config.size(), &arg);
  // The C calls, not node-addon-api's: an exception must not leave a libuv callback.
  if (napi_make_callback(env, state->async_context, global, state->callback.Value(), 1, &arg, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);
  }
  napi_close_handle_scope(env, scope);
}

// SetOAuthBearerRefresh(h, callback): before the client starts. callback(oauthbearerConfig) runs
// on the JS thread whenever librdkafka needs a token; it must answer with OAuthBearerSetToken or
// OAuthBearerSetTokenFailure (later is fine). Its requests never keep the event loop alive.
Napi::Value SetOAuthBearerRefresh(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0);
  Napi::Value callback = Arg(info, 1);
  if (!callback.IsFunction()) ThrowExpected(env, "a function", "callback", callback);
  if (handle->kind() != KafkaHandle::Kind::Unstarted) {
    Napi::Error error = Napi::Error::New(env, "The OAUTHBEARER token callback must be set before the client starts");
    error.Set("code", Napi::String::New(env, "ERR__STATE"));
    throw error;
  }
  if (!handle->oauth_state) {
    handle->oauth_state = std::make_shared<OAuthState>();
    handle->oauth_state->env = env;
    napi_value name, resource;
    napi_create_string_utf8(env, "rdkafka-napi:oauthbearer", NAPI_AUTO_LENGTH, &name);
    napi_create_object(env, &resource);
    napi_async_init(env, resource, name, &handle->oauth_state->async_context);
  }
  handle->oauth_state->callback = Napi::Persistent(callback.As<Napi::Function>());
  return env.Undefined();
}

// OAuthBearerSetToken(h, value, lifetimeMs, principal, extensions = []) -> [code, message]: the
// token librdkafka asked for. lifetimeMs is when it expires (ms since the epoch); extensions are
// [key, value, key, value, ...]. ERR__STATE on a closed or unstarted handle; ERR__INVALID_ARG
// (with librdkafka's reason) for a token it refuses.
Napi::Value OAuthBearerSetToken(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0, false);
  std::string value = ExpectString(info, 1, "value");
  int64_t lifetime_ms = ExpectInteger(info, 2, "lifetimeMs", 0, INT64_C(9007199254740991));
  std::string principal = ExpectString(info, 3, "principal");
  std::vector<std::string> extensions;
  Napi::Value ext = Arg(info, 4);
  if (!ext.IsUndefined()) {
    if (!ext.IsArray() || ext.As<Napi::Array>().Length() % 2 != 0) ThrowExpected(env, "an array of [key, value, ...] strings", "extensions", ext);
    Napi::Array a = ext.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      if (!a.Get(i).IsString()) ThrowExpected(env, "a string", ("extensions[" + std::to_string(i) + "]").c_str(), a.Get(i));
      extensions.push_back(a.Get(i).As<Napi::String>().Utf8Value());
    }
  }
  if (handle->state() != KafkaHandle::State::Running) return CodeAndMessage(env, RD_KAFKA_RESP_ERR__STATE, "The client is not running");
  std::vector<const char*> pointers;
  for (const auto& s : extensions) pointers.push_back(s.c_str());
  char errstr[512] = "";
  rd_kafka_resp_err_t code = rd_kafka_oauthbearer_set_token(handle->rk(), value.c_str(), lifetime_ms, principal.c_str(),
                                                            pointers.data(), pointers.size(), errstr, sizeof errstr);
  return CodeAndMessage(env, code, errstr);
}

// OAuthBearerSetTokenFailure(h, reason) -> code: no token this time; librdkafka reports the
// reason as a client error and asks again later (in about 10 s).
Napi::Value OAuthBearerSetTokenFailure(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto handle = UnwrapHandle(info, 0, false);
  std::string reason = ExpectString(info, 1, "reason");
  if (handle->state() != KafkaHandle::State::Running) return Napi::Number::New(env, RD_KAFKA_RESP_ERR__STATE);
  if (reason.empty()) reason = "the token provider failed";
  return Napi::Number::New(env, rd_kafka_oauthbearer_set_token_failure(handle->rk(), reason.c_str()));
}

}  // namespace

void PrepareOAuthConf(KafkaHandle* handle, rd_kafka_conf_t* conf) {
  OAuthState* state = handle->oauth_state.get();
  if (state == nullptr) return;
  if (state->async == nullptr) {
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(state->env, &loop);
    state->async = new uv_async_t;
    uv_async_init(loop, state->async, OnWake);
    state->async->data = state;
    uv_unref(reinterpret_cast<uv_handle_t*>(state->async));
  }
  rd_kafka_conf_set_oauthbearer_token_refresh_cb(conf, OnTokenRefresh);
  // Requests come on librdkafka's background thread, whoever polls which queue.
  rd_kafka_conf_enable_sasl_queue(conf, 1);
}

void StartOAuth(KafkaHandle* handle) {
  if (!handle->oauth_state || handle->rk() == nullptr) return;
  if (rd_kafka_error_t* error = rd_kafka_sasl_background_callbacks_enable(handle->rk())) rd_kafka_error_destroy(error);
}

void CloseOAuth(KafkaHandle* handle) {
  std::shared_ptr<OAuthState> state = handle->oauth_state;
  if (!state) return;
  {
    std::lock_guard<std::mutex> lock(state->mutex);
    state->closed = true;  // later requests from librdkafka's thread are dropped
  }
  if (state->async != nullptr) {
    // The close callback keeps the state alive until libuv is done with the handle.
    auto* keep = new std::shared_ptr<OAuthState>(state);
    state->async->data = keep;
    uv_close(reinterpret_cast<uv_handle_t*>(state->async), [](uv_handle_t* h) {
      delete static_cast<std::shared_ptr<OAuthState>*>(h->data);
      delete reinterpret_cast<uv_async_t*>(h);
    });
    state->async = nullptr;
  }
  state->callback.Reset();
  if (state->async_context != nullptr) napi_async_destroy(state->env, state->async_context);
  state->async_context = nullptr;
}

void InitOAuth(Napi::Env env, Napi::Object exports) {
  exports.Set("SetOAuthBearerRefresh", Napi::Function::New(env, SetOAuthBearerRefresh, "SetOAuthBearerRefresh"));
  exports.Set("OAuthBearerSetToken", Napi::Function::New(env, OAuthBearerSetToken, "OAuthBearerSetToken"));
  exports.Set("OAuthBearerSetTokenFailure", Napi::Function::New(env, OAuthBearerSetTokenFailure, "OAuthBearerSetTokenFailure"));
}

}  // namespace rdk
