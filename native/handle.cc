// The handle's lifecycle: InitKafka, SetKafkaConf, starting the client, wake-ups, Uninit*,
// collection by the garbage collector and cleanup when the environment exits.
#include "handle.h"
#include "http_front.h"

#include <cstring>
#include <set>
#include <thread>

#include <unistd.h>

namespace rdk {

namespace {

// Handles still open in one environment (main thread or a worker), closed when it exits, and
// the logger of clients that have none of their own.
struct EnvHandles {
  std::set<KafkaHandle*> open;
  Napi::FunctionReference default_logger;
};

EnvHandles* HandlesOf(napi_env env) {
  void* data = nullptr;
  napi_get_instance_data(env, &data);
  return static_cast<EnvHandles*>(data);
}

// The environment is going away (process exit or worker termination): stop every open client
// now, without leaving the group politely, so nothing runs on after its loop is gone.
void CloseOpenHandles(void* arg) {
  auto* handles = static_cast<EnvHandles*>(arg);
  std::set<KafkaHandle*> open;
  open.swap(handles->open);
  for (KafkaHandle* handle : open) {
    auto keep = handle->shared_from_this();
    handle->Detach();
    handle->Shutdown(0, false);
    handle->FinishLog(false);
  }
}

void FinalizeHandle(Napi::Env, std::shared_ptr<KafkaHandle>* held) {
  std::shared_ptr<KafkaHandle> handle = *held;
  delete held;
  if (handle->state() == KafkaHandle::State::Closed) return;
  // Dropped without Uninit: stop it, and do the blocking part off the JS thread. Nobody is left
  // to read what it logs while it shuts down.
  handle->Detach();
  handle->FinishLog(false);
  std::thread([handle]() { handle->Shutdown(5000, true); }).detach();
}

}  // namespace

Napi::FunctionReference* DefaultLoggerOf(napi_env env) {
  EnvHandles* handles = HandlesOf(env);
  return handles == nullptr ? nullptr : &handles->default_logger;
}

KafkaHandle::KafkaHandle(Napi::Env env) : env_(env), log_(env), conf_(rd_kafka_conf_new()) {
  if (EnvHandles* handles = HandlesOf(env)) handles->open.insert(this);
}

KafkaHandle::~KafkaHandle() {
  StopMessageReaper(this);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);  // only reached if Shutdown never ran
  rd_kafka_conf_destroy(conf_);
}

namespace {

// Properties of newer librdkafka versions that an older one calls unknown: the version that adds
// each (KIP-848's consumer group protocol came as early access in 2.4.0, production-ready 2.12.0).
struct NewerProperty {
  const char* name;
  const char* since;
  const char* note;  // "" or what else the caller should know
};
constexpr NewerProperty kNewerProperties[] = {
    {"group.protocol", "2.4.0", ", and group.protocol=consumer (KIP-848) is production-ready from 2.12.0"},
    {"group.remote.assignor", "2.4.0", ", for group.protocol=consumer (production-ready from 2.12.0)"},
};

// " (<key> needs librdkafka <version> or newer...; the librdkafka loaded is <x>)" for a property of
// a newer librdkafka, else "".
std::string NewerPropertyHint(const std::string& key) {
  for (const NewerProperty& property : kNewerProperties) {
    if (key == property.name) {
      return " (" + key + " needs librdkafka " + property.since + " or newer" + property.note + "; the librdkafka loaded is " + rd_kafka_version_str() + ")";
    }
  }
  return "";
}

}  // namespace

int KafkaHandle::SetConf(const std::string& key, const std::string& value, std::string* message) {
  if (state_ != State::Configuring) {
    *message = "Configuration cannot change after the client has started (key '" + key + "')";
    return RD_KAFKA_RESP_ERR__STATE;
  }
  char errstr[512] = "";
  rd_kafka_conf_res_t res = rd_kafka_conf_set(conf_, key.c_str(), value.c_str(), errstr, sizeof errstr);
  *message = errstr;
  // librdkafka names the canonical property ("acks" is "request.required.acks"): name the caller's too.
  if (res != RD_KAFKA_CONF_OK && message->find("\"" + key + "\"") == std::string::npos) {
    *message += " (set as \"" + key + "\")";
  }
  if (res == RD_KAFKA_CONF_UNKNOWN) *message += NewerPropertyHint(key);
  return static_cast<int>(res);
}

