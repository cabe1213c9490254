// Transactions: InitTransactions, BeginTransaction, SendOffsetsToTransaction, CommitTransaction,
// AbortTransaction. Every call but BeginTransaction waits on the network, so it runs on a thread of
// its own and resolves a promise. Each result is [code, message, fatal, retriable, abortable]:
// librdkafka's classification of the rd_kafka_error_t (all false on success).
#include "handle.h"
#include "topic_partition.h"

#include <algorithm>
#include <chrono>

namespace rdk {

namespace {

struct TxnOutcome {
  int code = 0;
  std::string message;
  bool fatal = false;
  bool retriable = false;
  bool abortable = false;
};

// Takes ownership of `error` (null = success).
TxnOutcome FromError(rd_kafka_error_t* error) {
  TxnOutcome outcome;
  if (error == nullptr) return outcome;
  outcome.code = rd_kafka_error_code(error);
  outcome.message = rd_kafka_error_string(error);
  outcome.fatal = rd_kafka_error_is_fatal(error);
  outcome.retriable = rd_kafka_error_is_retriable(error);
  outcome.abortable = rd_kafka_error_txn_requires_abort(error);
  rd_kafka_error_destroy(error);
  return outcome;
}

Napi::Array TxnResult(Napi::Env env, const TxnOutcome& outcome) {
  Napi::Array result = Napi::Array::New(env, 5);
  result.Set(0u, Napi::Number::New(env, outcome.code));
  result.Set(1u, Napi::String::New(env, outcome.message));
  result.Set(2u, Napi::Boolean::New(env, outcome.fatal));
  result.Set(3u, Napi::Boolean::New(env, outcome.retriable));
  result.Set(4u, Napi::Boolean::New(env, outcome.abortable));
  return result;
}

Napi::Promise Settled(Napi::Env env, const TxnOutcome& outcome) {
  auto deferred = Napi::Promise::Deferred::New(env);
  deferred.Resolve(TxnResult(env, outcome));
  return deferred.Promise();
}

// The handle as a started producer: transactions are a producer's. Fills `outcome` when it is not.
bool StartProducer(KafkaHandle* handle, TxnOutcome* outcome) {
  outcome->code = handle->Start(KafkaHandle::Kind::Producer, &outcome->message);
  return outcome->code == 0;
}

// Runs `call` (a blocking librdkafka transactional call) on a thread of its own. `flushes`: the
// call serves the delivery reports itself (commit and abort), so the JS thread pauses serving them.
Napi::Promise RunTxn(Napi::Env env, const std::shared_ptr<KafkaHandle>& handle,
                     std::function<rd_kafka_error_t*(rd_kafka_t*)> call, bool flushes = false) {
  auto token = std::make_shared<KafkaHandle::TaskToken>(handle);
  if (flushes) handle->PauseServing();
  try {
    return RunBlocking(env, [token, handle, flushes, call = std::move(call)]() -> Completion {
      TxnOutcome outcome = FromError(call(token->rk()));
      return [outcome, handle, flushes](Napi::Env env) -> Napi::Value {
        if (flushes) handle->ResumeServing();
        return TxnResult(env, outcome);
      };
    });
  } catch (...) {
    if (flushes) handle->ResumeServing();  // the call never started
    throw;
  }
}

// InitTransactions(h, timeoutMs = 30000) -> Promise<[code, message, fatal, retriable, abortable]>.
// Starts the producer if needed; needs transactional.id (else ERR__NOT_CONFIGURED). Fences any
// earlier producer with the same transactional.id and finishes its open transaction.
Napi::Value InitTransactions(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 1, "timeoutMs", 0, INT32_MAX, 30000));
  TxnOutcome outcome;
  if (!StartProducer(handle.get(), &outcome)) return Settled(info.Env(), outcome);
  return RunTxn(info.Env(), handle, [timeout_ms](rd_kafka_t* rk) { return rd_kafka_init_transactions(rk, timeout_ms); });
}

