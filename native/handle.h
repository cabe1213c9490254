// The kafka_struct: one per client. It holds the configuration until the client starts, then the
// librdkafka instance, the delivery reports waiting for JavaScript, and the wake-up that tells the
// JS thread there is something to collect.
#pragma once

#include "common.h"
#include "log.h"

#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <unordered_map>

namespace rdk {

struct ConsumerState;  // consumer.cc: rebalance events waiting for ConsumerEvents
class MessageReaper;   // consumer.cc: destroys consumed messages off the JS thread
struct OAuthState;     // oauth.cc: the JavaScript OAUTHBEARER token callback

struct DeliveryReportEntry {
  uint64_t msgid;
  int32_t error;
  int32_t partition;
  int64_t offset;
};

class KafkaHandle : public std::enable_shared_from_this<KafkaHandle> {
 public:
  enum class Kind { Unstarted, Producer, Consumer };
  enum class State { Configuring, Running, Closed };

  explicit KafkaHandle(Napi::Env env);
  ~KafkaHandle();

  // --- Configuration (JS thread) ---
  // rd_kafka_conf_set's result: 0 ok, -1 invalid value, -2 unknown key; or ERR__STATE once started.
  int SetConf(const std::string& key, const std::string& value, std::string* message);

  // --- Starting (JS thread) ---
  // Creates the librdkafka client of `kind` from the configuration. On failure returns a librdkafka
  // error code and fills `message`; the handle stays configurable so the caller can fix and retry.
  int Start(Kind kind, std::string* message);

  // --- Wake-ups (JS thread) ---
  // `callback` runs on the JS thread whenever delivery reports or messages arrive. While set, the
  // handle holds it strongly and keeps the event loop alive (a producer only while messages are
  // outstanding): clear it when nobody waits, or the handle can never be collected.
  void SetWakeCallback(Napi::Env env, Napi::Value callback);

  // --- Delivery reports ---
  // Serves the main queue without blocking; the delivery callback appends to the report list.
  void ServeMainQueue();
  // While a blocking call (a transaction's commit or abort) flushes on a thread of its own, the JS
  // thread leaves the main queue to it: a delivery report the JS thread took would leave that
  // flush asleep for up to 10 ms in its poll. Both on the JS thread; Resume looks at the queue again.
  void PauseServing() { serving_paused_++; }
  // A producer whose main queue the native HTTP front end's thread serves (its reports then wake
  // the JS thread only when they are the JS side's): librdkafka's queue events go to `fd`, an
  // eventfd, instead of waking the JS thread; -1 gives the queue back. Any thread.
  void ServeOnFront(int fd);
  void ResumeServing();
  // Takes up to `max` reports, oldest first.
  std::deque<DeliveryReportEntry> TakeReports(size_t max);
  // msgids count per handle from 1; one is used up only when librdkafka accepted the message.
  uint64_t PeekMsgid() const { return next_msgid_.load(); }
  // The highest msgid delivered successfully so far (0: none), from any thread.
  uint64_t LastDeliveredMsgid() const { return last_delivered_msgid_.load(); }
  // The first msgid of the open transaction (set by BeginTransaction, JS thread).
  uint64_t transaction_first_msgid = 0;
  void MessageAccepted();
  // A batch of `count` messages took msgids PeekMsgid()..+count-1, of which `accepted` were queued.
  void BatchProduced(uint64_t count, int64_t accepted);
  // The producer's topic object for `name`, created once (JS thread; freed by Shutdown).
  rd_kafka_topic_t* Topic(const std::string& name);
  // Topic() for a name given as bytes, remembering the last one: a producer writing to one topic
  // finds it with a compare instead of a hash lookup.
  rd_kafka_topic_t* Topic(const char* name, size_t length);

  // --- Logging ---
  // The client's log lines (librdkafka's log callback) go to `callback` on the JS thread, or to
  // the environment's default logger when it is null (JS thread).
  void SetLogCallback(napi_value callback) { log_.SetCallback(callback); }
  // After Shutdown (JS thread): delivers the lines logged while the client shut down (unless
  // JavaScript cannot run now: a finaliser, the environment's cleanup), then frees the logger.
  void FinishLog(bool deliver);