int KafkaHandle::Start(Kind kind, std::string* message) {
  if (state_ == State::Closed) {
    *message = "the handle is closed";
    return RD_KAFKA_RESP_ERR__STATE;
  }
  if (state_ == State::Running) {
    if (kind_ == kind) return 0;
    *message = kind_ == Kind::Producer ? "this handle is a producer, not a consumer"
                                       : "this handle is a consumer, not a producer";
    return RD_KAFKA_RESP_ERR__INVALID_ARG;
  }
  // librdkafka takes the configuration it is given: keep ours so a failed start can be retried.
  rd_kafka_conf_t* conf = rd_kafka_conf_dup(conf_);
  rd_kafka_conf_set_opaque(conf, this);
  if (kind == Kind::Producer) rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  if (kind == Kind::Consumer) PrepareConsumerConf(this, conf);  // rebalance events, when asked for
  rd_kafka_conf_set_error_cb(conf, OnError);
  rd_kafka_conf_set_stats_cb(conf, OnStatistics);
  rd_kafka_conf_set_log_cb(conf, OnLog);
  PrepareOAuthConf(this, conf);
  log_.Open();  // rd_kafka_new may already log (configuration warnings)
  char errstr[512] = "";
  rd_kafka_t* rk = rd_kafka_new(kind == Kind::Producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf,
                                errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    *message = std::string("Failed to create the client: ") + errstr;
    return RD_KAFKA_RESP_ERR__INVALID_ARG;
  }
  rk_ = rk;
  kind_ = kind;
  StartOAuth(this);
  if (kind == Kind::Consumer) {
    rd_kafka_poll_set_consumer(rk_);  // one queue for messages, errors and rebalances
    wake_queue_ = rd_kafka_queue_get_consumer(rk_);
  }
  if (wake_queue_ == nullptr) wake_queue_ = rd_kafka_queue_get_main(rk_);

  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env_, &loop);
  async_ = new uv_async_t;
  uv_async_init(loop, async_, OnWake);
  async_->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(async_));
  napi_value resource_name;
  napi_create_string_utf8(env_, "rdkafka-napi:wake", NAPI_AUTO_LENGTH, &resource_name);
  napi_value resource;
  napi_create_object(env_, &resource);
  napi_async_init(env_, resource, resource_name, &async_context_);

  // librdkafka calls OnQueueEvent from its own thread when the queue becomes non-empty. Its
  // threads may have queued events already, so look once now: no later edge would tell us.
  rd_kafka_queue_cb_event_enable(wake_queue_, OnQueueEvent, this);
  state_ = State::Running;
  uv_async_send(async_);
  return 0;
}

void KafkaHandle::OnQueueEvent(rd_kafka_t*, void* opaque) {
  // Called with librdkafka's queue lock held: only signal, never call back into librdkafka.
  auto* self = static_cast<KafkaHandle*>(opaque);
  std::lock_guard<std::mutex> lock(self->front_mutex_);
  if (self->front_fd_ >= 0) {
    uint64_t one = 1;
    if (write(self->front_fd_, &one, sizeof one) < 0) {
    }
  } else if (self->async_ != nullptr) {
    uv_async_send(self->async_);
  }
}

void KafkaHandle::ServeOnFront(int fd) {
  std::lock_guard<std::mutex> lock(front_mutex_);
  front_fd_ = fd;
  // Whoever serves the queue now looks once: events queued before gave their edge to the other.
  if (fd >= 0) {
    uint64_t one = 1;
    if (write(fd, &one, sizeof one) < 0) {
    }
  } else if (async_ != nullptr) {
    uv_async_send(async_);
  }
}

// The front end's thread served a report or error of the JS side: the JS thread takes it.
void KafkaHandle::WakeJsIfFrontServes() {
  std::lock_guard<std::mutex> lock(front_mutex_);
  if (front_fd_ >= 0 && async_ != nullptr) uv_async_send(async_);
}

void KafkaHandle::OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  // The opaque is set before librdkafka logs anything, and the handle outlives its client.
  static_cast<KafkaHandle*>(rd_kafka_opaque(rk))->log_.Push(level, facility, message, rd_kafka_name(rk));
}