// BeginTransaction(h) -> [code, message, fatal, retriable, abortable]. Local: never waits.
Napi::Value BeginTransaction(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  TxnOutcome outcome;
  if (StartProducer(handle.get(), &outcome)) outcome = FromError(rd_kafka_begin_transaction(handle->rk()));
  if (outcome.code == 0) handle->transaction_first_msgid = handle->PeekMsgid();
  return TxnResult(info.Env(), outcome);
}

// SendOffsetsToTransaction(h, list | null, consumerHandle | groupId, timeoutMs = 30000) -> Promise<[code,
// message, fatal, retriable, abortable]>. Commits the consumer's input offsets (the next offset to
// read) as part of the current transaction, with the consumer's group metadata. null: the
// consumer's current positions in its assignment (partitions not yet read from are left out).
Napi::Value SendOffsetsToTransaction(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  Napi::Value list_arg = Arg(info, 1);
  rd_kafka_topic_partition_list_t* given = list_arg.IsNull() || list_arg.IsUndefined() ? nullptr : UnwrapList(info, 1);
  // A group id instead of a consumer: the group's metadata without a member (kafkajs's
  // sendOffsets({ consumerGroupId }); the broker cannot fence a zombie member then).
  if (Arg(info, 2).IsString()) {
    std::string group_id = Arg(info, 2).As<Napi::String>();
    int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 3, "timeoutMs", 0, INT32_MAX, 30000));
    TxnOutcome outcome;
    if (!StartProducer(handle.get(), &outcome)) return Settled(info.Env(), outcome);
    if (given == nullptr || group_id.empty()) {
      outcome.code = RD_KAFKA_RESP_ERR__INVALID_ARG;
      outcome.message = given == nullptr ? "With a group id, the offsets to commit must be given" : "The group id is empty";
      return Settled(info.Env(), outcome);
    }
    rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_copy(given);
    rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata_new(group_id.c_str());
    return RunTxn(info.Env(), handle, [offsets, group, timeout_ms](rd_kafka_t* rk) {
      rd_kafka_error_t* error = rd_kafka_send_offsets_to_transaction(rk, offsets, group, timeout_ms);
      rd_kafka_topic_partition_list_destroy(offsets);
      rd_kafka_consumer_group_metadata_destroy(group);
      return error;
    });
  }
  auto consumer = UnwrapHandle(info, 2);
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 3, "timeoutMs", 0, INT32_MAX, 30000));
  TxnOutcome outcome;
  if (!StartProducer(handle.get(), &outcome)) return Settled(info.Env(), outcome);
  if (consumer->kind() != KafkaHandle::Kind::Consumer) {
    outcome.code = RD_KAFKA_RESP_ERR__INVALID_ARG;
    outcome.message = "consumerHandle is not a consumer that has started (subscribe or assign first)";
    return Settled(info.Env(), outcome);
  }
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer->rk());
  if (group == nullptr) {
    outcome.code = RD_KAFKA_RESP_ERR__INVALID_ARG;
    outcome.message = "The consumer has no group metadata (it needs a group.id)";
    return Settled(info.Env(), outcome);
  }
  rd_kafka_topic_partition_list_t* offsets = nullptr;
  if (given != nullptr) {
    offsets = rd_kafka_topic_partition_list_copy(given);
  } else {
    rd_kafka_resp_err_t err = rd_kafka_assignment(consumer->rk(), &offsets);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = rd_kafka_position(consumer->rk(), offsets);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (offsets != nullptr) rd_kafka_topic_partition_list_destroy(offsets);
      rd_kafka_consumer_group_metadata_destroy(group);
      outcome.code = err;
      outcome.message = std::string("The consumer's positions: ") + rd_kafka_err2str(err);
      return Settled(info.Env(), outcome);
    }
  }
  return RunTxn(info.Env(), handle, [offsets, group, timeout_ms](rd_kafka_t* rk) {
    rd_kafka_error_t* error = rd_kafka_send_offsets_to_transaction(rk, offsets, group, timeout_ms);
    rd_kafka_topic_partition_list_destroy(offsets);
    rd_kafka_consumer_group_metadata_destroy(group);
    return error;
  });
}

