// Topic-partition lists shared by the consumer and admin functions.
#pragma once

#include "common.h"

namespace rdk {

// The external's data. `list` is null once DestroyTopicPartitionList freed it, so the collector
// never frees it twice.
struct TopicPartitionListBox {
  rd_kafka_topic_partition_list_t* list;
};

// The live list behind a tagged external argument (TypeError for anything else, Error if destroyed).
rd_kafka_topic_partition_list_t* UnwrapList(const Napi::CallbackInfo& info, size_t i);

// [[topic, partition, offset, error], ...]
Napi::Array ListEntries(Napi::Env env, const rd_kafka_topic_partition_list_t* list);

}  // namespace rdk