void KafkaHandle::OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaHandle*>(opaque);
  // A consumer's errors come out of Consume and its class logs them; a producer's (or an admin
  // client's) may never be taken, so they are logged here, as librdkafka logs them by default.
  if (self->kind_ != Kind::Consumer) self->log_.Push(3, "ERROR", reason, rd_kafka_name(rk));
  if (self->kind_ == Kind::Producer) self->WakeJsIfFrontServes();
  std::lock_guard<std::mutex> lock(self->client_errors_mutex_);
  if (IsSecurityFailure(err, reason)) {
    self->security_failure_code_ = err;
    self->security_failure_reason_ = reason ? reason : "";
    self->security_failure_at_ = std::chrono::steady_clock::now();
  }
  if (self->client_errors_.size() >= kMaxClientErrors) self->client_errors_.pop_front();
  self->client_errors_.emplace_back(err, reason ? reason : "");
}

bool KafkaHandle::IsSecurityFailure(int code, const char* reason) {
  if (code == RD_KAFKA_RESP_ERR__AUTHENTICATION || code == RD_KAFKA_RESP_ERR__SSL || code == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED) return true;
  // The broker refusing our certificate is a TLS alert, which librdkafka reports as a transport failure.
  return code == RD_KAFKA_RESP_ERR__TRANSPORT && reason != nullptr && std::strstr(reason, "SSL alert") != nullptr;
}

bool KafkaHandle::SecurityFailureSince(std::chrono::steady_clock::time_point since, int* code, std::string* reason) {
  std::lock_guard<std::mutex> lock(client_errors_mutex_);
  if (security_failure_code_ == 0 || security_failure_at_ < since) return false;
  *code = security_failure_code_;
  *reason = security_failure_reason_;
  return true;
}

bool KafkaHandle::TakeClientError(int* code, std::string* reason) {
  std::lock_guard<std::mutex> lock(client_errors_mutex_);
  if (client_errors_.empty()) return false;
  *code = client_errors_.front().first;
  *reason = std::move(client_errors_.front().second);
  client_errors_.pop_front();
  return true;
}

void KafkaHandle::FinishLog(bool deliver) {
  if (deliver) log_.Deliver();
  log_.Release();
}

void KafkaHandle::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  if (IsFrontMessage(message->_private)) return FrontDelivered(message);  // the native HTTP front end's
  auto* self = static_cast<KafkaHandle*>(opaque);
  std::lock_guard<std::mutex> lock(self->reports_mutex_);
  uint64_t msgid = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(message->_private));
  self->reports_.push_back({msgid, static_cast<int32_t>(message->err), message->partition, message->offset});
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && msgid > self->last_delivered_msgid_.load()) self->last_delivered_msgid_.store(msgid);
  self->outstanding_.fetch_sub(1);
  if (self->reports_.size() == 1) self->WakeJsIfFrontServes();
}

int KafkaHandle::OnStatistics(rd_kafka_t*, char* json, size_t json_len, void* opaque) {
  auto* self = static_cast<KafkaHandle*>(opaque);
  std::lock_guard<std::mutex> lock(self->statistics_mutex_);
  self->statistics_.assign(json, json_len);
  return 0;  // librdkafka frees the JSON
}

std::string KafkaHandle::LatestStatistics() {
  std::lock_guard<std::mutex> lock(statistics_mutex_);
  return statistics_;
}

void KafkaHandle::OnWake(uv_async_t* async) {
  auto* self = static_cast<KafkaHandle*>(async->data);
  if (self->state_ != State::Running) return;
  // A commit or abort is serving the main queue on its own thread: waking again for what it has not
  // taken yet would spin the JS thread until it does. ResumeServing wakes us when it returns.
  if (self->serving_paused_ > 0) return;
  // The queue event fires only on empty -> non-empty: drain the main queue completely now, and
  // look again if events arrived meanwhile. A consumer's messages stay queued for Consume.
  if (self->kind_ == Kind::Producer) {
    self->ServeMainQueue();
    if (rd_kafka_queue_length(self->wake_queue_) > 0) uv_async_send(self->async_);
  }
  if (self->commit_replies_ != nullptr && !self->commits_.empty()) {
    self->TakeCommitAnswers(false);
    // A callback scope: the promises' reactions run now, not with whatever JavaScript runs next.
    napi_handle_scope handles;
    napi_open_handle_scope(self->env_, &handles);
    napi_value resource;
    napi_create_object(self->env_, &resource);
    napi_callback_scope scope;
    napi_open_callback_scope(self->env_, resource, self->async_context_, &scope);
    self->SettleCommits(self->env_);
    napi_close_callback_scope(self->env_, scope);
    napi_close_handle_scope(self->env_, handles);
    if (self->state_ != State::Running) return;  // a reaction closed the handle
  }
  self->UpdateLoopReference();
  if (self->wake_callback_.IsEmpty()) return;

  napi_env env = self->env_;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value global, result, callback;
  napi_get_global(env, &global);
  // The C calls, not node-addon-api's: an exception must not leave a libuv callback.
  napi_get_reference_value(env, self->wake_callback_, &callback);
  napi_status status = napi_make_callback(env, self->async_context_, global, callback, 0, nullptr, &result);
  if (status == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error);  // surfaces as 'uncaughtException', like any callback
  }
  napi_close_handle_scope(env, scope);
}

