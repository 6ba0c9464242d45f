package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.salientstream.analyzer.SalienceAnalyzer;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.train.Experiment;
import io.salientstream.trainer.train.TrainConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The closed loop over a real broker and registry: a rank-recovery run whose policy is hosted by
 * the salience-analyzer and pruner (sync mode) ends with exactly the keep masks and the
 * bit-identical adapters of the same run with the policy in-process — SalientLoRA and AdaLoRA
 * (triplet masks on SVD adapters) and PRILoRA (entry masks of A on plain LoRA adapters, its inputs
 * sent only at its pruning steps). PRILoRA also runs in async mode.
 */
@WithSharedStack
class SyncLoopReproducesInProcessTest {

  static LoopServices services;
  static Map<String, Object> config;
  static LoopTopics topics = LoopTopics.forPrefix("");

  @BeforeAll
  static void startLoop(SharedStack stack, @TempDir Path state) {
    config = stack.clientConfig();
    // keep four snapshot points, so a trainer can resume from a checkpoint up to three window ends
    // back (the other
    // tests here run with it too; the crash test runs with the default of one)
    config.put(SalienceAnalyzer.RESUME_SNAPSHOTS_CONFIG, 4);
    services = LoopServices.start(config, topics, state, "-sync-test", "test");
  }

  @AfterAll
  static void stopLoop() {
    services.close();
  }

