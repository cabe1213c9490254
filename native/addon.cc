// Module entry: registers the C-style functions, a file per concern.
#include "handle.h"
#include "http_front.h"

#include <dlfcn.h>

namespace rdk {

// Node unloads an addon when the last worker thread that loaded it exits. Ours still has code
// running then: librdkafka threads, shutdowns on their own threads, libuv close callbacks. Keep
// the library mapped for the life of the process.
void PinLibrary() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&PinLibrary), &info) != 0 && info.dli_fname != nullptr) {
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NODELETE);
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  PinLibrary();
  InitHandle(env, exports);
  InitProducer(env, exports);
  InitConsumer(env, exports);
  InitTopicPartition(env, exports);
  InitMock(env, exports);
  InitAdmin(env, exports);
  InitAcls(env, exports);
  InitOAuth(env, exports);
  InitTransactionFunctions(env, exports);
  InitHttpFront(env, exports);
  return exports;
}

}  // namespace rdk

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return rdk::Init(env, exports); }

NODE_API_MODULE(rdkafka_napi, InitModule)
