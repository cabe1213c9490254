// The Kafka-Pixy produce route served natively: an HTTP/1.1 server on a thread of its own that
// answers POST …/topics/{topic}/messages itself, answers consume requests from the records a group
// leased to it (HttpFrontLease, HttpFrontTake), keeps other consume and ack requests on its
// connections while JavaScript answers them (HttpFrontAnswer), and hands every other connection to Node
// (lib/proxy/native-front.ts). A second instance (routes "confluent") keeps the Confluent v2
// produce requests on its connections while confluent.ts answers them. Linux only (epoll);
// elsewhere HttpFrontStart reports it is absent.
#pragma once

#include "common.h"

namespace rdk {

void InitHttpFront(Napi::Env env, Napi::Object exports);

// The front end produces on the proxy Producer's own client with `_private` tagged by bit 63
// (msgids never reach it, user-space pointers never have it): KafkaHandle::OnDelivery hands such
// a report here instead of to the JavaScript report list.
constexpr uintptr_t kFrontMessageTag = uintptr_t{1} << 63;
inline bool IsFrontMessage(const void* opaque) { return (reinterpret_cast<uintptr_t>(opaque) & kFrontMessageTag) != 0; }
void FrontDelivered(const rd_kafka_message_t* message);

}  // namespace rdk
