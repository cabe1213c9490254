{
  "targets": [
    {
      "target_name": "rdkafka_napi",
      "sources": [
        "native/addon.cc",
        "native/common.cc",
        "native/handle.cc",
        "native/log.cc",
        "native/producer.cc",
        "native/consumer.cc",
        "native/topic_partition.cc",
        "native/mock.cc",
        "native/admin.cc",
        "native/acls.cc",
        "native/oauth.cc",
        "native/transactions.cc",
        "native/http_front.cc",
        "native/vendor/llhttp/llhttp.c",
        "native/vendor/llhttp/api.c",
        "native/vendor/llhttp/http.c"
      ],
      "cflags_c": ["-fvisibility=hidden"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter",
                    "<!@(pkg-config --cflags rdkafka)"],
      "libraries": ["<!@(pkg-config --libs rdkafka)", "-ldl"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED",
                  # An error raised while a worker is being terminated cannot reach JavaScript:
                  # drop it instead of letting the C++ exception end the whole process.
                  "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"]
    }
  ]
}