  // --- Logging ---
  // A line of our own through the client's logger, as librdkafka's lines go (any thread).
  void Log(int level, const char* facility, const std::string& message) { log_.Push(level, facility, message.c_str(), rk_ ? rd_kafka_name(rk_) : ""); }

  // --- Client errors ---
  // librdkafka's error callback queues client-level errors (transport failures, all brokers down,
  // fatal errors): Consume and ConsumeBatch hand a consumer's out as error results, ClientErrors a
  // producer's (which are logged too, as librdkafka logs them when nobody takes them). Kept up to
  // kMaxClientErrors, oldest dropped. Takes the oldest; false when there is none.
  static constexpr size_t kMaxClientErrors = 100;
  bool TakeClientError(int* code, std::string* reason);

  // --- Authentication and TLS failures ---
  // The latest client error that says the client cannot log in to or trust the cluster (a wrong
  // password, a refused token, a certificate either side refused): admin requests end with it
  // rather than waiting their whole timeout. lib/errors.ts isSecurityFailure is the same rule.
  static bool IsSecurityFailure(int code, const char* reason);
  // True (and the failure) when one happened at or after `since`.
  bool SecurityFailureSince(std::chrono::steady_clock::time_point since, int* code, std::string* reason);

  // --- Statistics ---
  // The latest statistics JSON (emitted every statistics.interval.ms), or "" before the first.
  std::string LatestStatistics();

  // --- Closing ---
  // Stops wake-ups and marks the handle closed (JS thread). Later calls get a clear error.
  void Detach();
  // Flushes (producer, bounded by flush_timeout_ms) or closes (consumer), then destroys the
  // client. Blocks: call it off the JS thread unless the caller asked for the synchronous form.
  // Returns the flush's or the close's error code (ERR__TIMED_OUT: messages left undelivered).
  int Shutdown(int flush_timeout_ms, bool close_consumer);

  // Blocking tasks (commit, committed, flush) hold a token so Shutdown waits for them.
  class TaskToken {
   public:
    explicit TaskToken(std::shared_ptr<KafkaHandle> handle);
    ~TaskToken();
    KafkaHandle* operator->() const { return handle_.get(); }
    rd_kafka_t* rk() const { return handle_->rk_; }

   private:
    std::shared_ptr<KafkaHandle> handle_;
  };

  // --- Commits (consumer.cc) ---
  // CommitAsync's path: one reply queue per consumer (made with its first commit), answered by
  // librdkafka and served by the wake-up on the JS thread, instead of a queue, a thread and a
  // thread-safe function per commit. QueueCommit (JS thread) hands the commit to librdkafka at
  // once and returns a promise of its error code; Shutdown waits for the answers of those under
  // way, and SettleCommits (JS thread) then resolves them.
  napi_value QueueCommit(napi_env env, rd_kafka_topic_partition_list_t* offsets);
  void SettleCommits(napi_env env);

  rd_kafka_t* rk() const { return rk_; }
  rd_kafka_queue_t* queue() const { return wake_queue_; }
  Kind kind() const { return kind_; }
  State state() const { return state_; }

  // Owned by consumer.cc: set by EnableConsumerEvents before the consumer starts (JS thread).
  std::shared_ptr<ConsumerState> consumer_state;
  // Owned by consumer.cc: made by the first ConsumeBatchPacked, stopped by StopMessageReaper (JS thread).
  std::shared_ptr<MessageReaper> message_reaper;
  // Owned by oauth.cc: set by SetOAuthBearerRefresh before the client starts (JS thread).
  std::shared_ptr<OAuthState> oauth_state;

 private:
  static void OnDelivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque);
  static int OnStatistics(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);
  static void OnQueueEvent(rd_kafka_t* rk, void* opaque);
  static void OnLog(const rd_kafka_t* rk, int level, const char* facility, const char* message);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void OnWake(uv_async_t* async);
  void WakeJsIfFrontServes();
  void UpdateLoopReference();
  // Takes the commits' answers off the reply queue (any thread); `wait`: until none is under way.
  void TakeCommitAnswers(bool wait);

