// The transactional produce loop in C, on librdkafka directly, for comparing with the bench's
// napi-txn-batch driver (BENCHMARKS.md, Transactions): init once, then begin, produce_batch of
// <size> 100-byte messages to partition 0, commit; prints records/s. Not run by the harness.
//
//   gcc -O2 -o txn-loop bench/c/txn-loop.c $(pkg-config --cflags --libs rdkafka)
//   ./txn-loop <bootstrap.servers> <records per transaction> <records in all>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s: %s\n", key, errstr);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <bootstrap.servers> <records per transaction> <records in all>\n", argv[0]);
    return 2;
  }
  int size = atoi(argv[2]), total = atoi(argv[3]);
  char id[64], errstr[512];
  snprintf(id, sizeof id, "txn-loop-%ld", (long)time(NULL));
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[1]);
  set(conf, "transactional.id", id);
  set(conf, "linger.ms", "5");  // the bench's producer settings
  set(conf, "batch.num.messages", "10000");
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) {
    fprintf(stderr, "%s\n", errstr);
    return 1;
  }
  rd_kafka_error_t *error = rd_kafka_init_transactions(rk, 30000);
  if (error) {
    fprintf(stderr, "init_transactions: %s\n", rd_kafka_error_string(error));
    return 1;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, id, NULL);
  char payload[100];
  memset(payload, 'x', sizeof payload);
  rd_kafka_message_t *messages = calloc(size, sizeof *messages);
  int transactions = total / size;
  double started = 0;
  for (int i = -1; i < transactions; i++) {  // transaction -1 creates the topic: not timed
    if (i == 0) started = now();
    rd_kafka_begin_transaction(rk);
    for (int j = 0; j < size; j++) {
      memset(&messages[j], 0, sizeof messages[j]);
      messages[j].payload = payload;
      messages[j].len = sizeof payload;
    }
    if (rd_kafka_produce_batch(rkt, 0, RD_KAFKA_MSG_F_COPY, messages, size) != size) fprintf(stderr, "produce_batch: not all queued\n");
    error = rd_kafka_commit_transaction(rk, 30000);
    if (error) {
      fprintf(stderr, "commit_transaction: %s\n", rd_kafka_error_string(error));
      return 1;
    }
  }
  double seconds = now() - started;
  printf("librdkafka %s, transactions of %d: %.0f records/s (%.2f ms per transaction)\n", rd_kafka_version_str(), size,
         transactions * (double)size / seconds, seconds * 1000 / transactions);
  free(messages);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return 0;
}
