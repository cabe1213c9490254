// The transactional produce loop in C, on librdkafka directly, for comparing with the bench's
// napi-txn-batch driver (BENCHMARKS.md, Transactions): init once (not timed), then begin,
// produce_batch of <records per transaction> messages, commit; prints records/s. The harness runs
// it as the c-txn driver; bench/txn-loop.mjs is the same loop on our Producer.
// Further arguments are producer properties (e.g. retry.backoff.ms=5); with debug=eos it also
// counts the AddPartitionsToTxn the coordinator refused with CONCURRENT_TRANSACTIONS.
// Without -t it writes to a new topic of its own, after one untimed transaction that creates it.
//
//   gcc -O2 -o txn-loop bench/c/txn-loop.c $(pkg-config --cflags --libs rdkafka)
//   ./txn-loop [-t topic] [-p partition] [-s message bytes] <bootstrap.servers> <records per transaction> <records in all> [name=value ...]
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static long delivered = 0, failed = 0;
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  if (m->err) failed++;
  else delivered++;
}

// librdkafka logs each refusal at debug level (facility ADDPARTS) with the error's text.
static int concurrent_refusals = 0;
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *line) {
  if (strstr(line, rd_kafka_err2str(RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS))) concurrent_refusals++;
  if (level < 7) fprintf(stderr, "%s: %s\n", fac, line);
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s: %s\n", key, errstr);
    exit(2);
  }
}

int main(int argc, char **argv) {
  const char *usage = "usage: %s [-t topic] [-p partition] [-s message bytes] <bootstrap.servers> <records per transaction> <records in all> [name=value ...]\n";
  const char *topic = NULL;
  int partition = 0, message_size = 100, opt;
  while ((opt = getopt(argc, argv, "t:p:s:")) != -1) {
    if (opt == 't') topic = optarg;
    else if (opt == 'p') partition = atoi(optarg);
    else if (opt == 's') message_size = atoi(optarg);
    else {
      fprintf(stderr, usage, argv[0]);
      return 2;
    }
  }
  if (argc - optind < 3 || message_size < 0) {
    fprintf(stderr, usage, argv[0]);
    return 2;
  }
  int size = atoi(argv[optind + 1]), total = atoi(argv[optind + 2]);
  char id[128], errstr[512];
  if (topic) snprintf(id, sizeof id, "txn-loop-%s", topic);
  else snprintf(id, sizeof id, "txn-loop-%ld", (long)time(NULL));
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[optind]);
  set(conf, "transactional.id", id);
  set(conf, "linger.ms", "5");  // the bench's producer settings
  set(conf, "batch.num.messages", "10000");
  for (int i = optind + 3; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "%s: expected name=value\n", argv[i]);
      return 2;
    }
    *eq = '\0';
    set(conf, argv[i], eq + 1);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_log_cb(conf, on_log);
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
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic ? topic : id, NULL);
  char *payload = malloc(message_size + 1);
  memset(payload, 'x', message_size);
  rd_kafka_message_t *messages = calloc(size, sizeof *messages);
  int transactions = total / size;
  double started = now();
  for (int i = topic ? 0 : -1; i < transactions; i++) {  // transaction -1 creates the own topic: not timed
    if (i == 0) started = now();
    rd_kafka_begin_transaction(rk);
    for (int j = 0; j < size; j++) {
      memset(&messages[j], 0, sizeof messages[j]);
      messages[j].payload = payload;
      messages[j].len = message_size;
    }
    if (rd_kafka_produce_batch(rkt, partition, RD_KAFKA_MSG_F_COPY, messages, size) != size) fprintf(stderr, "produce_batch: not all queued\n");
    error = rd_kafka_commit_transaction(rk, 30000);
    if (error) {
      fprintf(stderr, "commit_transaction: %s\n", rd_kafka_error_string(error));
      return 1;
    }
    if (i == -1) delivered = failed = 0;
  }
  double seconds = now() - started;
  printf("librdkafka %s, transactions of %d: %.0f records/s (%.2f ms per transaction), %d CONCURRENT_TRANSACTIONS refusals\n",
         rd_kafka_version_str(), size, transactions * (double)size / seconds, seconds * 1000 / transactions, concurrent_refusals);
  printf("%d transactions, %ld delivered, %ld failed in %.6f s\n", transactions, delivered, failed, seconds);
  free(messages);
  free(payload);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return 0;
}
