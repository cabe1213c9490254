// The Kafka-Pixy produce route served natively: an HTTP/1.1 server on a thread of its own that
// answers POST …/topics/{topic}/messages itself and hands every other connection to Node
// (lib/proxy/native-front.ts). Linux only (epoll); elsewhere HttpFrontStart reports it is absent.
#pragma once

#include "common.h"

namespace rdk {

void InitHttpFront(Napi::Env env, Napi::Object exports);

}  // namespace rdk