void KafkaHandle::SetWakeCallback(Napi::Env, Napi::Value callback) {
  if (callback.IsFunction()) {
    wake_callback_ = Napi::Persistent(callback.As<Napi::Function>());
  } else {
    wake_callback_.Reset();
  }
  UpdateLoopReference();
}

void KafkaHandle::UpdateLoopReference() {
  if (async_ == nullptr) return;
  bool waiting = (!wake_callback_.IsEmpty() && (kind_ == Kind::Consumer || outstanding_.load() > 0)) || !commits_.empty();
  auto* handle = reinterpret_cast<uv_handle_t*>(async_);
  if (waiting) {
    uv_ref(handle);
  } else {
    uv_unref(handle);
  }
}

void KafkaHandle::MessageAccepted() {
  next_msgid_.fetch_add(1);
  if (outstanding_.fetch_add(1) == 0) UpdateLoopReference();
}

void KafkaHandle::BatchProduced(uint64_t count, int64_t accepted) {
  next_msgid_.fetch_add(count);
  if (accepted > 0 && outstanding_.fetch_add(accepted) == 0) UpdateLoopReference();
}

rd_kafka_topic_t* KafkaHandle::Topic(const std::string& name) {
  auto found = topics_.find(name);
  if (found != topics_.end()) return found->second;
  rd_kafka_topic_t* topic = rd_kafka_topic_new(rk_, name.c_str(), nullptr);
  if (topic != nullptr) topics_.emplace(name, topic);
  return topic;
}

rd_kafka_topic_t* KafkaHandle::Topic(const char* name, size_t length) {
  if (last_topic_ != nullptr && last_topic_name_.size() == length && std::memcmp(last_topic_name_.data(), name, length) == 0) {
    return last_topic_;
  }
  std::string key(name, length);
  rd_kafka_topic_t* topic = Topic(key);
  if (topic != nullptr) {
    last_topic_name_ = std::move(key);
    last_topic_ = topic;
  }
  return topic;
}

void KafkaHandle::ResumeServing() {
  if (--serving_paused_ == 0 && state_ == State::Running && async_ != nullptr) uv_async_send(async_);
}

void KafkaHandle::ServeMainQueue() {
  if (rk_ == nullptr || kind_ != Kind::Producer || serving_paused_ > 0) return;
  // rd_kafka_poll serves everything queued when called; a few rounds catch what arrives meanwhile.
  for (int round = 0; round < 4 && rd_kafka_poll(rk_, 0) > 0; round++) {
  }
}

std::deque<DeliveryReportEntry> KafkaHandle::TakeReports(size_t max) {
  std::lock_guard<std::mutex> lock(reports_mutex_);
  std::deque<DeliveryReportEntry> taken;
  if (max >= reports_.size()) {
    taken.swap(reports_);
  } else {
    taken.assign(reports_.begin(), reports_.begin() + static_cast<long>(max));
    reports_.erase(reports_.begin(), reports_.begin() + static_cast<long>(max));
  }
  return taken;
}

void KafkaHandle::Detach() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  log_.Close();
  CloseOAuth(this);
  if (EnvHandles* handles = HandlesOf(env_)) handles->open.erase(this);
  // After this returns librdkafka no longer calls OnQueueEvent, so the async can close.
  if (wake_queue_ != nullptr) rd_kafka_queue_cb_event_enable(wake_queue_, nullptr, nullptr);
  if (commit_replies_ != nullptr) rd_kafka_queue_cb_event_enable(commit_replies_, nullptr, nullptr);
  if (async_ != nullptr) {
    std::lock_guard<std::mutex> lock(front_mutex_);
    uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
    async_ = nullptr;
  }
  if (async_context_ != nullptr) {
    napi_async_destroy(env_, async_context_);
    async_context_ = nullptr;
  }
  wake_callback_.Reset();
}

