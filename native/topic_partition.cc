// Topic-partition lists: NewTopicPartitionList, SetTopicPartitionList, SetOffset and readers.
#include "topic_partition.h"

namespace rdk {

namespace {

void FinalizeList(Napi::Env, TopicPartitionListBox* box) {
  if (box->list != nullptr) rd_kafka_topic_partition_list_destroy(box->list);
  delete box;
}

// NewTopicPartitionList() -> list handle, freed by the garbage collector or DestroyTopicPartitionList.
Napi::Value NewTopicPartitionList(const Napi::CallbackInfo& info) {
  auto* box = new TopicPartitionListBox{rd_kafka_topic_partition_list_new(4)};
  return MakeTaggedExternal(info.Env(), box, &kTopicPartitionListTag, FinalizeList);
}

// DestroyTopicPartitionList(list) -> 0. Frees it now; safe to call twice (the collector skips it).
Napi::Value DestroyTopicPartitionList(const Napi::CallbackInfo& info) {
  auto* box = UnwrapTagged<TopicPartitionListBox>(info, 0, &kTopicPartitionListTag, "a list from NewTopicPartitionList()", "list");
  if (box->list != nullptr) rd_kafka_topic_partition_list_destroy(box->list);
  box->list = nullptr;
  return Napi::Number::New(info.Env(), 0);
}

// SetTopicPartitionList(list, topic, partition = -1) -> 0. Adds the pair (once).
Napi::Value SetTopicPartitionList(const Napi::CallbackInfo& info) {
  rd_kafka_topic_partition_list_t* list = UnwrapList(info, 0);
  std::string topic = ExpectString(info, 1, "topic");
  int32_t partition = static_cast<int32_t>(ExpectIntegerOr(info, 2, "partition", -1, INT32_MAX, -1));
  if (rd_kafka_topic_partition_list_find(list, topic.c_str(), partition) == nullptr) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  }
  return Napi::Number::New(info.Env(), 0);
}

// SetOffset(list, topic, partition, offset) -> 0, or ERR__UNKNOWN_PARTITION (-190) when the pair
// is not in the list.
Napi::Value SetOffset(const Napi::CallbackInfo& info) {
  rd_kafka_topic_partition_list_t* list = UnwrapList(info, 0);
  std::string topic = ExpectString(info, 1, "topic");
  int32_t partition = static_cast<int32_t>(ExpectInteger(info, 2, "partition", -1, INT32_MAX));
  int64_t offset = ExpectOffset(info, 3, "offset");
  return Napi::Number::New(info.Env(), rd_kafka_topic_partition_list_set_offset(list, topic.c_str(), partition, offset));
}

// TopicPartitionListEntries(list) -> [[topic, partition, offset, error], ...] for every entry.
Napi::Value TopicPartitionListEntries(const Napi::CallbackInfo& info) {
  return ListEntries(info.Env(), UnwrapList(info, 0));
}

}  // namespace

rd_kafka_topic_partition_list_t* UnwrapList(const Napi::CallbackInfo& info, size_t i) {
  auto* box = UnwrapTagged<TopicPartitionListBox>(info, i, &kTopicPartitionListTag, "a list from NewTopicPartitionList()", "list");
  if (box->list == nullptr) {
    throw Napi::Error::New(info.Env(), "The topic-partition list was destroyed (DestroyTopicPartitionList)");
  }
  return box->list;
}

Napi::Array ListEntries(Napi::Env env, const rd_kafka_topic_partition_list_t* list) {
  Napi::Array entries = Napi::Array::New(env, static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; i++) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    Napi::Array entry = Napi::Array::New(env, 4);
    entry.Set(0u, Napi::String::New(env, tp.topic));
    entry.Set(1u, Napi::Number::New(env, tp.partition));
    entry.Set(2u, Int64Value(env, tp.offset));
    entry.Set(3u, Napi::Number::New(env, tp.err));
    entries.Set(static_cast<uint32_t>(i), entry);
  }
  return entries;
}

void InitTopicPartition(Napi::Env env, Napi::Object exports) {
  exports.Set("NewTopicPartitionList", Napi::Function::New(env, NewTopicPartitionList, "NewTopicPartitionList"));
  exports.Set("DestroyTopicPartitionList", Napi::Function::New(env, DestroyTopicPartitionList, "DestroyTopicPartitionList"));
  exports.Set("SetTopicPartitionList", Napi::Function::New(env, SetTopicPartitionList, "SetTopicPartitionList"));
  exports.Set("SetOffset", Napi::Function::New(env, SetOffset, "SetOffset"));
  exports.Set("TopicPartitionListEntries", Napi::Function::New(env, TopicPartitionListEntries, "TopicPartitionListEntries"));
}

}  // namespace rdk
