// Module entry: registers the C-style functions, a file per concern.
#include "handle.h"

namespace rdk {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitHandle(env, exports);
  InitProducer(env, exports);
  InitConsumer(env, exports);
  InitTopicPartition(env, exports);
  InitMock(env, exports);
  return exports;
}

}  // namespace rdk

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return rdk::Init(env, exports); }

NODE_API_MODULE(rdkafka_napi, InitModule)