int KafkaHandle::Shutdown(int flush_timeout_ms, bool close_consumer) {
  {
    std::unique_lock<std::mutex> lock(tasks_mutex_);
    tasks_done_.wait(lock, [this] { return tasks_in_flight_ == 0; });
    if (shut_down_) return 0;
    shut_down_ = true;
  }
  if (rk_ == nullptr) return 0;
  if (commit_replies_ != nullptr) {
    TakeCommitAnswers(true);  // librdkafka answers every commit; the JS thread settles them after
    rd_kafka_queue_destroy(commit_replies_);
    commit_replies_ = nullptr;
  }
  StopMessageReaper(this);
  rd_kafka_resp_err_t result = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (kind_ == Kind::Producer && flush_timeout_ms > 0) result = rd_kafka_flush(rk_, flush_timeout_ms);
  if (kind_ == Kind::Consumer && close_consumer) result = rd_kafka_consumer_close(rk_);
  for (auto& [name, topic] : topics_) rd_kafka_topic_destroy(topic);
  topics_.clear();
  last_topic_ = nullptr;
  if (wake_queue_ != nullptr) rd_kafka_queue_destroy(wake_queue_);
  wake_queue_ = nullptr;
  rd_kafka_destroy_flags(rk_, close_consumer ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  rk_ = nullptr;
  return result;
}

KafkaHandle::TaskToken::TaskToken(std::shared_ptr<KafkaHandle> handle) : handle_(std::move(handle)) {
  std::lock_guard<std::mutex> lock(handle_->tasks_mutex_);
  handle_->tasks_in_flight_++;
}

KafkaHandle::TaskToken::~TaskToken() {
  std::lock_guard<std::mutex> lock(handle_->tasks_mutex_);
  handle_->tasks_in_flight_--;
  handle_->tasks_done_.notify_all();
}

std::shared_ptr<KafkaHandle> UnwrapHandle(const Napi::CallbackInfo& info, size_t i, bool require_open) {
  auto* held = UnwrapTagged<std::shared_ptr<KafkaHandle>>(info, i, &kKafkaHandleTag, "a Kafka handle from InitKafka()", "handle");
  if (require_open && (*held)->state() == KafkaHandle::State::Closed) {
    Napi::Error error = Napi::Error::New(info.Env(), "The handle is closed: it was passed to UninitProducer or UninitConsumer");
    error.Set("code", Napi::String::New(info.Env(), "ERR_HANDLE_CLOSED"));
    throw error;
  }
  return *held;
}

// ---------------------------------------------------------------------------------------------
// Exported functions
// ---------------------------------------------------------------------------------------------

namespace {

// Version() -> [hexVersion, text, features]: features are librdkafka's builtin.features (what it
// was built with: "ssl", "sasl_gssapi", "zstd", ...), read from a new configuration.
Napi::Value Version(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array features = Napi::Array::New(env);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  size_t size = 0;
  std::string text;
  if (rd_kafka_conf_get(conf, "builtin.features", nullptr, &size) == RD_KAFKA_CONF_OK && size > 0) {
    text.resize(size);  // size counts the terminating NUL
    rd_kafka_conf_get(conf, "builtin.features", text.data(), &size);
    uint32_t count = 0;
    for (const char* start = text.c_str(); *start != '\0';) {
      size_t length = std::strcspn(start, ",");
      if (length > 0) features.Set(count++, Napi::String::New(env, start, length));
      start += length;
      if (*start == ',') ++start;
    }
  }
  rd_kafka_conf_destroy(conf);
  Napi::Array result = Napi::Array::New(env, 3);
  result.Set(0u, Napi::Number::New(env, rd_kafka_version()));
  result.Set(1u, Napi::String::New(env, rd_kafka_version_str()));
  result.Set(2u, features);
  return result;
}

// InitKafka() -> handle. Creates the struct only; the client starts on first use.
Napi::Value InitKafka(const Napi::CallbackInfo& info) {
  auto* held = new std::shared_ptr<KafkaHandle>(std::make_shared<KafkaHandle>(info.Env()));
  return MakeTaggedExternal(info.Env(), held, &kKafkaHandleTag, FinalizeHandle);
}

// SetKafkaConf(h, key, value) -> [code, message]: 0 ok, -1 invalid value, -2 unknown key (for a
// property of a newer librdkafka, e.g. group.protocol, the message names the version that adds it).
Napi::Value SetKafkaConf(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  std::string key = ExpectString(info, 1, "key");
  std::string value = ExpectString(info, 2, "value");
  std::string message;
  int code = handle->SetConf(key, value, &message);
  return CodeAndMessage(info.Env(), code, message);
}

// SetWakeup(h, callback | null): see KafkaHandle::SetWakeCallback.
Napi::Value SetWakeup(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  Napi::Value callback = Arg(info, 1);
  if (!callback.IsFunction() && !callback.IsNull() && !callback.IsUndefined()) {
    ThrowExpected(info.Env(), "a function or null", "callback", callback);
  }
  handle->SetWakeCallback(info.Env(), callback);
  return info.Env().Undefined();
}

// SetLogger(h, callback | null): the client's log lines go to callback([[level, facility,
// message, client], ...]) on the JS thread; null: to the default logger (SetDefaultLogger).
Napi::Value SetLogger(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  Napi::Value callback = Arg(info, 1);
  if (!callback.IsFunction() && !callback.IsNull() && !callback.IsUndefined()) {
    ThrowExpected(info.Env(), "a function or null", "callback", callback);
  }
  handle->SetLogCallback(callback);
  return info.Env().Undefined();
}

// SetDefaultLogger(callback | null): the logger of every client without one of its own, and of
// the embedded broker. Without any, log lines are dropped (never written to stderr).
Napi::Value SetDefaultLogger(const Napi::CallbackInfo& info) {
  Napi::Value callback = Arg(info, 0);
  if (!callback.IsFunction() && !callback.IsNull() && !callback.IsUndefined()) {
    ThrowExpected(info.Env(), "a function or null", "callback", callback);
  }
  Napi::FunctionReference* fallback = DefaultLoggerOf(info.Env());
  if (callback.IsFunction()) {
    *fallback = Napi::Persistent(callback.As<Napi::Function>());
  } else {
    fallback->Reset();
  }
  return info.Env().Undefined();
}

// FatalError(h) -> [code, reason]: the client's fatal error (rd_kafka_fatal_error), or [0, ''].
// After one, the client cannot go on: it must be closed.
Napi::Value FatalError(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  char reason[512] = "";
  int code = handle->rk() == nullptr ? 0 : rd_kafka_fatal_error(handle->rk(), reason, sizeof reason);
  return CodeAndMessage(info.Env(), code, reason);
}

// ClientErrors(h) -> [[code, reason], ...] | null: the client's errors since the last call, oldest
// first (a consumer's come out of Consume instead). Never blocks.
Napi::Value ClientErrors(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int code;
  std::string reason;
  if (!handle->TakeClientError(&code, &reason)) return info.Env().Null();
  Napi::Array errors = Napi::Array::New(info.Env());
  uint32_t i = 0;
  do {
    errors.Set(i++, CodeAndMessage(info.Env(), code, reason));
  } while (handle->TakeClientError(&code, &reason));
  return errors;
}

// DRMessageError(code) -> librdkafka's sentence for an error code.
Napi::Value DRMessageError(const Napi::CallbackInfo& info) {
  int64_t code = ExpectInteger(info, 0, "code", INT32_MIN, INT32_MAX);
  return Napi::String::New(info.Env(), rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(code)));
}

// ErrorName(code) -> the symbolic name without the RD_KAFKA_RESP_ prefix, e.g. "_QUEUE_FULL".
Napi::Value ErrorName(const Napi::CallbackInfo& info) {
  int64_t code = ExpectInteger(info, 0, "code", INT32_MIN, INT32_MAX);
  return Napi::String::New(info.Env(), rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(code)));
}

