package io.salientstream.loop.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.salientstream.analyzer.AnalyzerProcessor;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import io.salientstream.loop.ExperimentClient;
import io.salientstream.loop.KafkaAllocationHost;
import io.salientstream.loop.KafkaHosts;
import io.salientstream.loop.LoopServices;
import io.salientstream.loop.LoopTopics;
import io.salientstream.pruner.PrunerProcessor;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.stack.topics.TopicInitializer;
import io.salientstream.stack.topics.Topics;
import io.salientstream.streams.StreamsApp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A finished experiment leaves every store of the salience-analyzer and the pruner (its trainer
 * tombstones the registration when it closes FINISHED); a failed one keeps its state, so it can be
 * resumed. Real broker, both apps, sync runs of the bench's synthetic trainer.
 */
@WithSharedStack
class FinishedExperimentLeavesTheStoresTest {

  static final long STEPS = 120;

  @Test
  void aFinishedExperimentsKeysAreGoneFromEveryStoreAFailedOnesStay(
      SharedStack stack, @TempDir Path state) throws Exception {
    String prefix = "cleanup-" + System.nanoTime() + ".";
    TopicInitializer.ensureTopics(stack.admin(), Topics.withPrefix(prefix), (short) 1);
    LoopTopics topics = LoopTopics.forPrefix(prefix);
    Map<String, Object> config = stack.clientConfig();
    String finished = "finished-" + System.nanoTime();
    String failed = "failed-" + System.nanoTime();
    try (LoopServices loop =
        LoopServices.start(config, topics, state, "-" + prefix, "cleanup-test")) {
      StreamsApp analyzer = loop.analyzer().app();
      StreamsApp pruner = loop.pruner().app();

      KafkaAllocationHost a = host(config, topics, finished, 1);
      KafkaAllocationHost b = host(config, topics, failed, 2);
      LoopBenchmark.SyntheticWalk walkA = new LoopBenchmark.SyntheticWalk(layout(), 1);
      LoopBenchmark.SyntheticWalk walkB = new LoopBenchmark.SyntheticWalk(layout(), 2);
      a.register();
      b.register();
      long commands = 0;
      for (long step = 0; step < STEPS; step++) {
        for (Decision c : a.afterStep(walkA.next(step))) {
          walkA.apply(c);
          commands++;
        }
        if (step < STEPS / 2) {
          for (Decision c : b.afterStep(walkB.next(step))) {
            walkB.apply(c);
          }
        }
      }
      assertThat(commands).as("the finished run was decided over Kafka").isPositive();
      // before the end both experiments have state in both apps (so the check below can fail)
      for (String id : List.of(finished, failed)) {
        assertThat(keysOf(analyzer, AnalyzerProcessor.STORES, id))
            .as("analyzer keys of " + id)
            .isPositive();
        assertThat(keysOf(pruner, PrunerProcessor.STORES, id))
            .as("pruner keys of " + id)
            .isPositive();
      }

      a.close(); // FINISHED: status, then the registration's tombstone
      b.fail(new IllegalStateException("trainer crashed")); // FAILED: keeps its state
      b.close();

      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(
              () -> {
                assertThat(keysOf(analyzer, AnalyzerProcessor.STORES, finished)).isZero();
                assertThat(keysOf(pruner, PrunerProcessor.STORES, finished)).isZero();
              });
      assertThat(keysOf(analyzer, List.of(AnalyzerProcessor.SPECS), failed)).isEqualTo(1);
      assertThat(keysOf(analyzer, AnalyzerProcessor.STORES, failed)).isGreaterThan(1);
      assertThat(keysOf(pruner, List.of(PrunerProcessor.SPECS, PrunerProcessor.PATTERNS), failed))
          .isEqualTo(2);
    }
  }

  /** Entries of experiment {@code id} (its key, or keys {@code id␀...}) in the app's stores. */
  static long keysOf(StreamsApp app, List<String> stores, String id) {
    long n = 0;
    for (String store : stores) {
      ReadOnlyKeyValueStore<String, byte[]> s =
          app.streams()
              .store(
                  StoreQueryParameters.fromNameAndType(
                      store, QueryableStoreTypes.<String, byte[]>keyValueStore()));
      try (KeyValueIterator<String, byte[]> it = s.all()) {
        while (it.hasNext()) {
          String k = it.next().key;
          if (k.equals(id) || k.startsWith(id + '\u0000')) {
            n++;
          }
        }
      }
    }
    return n;
  }

  static AdapterLayout layout() {
    return AdapterLayout.uniform(4, 2, 8, 8, 4);
  }

  static KafkaAllocationHost host(
      Map<String, Object> config, LoopTopics topics, String id, long seed) {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("mode", "clean");
    params.put("totalSteps", Long.toString(STEPS));
    params.put("initialWarmup", "10");
    params.put("finalSteps", "20");
    params.put("targetBudget", "8");
    params.put("tInit", "5");
    params.put("tFinal", "20");
    RankPolicy policy = Policies.create(SalientLoraPolicy.NAME, params, layout());
    ExperimentSpec spec =
        KafkaHosts.registration(
            id, "", policy, params, "synthetic", "synthetic", STEPS, seed, "kafka-sync");
    ExperimentClient client = new ExperimentClient(config, topics, id, id + "-run", 1, 0);
    return new KafkaAllocationHost(
        client, spec, KafkaAllocationHost.Mode.SYNC, policy::decidesAt, Duration.ofSeconds(60), 0);
  }
}
