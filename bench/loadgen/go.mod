module rdkafka-napi/bench/loadgen

go 1.22