  napi_env env_;
  LogSink log_;
  rd_kafka_conf_t* conf_;
  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* wake_queue_ = nullptr;  // main queue (producer) or consumer queue
  Kind kind_ = Kind::Unstarted;
  State state_ = State::Configuring;

  int serving_paused_ = 0;  // JS thread only
  std::atomic<uint64_t> next_msgid_{1};
  std::atomic<uint64_t> last_delivered_msgid_{0};  // written under reports_mutex_
  std::atomic<int64_t> outstanding_{0};  // accepted messages without a delivery report yet
  std::mutex reports_mutex_;             // flush on a worker thread also runs the delivery callback
  std::deque<DeliveryReportEntry> reports_;
  std::unordered_map<std::string, rd_kafka_topic_t*> topics_;
  std::string last_topic_name_;
  rd_kafka_topic_t* last_topic_ = nullptr;
  std::mutex client_errors_mutex_;  // the error callback runs on whichever thread serves the queue
  std::deque<std::pair<int, std::string>> client_errors_;
  int security_failure_code_ = 0;  // guarded by client_errors_mutex_
  std::string security_failure_reason_;
  std::chrono::steady_clock::time_point security_failure_at_;
  std::mutex statistics_mutex_;
  std::string statistics_;

  uv_async_t* async_ = nullptr;  // freed by its close callback
  std::mutex front_mutex_;  // guards front_fd_, and async_ against sends from the front end's thread
  int front_fd_ = -1;       // see ServeOnFront
  napi_async_context async_context_ = nullptr;
  Napi::FunctionReference wake_callback_;

  rd_kafka_queue_t* commit_replies_ = nullptr;  // consumer: where librdkafka answers CommitAsync
  uint64_t next_commit_id_ = 1;                   // JS thread
  std::unordered_map<uint64_t, napi_deferred> commits_;  // JS thread: promises waiting for an answer
  std::atomic<int> commits_in_flight_{0};        // queued to librdkafka, answer not taken yet
  std::mutex commit_answers_mutex_;
  std::deque<std::pair<uint64_t, int>> commit_answers_;  // [id, error code], to settle on the JS thread

  std::mutex tasks_mutex_;
  std::condition_variable tasks_done_;
  int tasks_in_flight_ = 0;
  bool shut_down_ = false;
};

// Called by Start on a consumer's configuration before rd_kafka_new (consumer.cc): when
// EnableConsumerEvents asked for them, installs the rebalance callback that assigns partitions
// (incrementally for cooperative protocols) and records the events for ConsumerEvents.
void PrepareConsumerConf(KafkaHandle* handle, rd_kafka_conf_t* conf);

// consumer.cc: destroys the messages given to the handle's reaper and ends its thread; called
// before the client is destroyed (librdkafka's messages must not outlive it).
void StopMessageReaper(KafkaHandle* handle);

// oauth.cc: installs the token refresh callback when SetOAuthBearerRefresh asked for one (before
// rd_kafka_new), has librdkafka call it on its background thread (after), and stops it (Detach).
void PrepareOAuthConf(KafkaHandle* handle, rd_kafka_conf_t* conf);
void StartOAuth(KafkaHandle* handle);
void CloseOAuth(KafkaHandle* handle);

// The handle behind a tagged external argument. `require_open` throws when it was closed.
std::shared_ptr<KafkaHandle> UnwrapHandle(const Napi::CallbackInfo& info, size_t i, bool require_open = true);

// Module-level registration of the handle functions.
void InitHandle(Napi::Env env, Napi::Object exports);
void InitProducer(Napi::Env env, Napi::Object exports);
void InitConsumer(Napi::Env env, Napi::Object exports);
void InitTopicPartition(Napi::Env env, Napi::Object exports);
void InitMock(Napi::Env env, Napi::Object exports);
void InitAdmin(Napi::Env env, Napi::Object exports);
void InitAcls(Napi::Env env, Napi::Object exports);
void InitOAuth(Napi::Env env, Napi::Object exports);
void InitTransactionFunctions(Napi::Env env, Napi::Object exports);

}  // namespace rdk
