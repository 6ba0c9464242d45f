package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.TrainerState;
import io.salientstream.avro.TrainerStatus;
import io.salientstream.core.cli.UnavailableException;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.EventSerdes;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * How the trainer's Kafka host fails and resumes, on a real broker: a tenant without topics is one
 * line (not {@code / by zero}), a waiting sync trainer says what it waits for, a failed run is
 * FAILED (not FINISHED), and two runs resumed from one checkpoint never share an epoch.
 */
@WithSharedStack
class TrainerHostFailureModesTest {

  private static LoopTopics freshTopics(SharedStack stack) throws Exception {
    String prefix = "thf-" + System.nanoTime() + ".";
    TopicInitializer.ensureTopics(stack.admin(), Topics.withPrefix(prefix), (short) 1);
    return LoopTopics.forPrefix(prefix);
  }

  @Test
  void aTenantWithoutTopicsIsOneLineNamingTheTopicAndTheFix(SharedStack stack) {
    LoopTopics ghost = LoopTopics.forPrefix("ghost-" + System.nanoTime() + ".");
    assertThatThrownBy(
            () -> new ExperimentClient(stack.clientConfig(), ghost, "exp", "run", 1, 0).close())
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining(ghost.rankCommands())
        .hasMessageContaining("topics create --tenant ghost-")
        .hasMessageContaining(stack.bootstrapServers())
        .hasMessageNotContaining("/ by zero");
  }

  @Test
  void aWaitingSyncTrainerSaysWhatItWaitsFor(SharedStack stack) throws Exception {
    LoopTopics topics = freshTopics(stack);
    List<String> notices = new CopyOnWriteArrayList<>();
    try (ExperimentClient client =
        new ExperimentClient(stack.clientConfig(), topics, "waiting-exp", "run-1", 3, 0)) {
      client.waitNotices(Duration.ofMillis(300), notices::add);
      assertThatThrownBy(() -> client.await(7, Duration.ofMillis(1500)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("no rank-pruning command for the decision at step 7");
    }
    assertThat(notices).hasSizeGreaterThanOrEqualTo(2);
    assertThat(notices.get(0))
        .contains("experiment 'waiting-exp' epoch 3")
        .contains("waiting for the rank-pruning command decided at step 7")
        .contains(topics.rankCommands())
        .contains("salience-analyzer and the pruner");
  }

  @Test
  void aFailedRunIsReportedFailedNotFinished(SharedStack stack) throws Exception {
    LoopTopics topics = freshTopics(stack);
    Map<String, Object> config = stack.clientConfig();
    String failed = "failed-" + System.nanoTime();
    String early = "early-" + System.nanoTime();
    try (KafkaAllocationHost h = host(config, topics, failed, 1000)) {
      h.register();
      h.fail(new IllegalStateException("no rank-pruning command for the decision at step 221"));
    }
    try (KafkaAllocationHost h = host(config, topics, early, 1000)) {
      h.register(); // closed before its last step, without an exception
    }
    Map<String, TrainerStatus> last = lastStatus(config, topics, 2);
    assertThat(last.get(failed).getState()).isEqualTo(TrainerState.FAILED);
    assertThat(last.get(failed).getMessage().toString()).contains("decision at step 221");
    assertThat(last.get(early).getState()).isEqualTo(TrainerState.FAILED);
    assertThat(last.get(early).getMessage().toString()).contains("run ended at step 0 of 800");
  }

  @Test
  void runsResumedFromOneCheckpointWithinOneSecondGetDistinctEpochs(SharedStack stack)
      throws Exception {
    LoopTopics topics = freshTopics(stack);
    Map<String, Object> config = stack.clientConfig();
    String id = "resume-" + System.nanoTime();
    byte[] checkpoint = hostSnapshot(0, 0, 1000); // written by the run of epoch 1000
    int sameSecond = 1005; // both restarts start within the same wall-clock second

    List<Integer> withCounter = new ArrayList<>();
    List<Integer> withoutCounter = new ArrayList<>();
    for (int resume = 1; resume <= 2; resume++) {
      try (KafkaAllocationHost h = host(config, topics, id, sameSecond)) {
        h.restore(checkpoint, resume);
        withCounter.add(h.epoch());
      }
      try (KafkaAllocationHost h = host(config, topics, id, sameSecond)) {
        h.restore(checkpoint); // the old way: only "above the checkpoint's epoch"
        withoutCounter.add(h.epoch());
      }
    }
    assertThat(withCounter).containsExactly(1001, 1002);
    assertThat(withoutCounter).as("the collision the counter removes").containsExactly(1005, 1005);
  }

  private static byte[] hostSnapshot(long lastSequence, long applied, int epoch) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(b)) {
      out.writeLong(lastSequence);
      out.writeLong(applied);
      out.writeInt(epoch);
    }
    return b.toByteArray();
  }

  private static KafkaAllocationHost host(
      Map<String, Object> config, LoopTopics topics, String id, int epoch) {
    AdapterLayout layout = AdapterLayout.uniform(2, 2, 8, 8, 4);
    Map<String, String> params =
        Map.of(
            "mode", "clean",
            "totalSteps", "800",
            "initialWarmup", "10",
            "finalSteps", "20",
            "targetBudget", "8",
            "tInit", "5",
            "tFinal", "20");
    RankPolicy policy = Policies.create("salientlora", params, layout);
    ExperimentSpec spec =
        KafkaHosts.registration(
            id, "", policy, params, "synthetic", "synthetic", 800, 1, "kafka-sync");
    ExperimentClient client = new ExperimentClient(config, topics, id, id + "-run", epoch, 0);
    return new KafkaAllocationHost(
        client, spec, KafkaAllocationHost.Mode.SYNC, policy::decidesAt, Duration.ofSeconds(5), 0);
  }

  /** The last status of each experiment on the status topic, once {@code experiments} have one. */
  private static Map<String, TrainerStatus> lastStatus(
      Map<String, Object> config, LoopTopics topics, int experiments) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.get("bootstrap.servers"));
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "thf-" + System.nanoTime());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Deserializer<TrainerStatus> d = EventSerdes.of(TrainerStatus.class, config).deserializer();
    Map<String, TrainerStatus> last = new HashMap<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topics.trainerStatus()));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          last.put(r.key(), d.deserialize(r.topic(), r.value()));
        }
        if (last.size() >= experiments
            && last.values().stream().allMatch(s -> s.getState() != TrainerState.STARTING)) {
          break;
        }
      }
    }
    return last;
  }
}