// CommitTransaction(h, timeoutMs = 30000) -> Promise<[code, message, fatal, retriable, abortable]>.
// Flushes the transaction's messages, then commits it.
Napi::Value CommitTransaction(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 1, "timeoutMs", 0, INT32_MAX, 30000));
  TxnOutcome outcome;
  if (!StartProducer(handle.get(), &outcome)) return Settled(info.Env(), outcome);
  return RunTxn(info.Env(), handle, [timeout_ms](rd_kafka_t* rk) { return rd_kafka_commit_transaction(rk, timeout_ms); }, true);
}

// librdkafka counts a partition as added to the transaction once it has *sent* AddPartitionsToTxn,
// and an abort sends EndTxn on that count: when EndTxn reaches the coordinator before it has
// handled AddPartitionsToTxn, the abort fails with INVALID_TXN_STATE, a fatal error (librdkafka
// issue #4849). A message of the transaction delivered proves it was handled, so when some were
// sent and none is delivered yet, wait for one first, while any are in flight, for up to
// kAbortWaitMs (they are written, then aborted: never visible to read_committed readers).
constexpr int kAbortWaitMs = 2000;

void AwaitTransactionDelivery(KafkaHandle* handle, rd_kafka_t* rk, uint64_t first_msgid, int timeout_ms) {
  if (handle->PeekMsgid() <= first_msgid) return;  // nothing sent in this transaction
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::min(timeout_ms, kAbortWaitMs));
  while (handle->LastDeliveredMsgid() < first_msgid && rd_kafka_outq_len(rk) > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_poll(rk, 10);  // serves the delivery reports (the JS thread has paused serving them)
  }
}

// AbortTransaction(h, timeoutMs = 30000) -> Promise<[code, message, fatal, retriable, abortable]>.
// Purges the transaction's undelivered messages (their reports say ERR__PURGE_QUEUE), then aborts.
Napi::Value AbortTransaction(const Napi::CallbackInfo& info) {
  auto handle = UnwrapHandle(info, 0);
  int timeout_ms = static_cast<int>(ExpectIntegerOr(info, 1, "timeoutMs", 0, INT32_MAX, 30000));
  TxnOutcome outcome;
  if (!StartProducer(handle.get(), &outcome)) return Settled(info.Env(), outcome);
  KafkaHandle* raw = handle.get();  // the task's token keeps it alive
  uint64_t first_msgid = handle->transaction_first_msgid;
  return RunTxn(info.Env(), handle, [raw, first_msgid, timeout_ms](rd_kafka_t* rk) {
    auto started = std::chrono::steady_clock::now();
    AwaitTransactionDelivery(raw, rk, first_msgid, timeout_ms);
    int waited = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    return rd_kafka_abort_transaction(rk, std::max(0, timeout_ms - waited));
  }, true);
}

}  // namespace

void InitTransactionFunctions(Napi::Env env, Napi::Object exports) {
  exports.Set("InitTransactions", Napi::Function::New(env, InitTransactions, "InitTransactions"));
  exports.Set("BeginTransaction", Napi::Function::New(env, BeginTransaction, "BeginTransaction"));
  exports.Set("SendOffsetsToTransaction", Napi::Function::New(env, SendOffsetsToTransaction, "SendOffsetsToTransaction"));
  exports.Set("CommitTransaction", Napi::Function::New(env, CommitTransaction, "CommitTransaction"));
  exports.Set("AbortTransaction", Napi::Function::New(env, AbortTransaction, "AbortTransaction"));
}

}  // namespace rdk