  /**
   * "policy:size": small = 12 matrices of 16×16 at rank 6; demo = the quick demo's 24 matrices of
   * 32×32 at rank 12.
   */
  static Experiment.Spec spec(String which) {
    String policy = which.split(":")[0];
    if (which.endsWith(
        ":permanent")) { // PRILoRA without regrowth: persistent, cumulative entry masks
      TrainConfig train = TrainConfig.defaults(80, 32, 1e-2);
      return new Experiment.Spec(
          "rank-recovery",
          EncoderModel.MINILM,
          policy,
          train,
          6,
          2.0,
          8f,
          16,
          false,
          0,
          0,
          12,
          16,
          4,
          Map.of("regrowth", "false", "pruneInterval", "16"),
          Device.cpu());
    }
    if (which.endsWith(":demo")) {
      TrainConfig train = TrainConfig.defaults(60, 32, 1e-3);
      return new Experiment.Spec(
          "rank-recovery",
          EncoderModel.MINILM,
          policy,
          train,
          12,
          4.0,
          16f,
          64,
          false,
          0,
          0,
          24,
          32,
          8,
          Map.of(),
          Device.cpu());
    }
    TrainConfig train = TrainConfig.defaults(80, 32, 1e-2);
    return new Experiment.Spec(
        "rank-recovery",
        EncoderModel.MINILM,
        policy,
        train,
        6,
        2.0,
        8f,
        16,
        false,
        0,
        0,
        12,
        16,
        4,
        Map.of(),
        Device.cpu());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "salientlora:small",
        "adalora:small",
        "adalora:demo",
        "prilora:small",
        "prilora:permanent"
      })
  void syncModeOverKafkaEndsBitIdenticalToInProcess(String which) throws Exception {
    String policy = which.split(":")[0];
    Experiment.Spec spec = spec(which);
    Map<String, Object> inProcess = Experiment.run(spec, null, null, Long.MAX_VALUE);

    AtomicReference<KafkaAllocationHost> host = new AtomicReference<>();
    KafkaHosts hosts =
        new KafkaHosts(
            config,
            topics,
            "sync-" + policy + "-" + System.nanoTime(),
            "",
            KafkaAllocationHost.Mode.SYNC,
            Duration.ofSeconds(60),
            host::set);
    Map<String, Object> overKafka =
        Experiment.run(spec, null, null, Long.MAX_VALUE, hosts, "kafka-sync");

    assertThat(host.get().commandsApplied()).as("commands applied").isGreaterThan(0);
    assertThat(overKafka.get("keepMasks")).isEqualTo(inProcess.get("keepMasks"));
    assertThat(overKafka.get("finalTotalRank")).isEqualTo(inProcess.get("finalTotalRank"));
    assertThat(overKafka.get("adapterChecksum"))
        .as("adapters bit for bit")
        .isEqualTo(inProcess.get("adapterChecksum"));
    if (policy.equals("prilora")) { // ranks are fixed per layer; what is pruned are entries of A
      assertThat(inProcess.get("keepMasks").toString())
          .as("the policy pruned entries")
          .contains("0");
    } else {
      assertThat((Integer) inProcess.get("finalTotalRank"))
          .as("the policy pruned something")
          .isLessThan(spec.initRank() * spec.matrices());
    }
    assertThat(host.get().latency().count()).isEqualTo((int) host.get().commandsApplied());
  }

  /**
   * Async mode with PRILoRA: the trainer never waits, every pruning step still becomes exactly one
   * command, applied at the first step boundary after it arrives, and the final entry masks keep
   * what the last decision's ratio prescribes.
   */
  @Test
  void priLoraInAsyncModeAppliesEveryDecision() throws Exception {
    Experiment.Spec spec = spec("prilora:small");
    AtomicReference<RankPolicy> policy = new AtomicReference<>();
    AtomicReference<KafkaAllocationHost> host = new AtomicReference<>();
    KafkaHosts kafka =
        new KafkaHosts(
            config,
            topics,
            "async-prilora-" + System.nanoTime(),
            "",
            KafkaAllocationHost.Mode.ASYNC,
            Duration.ofSeconds(60),
            host::set);
    Map<String, Object> run =
        Experiment.run(
            spec,
            null,
            null,
            Long.MAX_VALUE,
            (p, params, s) -> {
              policy.set(p);
              return kafka.create(p, params, s);
            },
            "kafka-async");
    long decisions = 0;
    long last = -1;
    for (long s = 0; s < spec.train().steps(); s++) {
      if (policy.get().decidesAt(s)) {
        decisions++;
        last = s;
      }
    }
    // commands of the last pruning steps may still be on their way when the run ends: wait for
    // none, count the rest
    assertThat(host.get().commandsApplied())
        .as("commands applied")
        .isPositive()
        .isLessThanOrEqualTo(decisions);
    assertThat(host.get().mode()).isEqualTo(KafkaAllocationHost.Mode.ASYNC);
    long kept = 0;
    for (Object bits : ((Map<?, ?>) run.get("keepMasks")).values()) {
      kept += bits.toString().chars().filter(c -> c == '1').count();
    }
    long lastApplied = -1;
    for (long s = 0, seen = 0; s < spec.train().steps(); s++) {
      if (policy.get().decidesAt(s) && ++seen == host.get().commandsApplied()) {
        lastApplied = s;
      }
    }
    assertThat(kept)
        .as(
            "kept A entries after the last command applied (decided at %d of %d)",
            lastApplied, last)
        .isEqualTo(policy.get().budgetAt(lastApplied));
  }

  static Experiment.Spec withTrain(Experiment.Spec s, TrainConfig train) {
    return new Experiment.Spec(
        s.task(),
        s.model(),
        s.policy(),
        train,
        s.initRank(),
        s.targetRank(),
        s.alpha(),
        s.seq(),
        s.padToMax(),
        s.evalLimit(),
        s.testLimit(),
        s.matrices(),
        s.dim(),
        s.maxTrueRank(),
        s.policyParams(),
        s.device());
  }

  /**
   * A trainer crashes two windows after its last checkpoint and is restarted from that checkpoint:
   * run 1 stops at step c (checkpoint), run 2 resumes and goes on past two more window ends to step
   * x-1, then "crashes" (its own checkpoint is lost), run 3 resumes from the checkpoint at c again.
   * The analyzer rewinds to c and the pruner to the rank pattern before the re-decided window ends;
   * the run ends bit-identical to the uninterrupted in-process run.
   */
  @ParameterizedTest
  @ValueSource(strings = {"salientlora:small", "adalora:small"})
  void aTrainerResumedFromAnOlderCheckpointEndsBitIdenticalToInProcess(
      String which, @TempDir Path dir) throws Exception {
    Experiment.Spec base = spec(which);
    // several window ends with room between them: AdaLoRA masks every step at this size (deltaT =
    // steps / 100),
    // SalientLoRA's windows (10 growing to 200 steps by default) give two window ends in 80 steps
    Map<String, String> windows =
        which.startsWith("adalora") ? Map.of("deltaT", "4") : Map.of("tInit", "4", "tFinal", "10");
    Experiment.Spec spec =
        new Experiment.Spec(
            base.task(),
            base.model(),
            base.policy(),
            base.train(),
            base.initRank(),
            base.targetRank(),
            base.alpha(),
            base.seq(),
            base.padToMax(),
            base.evalLimit(),
            base.testLimit(),
            base.matrices(),
            base.dim(),
            base.maxTrueRank(),
            windows,
            base.device());
    AtomicReference<RankPolicy> policy = new AtomicReference<>();
    Map<String, Object> inProcess =
        Experiment.run(
            spec,
            null,
            null,
            Long.MAX_VALUE,
            (p, params, s) -> {
              policy.set(p);
              return Experiment.IN_PROCESS.create(p, params, s);
            },
            "in-process");
    List<Long> ends = new ArrayList<>();
    for (long s = 0; s < spec.train().steps(); s++) {
      if (policy.get().decidesAt(s)) {
        ends.add(s);
      }
    }
    // checkpoint right after window end i; the crashed run went on past window ends i+1 and i+2
    // (two windows lost)
    long checkpointAt = -1;
    long crashAt = -1;
    for (int i = 0; i + 2 < ends.size() && checkpointAt < 0; i++) {
      long after = i + 3 < ends.size() ? ends.get(i + 3) : spec.train().steps();
      if (ends.get(i + 1) - ends.get(i) > 1 && after - ends.get(i + 2) > 2) {
        checkpointAt = ends.get(i) + 1;
        crashAt = ends.get(i + 2) + 2;
      }
    }
    assertThat(checkpointAt).as("three window ends after a checkpoint in %s", ends).isPositive();

    String id = "resume-" + which.replace(':', '-') + "-" + System.nanoTime();
    Path ckpt = dir.resolve("ckpt");
    Path saved = dir.resolve("saved");
    AtomicReference<KafkaAllocationHost> host = new AtomicReference<>();
    KafkaHosts hosts =
        new KafkaHosts(
            config,
            topics,
            id,
            "",
            KafkaAllocationHost.Mode.SYNC,
            Duration.ofSeconds(60),
            host::set);
    Experiment.run(
        withTrain(spec, spec.train().withCheckpoint(ckpt, 0, false)),
        null,
        null,
        checkpointAt,
        hosts,
        "kafka-sync");
    copyTree(ckpt, saved);
    Experiment.run(
        withTrain(spec, spec.train().withCheckpoint(ckpt, 0, true)),
        null,
        null,
        crashAt,
        hosts,
        "kafka-sync");
    int crashedEpoch = host.get().epoch();
    // the crash lost the checkpoint the crashed run wrote at its end, not the folder's resume
    // counter (only ever raised, at each resume): the restart takes the next number, so it gets
    // an epoch above the crashed run's even within the same second
    byte[] resumes = Files.readAllBytes(ckpt.resolve("resumes"));
    Utils.delete(ckpt.toFile());
    copyTree(saved, ckpt);
    Files.write(ckpt.resolve("resumes"), resumes);
    long rewindsBefore = services.analyzer().metrics().rewinds.sum();
    long prunerRewindsBefore = services.pruner().metrics().rewinds.sum();
    Map<String, Object> resumed =
        Experiment.run(
            withTrain(spec, spec.train().withCheckpoint(ckpt, 0, true)),
            null,
            null,
            Long.MAX_VALUE,
            hosts,
            "kafka-sync");

    assertThat(host.get().epoch())
        .as("checkpoint epoch + the next resume number: above the crashed run's")
        .isEqualTo(crashedEpoch + 1);
    assertThat(services.analyzer().metrics().rewinds.sum() - rewindsBefore)
        .as("the analyzer rewound once")
        .isEqualTo(1);
    assertThat(services.pruner().metrics().rewinds.sum() - prunerRewindsBefore)
        .as("the pruner rewound once")
        .isEqualTo(1);
    assertThat(resumed.get("keepMasks")).isEqualTo(inProcess.get("keepMasks"));
    assertThat(resumed.get("finalTotalRank")).isEqualTo(inProcess.get("finalTotalRank"));
    assertThat(resumed.get("adapterChecksum"))
        .as("adapters bit for bit")
        .isEqualTo(inProcess.get("adapterChecksum"));
    assertThat(host.get().commandsApplied())
        .as("one command per decision over the three runs")
        .isEqualTo(ends.size());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      files.forEach(
          f -> {
            try {
              Path target = to.resolve(from.relativize(f).toString());
              if (Files.isDirectory(f)) {
                Files.createDirectories(target);
              } else {
                Files.copy(f, target);
              }
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
    }
  }
}