// HandleInfo(h) -> { kind, state }: lets the classes report what a handle is.
Napi::Value HandleInfo(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0, false);
  static const char* kinds[] = {"unstarted", "producer", "consumer"};
  static const char* states[] = {"configuring", "running", "closed"};
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("kind", kinds[static_cast<int>(handle->kind())]);
  result.Set("state", states[static_cast<int>(handle->state())]);
  return result;
}

// Statistics(h) -> the latest librdkafka statistics JSON text, or null before the first
// (set statistics.interval.ms to have them; they arrive as the handle is served).
Napi::Value Statistics(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  std::string json = handle->LatestStatistics();
  if (json.empty()) return info.Env().Null();
  return Napi::String::New(info.Env(), json);
}

// Uninit: flush (producer, bounded) or close (consumer), then destroy. Safe to call twice.
// Returns 0; ERR__TIMED_OUT when a producer's flush ran out of time with messages undelivered;
// ERR__INVALID_ARG (and the handle stays open) when it is a client of the other kind.
Napi::Value Uninit(const Napi::CallbackInfo& info, KafkaHandle::Kind kind, bool async) {
  auto handle = UnwrapHandle(info, 0, false);
  int flush_timeout_ms = static_cast<int>(ExpectIntegerOr(info, 1, "timeoutMs", 0, INT32_MAX, 5000));
  Napi::Env env = info.Env();
  int code = 0;
  if (handle->kind() != KafkaHandle::Kind::Unstarted && handle->kind() != kind) {
    code = RD_KAFKA_RESP_ERR__INVALID_ARG;
  } else if (handle->state() != KafkaHandle::State::Closed) {
    handle->Detach();
    if (async) {
      return RunBlocking(env, [handle, flush_timeout_ms]() -> Completion {
        int result = handle->Shutdown(flush_timeout_ms, true);
        return [handle, result](Napi::Env e) {
          handle->FinishLog(true);
          handle->SettleCommits(e);
          return Napi::Number::New(e, result);
        };
      });
    }
    code = handle->Shutdown(flush_timeout_ms, true);
    handle->FinishLog(true);
    handle->SettleCommits(env);
  }
  if (!async) return Napi::Number::New(env, code);
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Resolve(Napi::Number::New(env, code));
  return deferred.Promise();
}

