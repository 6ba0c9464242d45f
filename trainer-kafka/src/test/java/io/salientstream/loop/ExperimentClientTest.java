package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.Provenance;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.streams.EventSerdes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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

/**
 * The trainer's command consumer on a real broker: what it delivers, skips and refuses, and its
 * checks of commands that carry the run's own id and epoch.
 */
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
      byte[] header = Arrays.copyOf(serializer.serialize(t, command(id, "run-1", 1, 3, 30)), 5);
      byte[] bomb = Arrays.copyOf(header, 10);
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

  static final int MATRICES = 2;
  static final int RANK = 4;

  static ExperimentSpec victimSpec() {
    List<AdaptedMatrix> ms = new ArrayList<>();
    for (int k = 0; k < MATRICES; k++) {
      ms.add(new AdaptedMatrix("layer.0.m" + k, 0, 8, 8, RANK));
    }
    return ExperimentSpec.newBuilder()
        .setExperimentId("victim")
        .setCreatedAtMs(Instant.ofEpochMilli(1))
        .setModel("synthetic")
        .setMatrices(ms)
        .setPolicy("salientlora")
        .setSchedule(new BudgetSchedule(200L, 10L, 40L, MATRICES * RANK, 4))
        .build();
  }

  static RankPruneCommand victimCommand(long seq, long decidedAt, long applyAt, boolean[] keep) {
    List<MatrixMask> masks = new ArrayList<>();
    for (int k = 0; k < MATRICES; k++) {
      List<Boolean> bits = new ArrayList<>();
      for (int i = 0; i < RANK; i++) {
        bits.add(keep[k * RANK + i]);
      }
      masks.add(new MatrixMask("layer.0.m" + k, 0, bits, null));
    }
    return RankPruneCommand.newBuilder()
        .setCommandId("victim/1/" + seq)
        .setSequence(seq)
        .setExperimentId("victim")
        .setTargetRunId("run")
        .setTargetEpoch(1)
        .setApplyAtStep(applyAt)
        .setDecidedAtStep(decidedAt)
        .setMasks(masks)
        .setTotalRank(0)
        .setProvenance(new Provenance("salientlora", Map.of(), 0L, decidedAt, 0.1, "test"))
        .setCreatedAtMs(Instant.EPOCH)
        .build();
  }

  /** The first {@code kept} units kept. */
  static boolean[] keepFirst(int kept) {
    boolean[] k = new boolean[MATRICES * RANK];
    for (int i = 0; i < kept; i++) {
      k[i] = true;
    }
    return k;
  }

  /**
   * The checks of commands that carry the run's own run id and epoch (copied off its events by a
   * forger): each forged command is refused with a reason; the real ones around them are accepted.
   */
  @Test
  void forgedCommandsOfItsOwnRunAreRefusedWithAReasonAndRealOnesAccepted(SharedStack stack)
      throws Exception {
    LoopTopics topics = LoopTopics.forPrefix("ec-check-" + System.nanoTime() + ".");
    stack
        .admin()
        .createTopics(List.of(new NewTopic(topics.rankCommands(), PARTITIONS, (short) 1)))
        .all()
        .get();
    ExperimentSpec spec = victimSpec();
    RankPolicy policy = PolicySpecs.create(spec);
    List<Long> decisions = new ArrayList<>();
    for (long s = 0; s < 200 && decisions.size() < 2; s++) {
      if (policy.decidesAt(s)) {
        decisions.add(s);
      }
    }
    long d1 = decisions.get(0);
    long d2 = decisions.get(1);
    int b1 = policy.budgetAt(d1);
    int b2 = policy.budgetAt(d2);
    assertThat(b2).isLessThanOrEqualTo(b1);
    try (ExperimentClient check =
        new ExperimentClient(stack.clientConfig(), topics, "victim", "run", 1, 0)) {
      check.checkCommandsAgainst(spec, policy::decidesAt);
      // a step where the policy does not decide (issue 15: a forged command at step 661)
      assertThat(check.refusal(victimCommand(1, d1 + 2, d1 + 3, keepFirst(1)), d1 + 5))
          .hasValueSatisfying(r -> assertThat(r).contains("not a decision step"));
      // a decision this run has not reached
      assertThat(check.refusal(victimCommand(1, d1, d1 + 1, keepFirst(b1)), d1 - 1))
          .hasValueSatisfying(r -> assertThat(r).contains("only reached step " + (d1 - 1)));
      // applied far from its decision
      assertThat(check.refusal(victimCommand(1, d1, d1 + 50, keepFirst(b1)), d1))
          .hasValueSatisfying(r -> assertThat(r).contains("applies at step " + (d1 + 50)));
      // more kept than the budget
      assertThat(check.refusal(victimCommand(1, d1, d1 + 1, keepFirst(b1 + 1)), d1))
          .hasValueSatisfying(r -> assertThat(r).contains("above the budget " + b1));
      // a mask of the wrong size
      RankPruneCommand shortMask = victimCommand(1, d1, d1 + 1, keepFirst(b1));
      shortMask.getMasks().get(1).setKeep(List.of(true));
      assertThat(check.refusal(shortMask, d1))
          .hasValueSatisfying(r -> assertThat(r).contains("mask of 1 bits for rank " + RANK));
      // the real one
      RankPruneCommand real1 = victimCommand(1, d1, d1 + 1, keepFirst(b1));
      assertThat(check.refusal(real1, d1)).isEmpty();
      check.applied(real1);

      // the same decision again, and a revival of a unit pruned at d1 (SalientLoRA never revives)
      assertThat(check.refusal(victimCommand(2, d1, d1 + 1, keepFirst(b1)), d2))
          .hasValueSatisfying(r -> assertThat(r).contains("already applied"));
      boolean[] revive = keepFirst(b2);
      revive[b2 - 1] = false;
      revive[MATRICES * RANK - 1] = true; // pruned at d1 (b1 < 8)
      assertThat(b1).isLessThan(MATRICES * RANK);
      assertThat(check.refusal(victimCommand(2, d2, d2 + 1, revive), d2))
          .hasValueSatisfying(r -> assertThat(r).contains("never revives"));
      // none of the refusals moved anything: the real second command is accepted
      assertThat(check.refusal(victimCommand(2, d2, d2 + 1, keepFirst(b2)), d2)).isEmpty();
    }
  }
}
