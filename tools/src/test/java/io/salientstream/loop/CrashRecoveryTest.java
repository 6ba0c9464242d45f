package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.analyzer.StepRows;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Decision;
import io.salientstream.core.policy.MaskUpdate;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.streams.EventSerdes;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The analyzer and the pruner run in processes of their own and are killed with SIGKILL (no clean
 * shutdown) at random steps of a sync-mode run, then restarted on the same state folders. Every
 * decision of the uninterrupted run still arrives as exactly one command (the commands topic holds
 * sequences 1..K once each), and every mask — hence the final rank pattern — equals the
 * uninterrupted (in-process) run's.
 */
@WithSharedStack
class CrashRecoveryTest {

  static final long STEPS = 150;

  /** A loop service in a child JVM. */
  static final class Child {
    final String which;
    final List<String> command;
    Process process;

    Child(String which, SharedStack stack, Path state, String suffix) {
      this.which = which;
      command =
          List.of(
              Path.of(System.getProperty("java.home"), "bin", "java").toString(),
              "-Xmx384m",
              "-cp",
              System.getProperty("java.class.path"),
              LoopServicesMain.class.getName(),
              stack.bootstrapServers(),
              stack.registryUrl(),
              state.toString(),
              suffix,
              which,
              "session.timeout.ms=6000",
              "heartbeat.interval.ms=1000");
    }