Napi::Value UninitProducer(const Napi::CallbackInfo& info) { return Uninit(info, KafkaHandle::Kind::Producer, false); }
Napi::Value UninitProducerAsync(const Napi::CallbackInfo& info) { return Uninit(info, KafkaHandle::Kind::Producer, true); }
Napi::Value UninitConsumer(const Napi::CallbackInfo& info) { return Uninit(info, KafkaHandle::Kind::Consumer, false); }
Napi::Value UninitConsumerAsync(const Napi::CallbackInfo& info) { return Uninit(info, KafkaHandle::Kind::Consumer, true); }

}  // namespace

void InitHandle(Napi::Env env, Napi::Object exports) {
  auto* handles = new EnvHandles();
  napi_set_instance_data(env, handles, [](napi_env, void* data, void*) { delete static_cast<EnvHandles*>(data); }, nullptr);
  napi_add_env_cleanup_hook(env, CloseOpenHandles, handles);

  exports.Set("Version", Napi::Function::New(env, Version, "Version"));
  exports.Set("InitKafka", Napi::Function::New(env, InitKafka, "InitKafka"));
  exports.Set("SetKafkaConf", Napi::Function::New(env, SetKafkaConf, "SetKafkaConf"));
  exports.Set("SetWakeup", Napi::Function::New(env, SetWakeup, "SetWakeup"));
  exports.Set("SetLogger", Napi::Function::New(env, SetLogger, "SetLogger"));
  exports.Set("SetDefaultLogger", Napi::Function::New(env, SetDefaultLogger, "SetDefaultLogger"));
  exports.Set("FatalError", Napi::Function::New(env, FatalError, "FatalError"));
  exports.Set("ClientErrors", Napi::Function::New(env, ClientErrors, "ClientErrors"));
  exports.Set("DRMessageError", Napi::Function::New(env, DRMessageError, "DRMessageError"));
  exports.Set("ErrorName", Napi::Function::New(env, ErrorName, "ErrorName"));
  exports.Set("HandleInfo", Napi::Function::New(env, HandleInfo, "HandleInfo"));
  exports.Set("Statistics", Napi::Function::New(env, Statistics, "Statistics"));
  exports.Set("UninitProducer", Napi::Function::New(env, UninitProducer, "UninitProducer"));
  exports.Set("UninitProducerAsync", Napi::Function::New(env, UninitProducerAsync, "UninitProducerAsync"));
  exports.Set("UninitConsumer", Napi::Function::New(env, UninitConsumer, "UninitConsumer"));
  exports.Set("UninitConsumerAsync", Napi::Function::New(env, UninitConsumerAsync, "UninitConsumerAsync"));
}

}  // namespace rdk
