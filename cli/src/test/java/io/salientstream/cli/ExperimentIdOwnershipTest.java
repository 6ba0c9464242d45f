package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.loop.LoopTopics;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.streams.EventSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 15's probe: {@code train … --experiment-id <victim>} overwrote a running experiment's
 * registration (68 WRONG_LENGTH dead letters, the victim failed). Now the second trainer stops
 * before it sends anything, in one line naming the experiment and what differs, with exit code 2.
 */
@WithSharedStack
class ExperimentIdOwnershipTest {

  @Test
  void aSecondTrainerCannotTakeOverARunningExperimentId(SharedStack stack) throws Exception {
    LoopTopics topics = LoopTopics.forPrefix("");
    String id = "owned-" + System.nanoTime();
    Map<String, Object> config = stack.clientConfig();
    ExperimentSpec running =
        ExperimentSpec.newBuilder()
            .setExperimentId(id)
            .setCreatedAtMs(Instant.now())
            .setModel("synthetic")
            .setTask("rank-recovery")
            .setMatrices(List.of(new AdaptedMatrix("m0", 0, 8, 8, 3)))
            .setPolicy("lora")
            .setSchedule(new BudgetSchedule(20L, 0L, 0L, 3, 3))
            .build();
    Map<String, Object> p = new HashMap<>();
    p.put("bootstrap.servers", stack.bootstrapServers());
    try (KafkaProducer<String, Object> producer =
        new KafkaProducer<>(p, new StringSerializer(), EventSerdes.anyValue(config))) {
      producer.send(new ProducerRecord<>(topics.experiments(), id, running)).get();
    }

    LauncherTest.Result r =
        LauncherTest.run(
            "train",
            "--task",
            "rank-recovery",
            "--policy",
            "salientlora",
            "--matrices",
            "4",
            "--dim",
            "8",
            "--max-true-rank",
            "2",
            "--steps",
            "20",
            "--no-progress",
            "--experiment-id",
            id,
            "--allocation",
            "kafka-sync",
            "--allocation-config",
            "bootstrap.servers=" + stack.bootstrapServers(),
            "--allocation-config",
            "schema.registry.url=" + stack.registryUrl());
    DependencyFailuresTest.assertOneLine(
        r,
        2,
        "--experiment-id",
        "experiment '" + id + "' is running with a different definition",
        "policy ",
        "register under another experiment id");

    Map<String, Object> c = new HashMap<>(p);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      for (String topic : List.of(topics.singularValues(), topics.trainerStatus())) {
        List<TopicPartition> tps =
            consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(i -> new TopicPartition(topic, i.partition()))
                .toList();
        consumer.assign(tps);
        consumer.seekToBeginning(tps);
        Map<TopicPartition, Long> end = consumer.endOffsets(tps);
        long sent = 0;
        while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
          for (var rec : consumer.poll(Duration.ofMillis(200))) {
            sent += id.equals(rec.key()) ? 1 : 0;
          }
        }
        assertThat(sent).as("records of %s on %s", id, topic).isZero();
      }
    }
  }
}
