package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.Provenance;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.streams.EventSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The trainer's command consumer on a real broker: what it delivers, skips and refuses. */
@WithSharedStack
class ExperimentClientTest {

  private static final int PARTITIONS = 6;

  @Test
  void decodesOnlyItsOwnCommandsAndRefusesCorruptAndForgedOnesWithoutStopping(SharedStack stack)
      throws Exception {
    LoopTopics topics = LoopTopics.forPrefix("ec-" + System.nanoTime() + ".");
    stack
        .admin()
        .createTopics(List.of(new NewTopic(topics.rankCommands(), PARTITIONS, (short) 1)))
        .all()
        .get();
    Map<String, Object> config = stack.clientConfig();

    String id = "exp-a";
    int partition = ExperimentClient.partitionFor(id, PARTITIONS);
    Serializer<RankPruneCommand> serializer =
        EventSerdes.of(RankPruneCommand.class, config).serializer();
    Map<String, Object> p = new LinkedHashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
    try (ExperimentClient client = new ExperimentClient(config, topics, id, "run-1", 1, 0);
        KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      String t = topics.rankCommands();
      List<ProducerRecord<String, byte[]>> records =
          List.of(
              // another experiment on the same partition, with bytes no decoder accepts: not ours,
              // never decoded
              new ProducerRecord<>(t, partition, "exp-b", new byte[] {9, 9, 9}),
              new ProducerRecord<>(
                  t,
                  partition,
                  id,
                  serializer.serialize(t, command(id, "run-0", 1, 1, 10))), // older run
              new ProducerRecord<>(
                  t, partition, id, serializer.serialize(t, command(id, "run-1", 1, 1, 10))),
              new ProducerRecord<>(
                  t,
                  partition,
                  id,
                  serializer.serialize(t, command(id, "run-1", 1, 1, 10))), // replay
              new ProducerRecord<>(
                  t, partition, id, serializer.serialize(t, command(id, "run-1", 1, 2, 20))));
      for (ProducerRecord<String, byte[]> r : records) {
        producer.send(r).get();
      }

      List<RankPruneCommand> got = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (got.size() < 2 && System.nanoTime() < deadline) {
        got.addAll(client.poll(Duration.ofMillis(100)));
      }
      assertThat(got).extracting(RankPruneCommand::getSequence).containsExactly(1L, 2L);
      assertThat(got).allSatisfy(c -> assertThat(c.getTargetRunId()).isEqualTo("run-1"));

      // forged or corrupt records of this run are refused, counted, and block nothing: an
      // undecodable one (a length bomb among them), a sequence jump (issue 15: sequence 1000 made
      // the trainer ignore every real command after it), and then the real next command arrives
      long badOffset =
          producer
              .send(new ProducerRecord<>(t, partition, id, new byte[] {0, 0, 0, 0, 42, 1}))
              .get()
              .offset();
      deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (client.refused() == 0 && System.nanoTime() < deadline) {
        assertThat(client.poll(Duration.ofMillis(100))).isEmpty();
      }
      assertThat(client.refused()).isEqualTo(1);
      assertThat(client.lastRefusal())
          .contains(t + "-" + partition + "@" + badOffset)
          .contains("cannot be decoded");

      // a length bomb, a sequence jump (issue 15: a forged sequence 1000 made the trainer ignore
      // every real command after it): refused, and the real next command still arrives
      byte[] header =
          java.util.Arrays.copyOf(serializer.serialize(t, command(id, "run-1", 1, 3, 30)), 5);
      byte[] bomb = java.util.Arrays.copyOf(header, 10);
      long zigzag = 4_000_000_000L; // a commandId of 2,000,000,000 bytes
      for (int i = 5; i < 10; i++, zigzag >>>= 7) {
        bomb[i] = (byte) ((zigzag & 0x7f) | (i < 9 ? 0x80 : 0));
      }
      producer.send(new ProducerRecord<>(t, partition, id, bomb)).get();
      producer
          .send(
              new ProducerRecord<>(
                  t, partition, id, serializer.serialize(t, command(id, "run-1", 1, 1000, 30))))
          .get();
      producer
          .send(
              new ProducerRecord<>(
                  t, partition, id, serializer.serialize(t, command(id, "run-1", 1, 3, 30))))
          .get();
      List<RankPruneCommand> after = new ArrayList<>();
      deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (after.isEmpty() && System.nanoTime() < deadline) {
        after.addAll(client.poll(Duration.ofMillis(100)));
      }
      assertThat(after).extracting(RankPruneCommand::getSequence).containsExactly(3L);
      assertThat(client.refused()).isEqualTo(3);
      assertThat(client.lastRefusal()).contains("sequence 1000 skips ahead of the next one, 3");
      assertThat(client.lastSequence()).isEqualTo(3);
    }
  }

  private static RankPruneCommand command(
      String id, String runId, int epoch, long sequence, long decidedAt) {
    return RankPruneCommand.newBuilder()
        .setCommandId(id + "/" + epoch + "/" + sequence)
        .setSequence(sequence)
        .setExperimentId(id)
        .setTargetRunId(runId)
        .setTargetEpoch(epoch)
        .setApplyAtStep(decidedAt + 1)
        .setDecidedAtStep(decidedAt)
        .setMasks(List.of(new MatrixMask("q", 0, List.of(true, false), null)))
        .setTotalRank(1)
        .setProvenance(new Provenance("salientlora", Map.of(), 0L, decidedAt, 0.1, "test"))
        .setCreatedAtMs(Instant.EPOCH)
        .build();
  }
}