    void start() throws Exception {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
      CountDownLatch ready = new CountDownLatch(1);
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    if (line.equals("READY")) {
                      ready.countDown();
                    }
                  }
                } catch (Exception e) {
                  // process gone
                }
              },
              "child-" + which);
      reader.setDaemon(true);
      reader.start();
      assertThat(ready.await(90, TimeUnit.SECONDS)).as(which + " started").isTrue();
    }

    void kill() throws Exception {
      process.destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no state flush
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void killedAndRestartedServicesLoseNoCommandAndApplyNoneTwice(
      SharedStack stack, @TempDir Path state) throws Exception {
    String suffix = "-crash-" + System.nanoTime();
    Child analyzer = new Child("analyzer", stack, state, suffix);
    Child pruner = new Child("pruner", stack, state, suffix);
    analyzer.start();
    pruner.start();

    Map<String, Object> config = stack.clientConfig();
    LoopTopics topics = LoopTopics.forPrefix("");
    AdapterLayout layout = AdapterLayout.uniform(12, 6, 16, 16, 4);
    Map<String, String> params =
        Map.of(
            "mode",
            "clean",
            "totalSteps",
            Long.toString(STEPS),
            "initialWarmup",
            "10",
            "finalSteps",
            "20",
            "targetBudget",
            "12",
            "tInit",
            "5",
            "tFinal",
            "20");
    String id = "crash-" + System.nanoTime();
    ExperimentSpec spec =
        KafkaHosts.registration(
            id,
            "",
            Policies.create("salientlora", params, layout),
            params,
            "synthetic",
            "synthetic",
            STEPS,
            1,
            "kafka-sync");
    RankPolicy reference = PolicySpecs.create(spec); // the uninterrupted run's decisions
    // -Dsalientstream.crash.seed=N replays the kill points of an earlier run (printed below)
    long seed = Long.getLong("salientstream.crash.seed", System.nanoTime());
    Random kills = new Random(seed);
    TreeSet<Long> killAt = new TreeSet<>();
    while (killAt.size() < 3) {
      killAt.add(15 + (long) kills.nextInt((int) STEPS - 40));
    }
    System.out.println("crash test: seed " + seed + ", kills at steps " + killAt);

    List<RankPruneCommand> applied = new ArrayList<>();
    List<Decision> expected = new ArrayList<>();
    List<CompletableFuture<Void>> restarts = new ArrayList<>();
    Map<Child, CompletableFuture<Void>> restarting = new HashMap<>();
    int n = layout.totalRank();
    boolean[] mask = new boolean[n];
    Arrays.fill(mask, true);
    double[] walk = new double[n];
    Random values = new Random(11);
    for (int i = 0; i < n; i++) {
      walk[i] = 0.01 * (1 + i % 7);
    }
    int killNo = 0;
    try (ExperimentClient client = new ExperimentClient(config, topics, id, "run-1", 1, 0)) {
      client.register(spec);
      for (long s = 0; s < STEPS; s++) {
        if (killAt.contains(s)) {
          Child[] victims =
              switch (killNo++) {
                case 0 -> new Child[] {analyzer};
                case 1 -> new Child[] {pruner};
                default -> new Child[] {analyzer, pruner};
              };
          for (Child c : victims) {
            CompletableFuture<Void> previous = restarting.get(c);
            if (previous != null) {
              previous.get(
                  120, TimeUnit.SECONDS); // a kill hits a running process, not one still starting
            }
            c.kill();
            CompletableFuture<Void> restart =
                CompletableFuture.runAsync(
                    () -> {
                      try {
                        c.start();
                      } catch (Exception e) {
                        throw new IllegalStateException(e);
                      }
                    });
            restarting.put(c, restart);
            restarts.add(restart);
          }
        }
        SingularValueStep event = step(spec, id, s, walk, mask, values);
        Optional<Decision> d = reference.onStep(StepRows.toInput(event));
        d.ifPresent(expected::add);
        client.emit(event);
        if (reference.decidesAt(s)) {
          client.flush();
          List<RankPruneCommand> got = client.await(s, Duration.ofSeconds(150));
          applied.addAll(got);
          RankPruneCommand c = got.get(got.size() - 1);
          int i = 0;
          for (MatrixMask m : c.getMasks()) {
            for (boolean b : m.getKeep()) {
              mask[i++] = b;
            }
          }
        }
      }
    } finally {
      CompletableFuture.allOf(restarts.toArray(CompletableFuture[]::new))
          .get(120, TimeUnit.SECONDS);
      analyzer.kill();
      pruner.kill();
    }

    assertThat(expected).hasSizeGreaterThan(5);
    assertThat(applied).hasSameSizeAs(expected);
    for (int k = 0; k < expected.size(); k++) {
      Decision d = expected.get(k);
      RankPruneCommand c = applied.get(k);
      assertThat(c.getSequence()).isEqualTo(k + 1);
      assertThat(c.getDecidedAtStep()).isEqualTo(d.decidedAt());
      assertThat(c.getApplyAtStep()).isEqualTo(d.effectiveFrom());
      assertThat(flatten(c))
          .as("mask of decision %d", k)
          .containsExactly(((MaskUpdate.TripletMask) d.mask()).keep());
    }
    // what the pruner committed: each sequence exactly once, none lost, none duplicated
    List<Long> onTopic = committedSequences(config, topics, id);
    List<Long> oneToK = new ArrayList<>();
    for (long k = 1; k <= expected.size(); k++) {
      oneToK.add(k);
    }
    assertThat(onTopic).isEqualTo(oneToK);
  }

  static boolean[] flatten(RankPruneCommand c) {
    List<Boolean> all = new ArrayList<>();
    c.getMasks().forEach(m -> all.addAll(m.getKeep()));
    boolean[] out = new boolean[all.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = all.get(i);
    }
    return out;
  }

  static SingularValueStep step(
      ExperimentSpec spec, String id, long s, double[] walk, boolean[] mask, Random rnd) {
    List<MatrixSingularValues> ms = new ArrayList<>();
    int i = 0;
    for (var m : spec.getMatrices()) {
      List<Float> v = new ArrayList<>();
      List<Boolean> k = new ArrayList<>();
      for (int j = 0; j < m.getInitialRank(); j++, i++) {
        walk[i] += 2e-4 * (j % 3) + 5e-5 * rnd.nextGaussian();
        v.add(mask[i] ? (float) walk[i] : 0f);
        k.add(mask[i]);
      }
      ms.add(
          MatrixSingularValues.newBuilder()
              .setName(m.getName())
              .setLayer(m.getLayer())
              .setSingularValues(v)
              .setMask(k)
              .build());
    }
    return SingularValueStep.newBuilder()
        .setExperimentId(id)
        .setRunId("run-1")
        .setEpoch(1)
        .setStep(s)
        .setWallClockMs(Instant.now())
        .setOrthRegLoss(0.3 + 0.05 * rnd.nextDouble())
        .setTaskLoss(1.0)
        .setLearningRate(1e-3)
        .setMatrices(ms)
        .build();
  }

  static List<Long> committedSequences(Map<String, Object> config, LoopTopics topics, String id) {
    Map<String, Object> c = new HashMap<>(ExperimentClient.clientProps(config));
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<Long> seqs = new ArrayList<>();
    try (KafkaConsumer<String, RankPruneCommand> consumer =
        new KafkaConsumer<>(
            c,
            new StringDeserializer(),
            EventSerdes.of(RankPruneCommand.class, config).deserializer())) {
      int partitions = consumer.partitionsFor(topics.rankCommands()).size();
      TopicPartition tp =
          new TopicPartition(topics.rankCommands(), ExperimentClient.partitionFor(id, partitions));
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      while (consumer.position(tp) < end) {
        for (ConsumerRecord<String, RankPruneCommand> r : consumer.poll(Duration.ofMillis(200))) {
          if (id.equals(r.key())) {
            seqs.add(r.value().getSequence());
          }
        }
      }
    }
    return seqs;
  }
}
