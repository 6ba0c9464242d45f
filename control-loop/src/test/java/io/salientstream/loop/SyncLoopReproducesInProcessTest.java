package io.salientstream.loop;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.salientstream.stack.junit.SharedStack;
import io.salientstream.stack.junit.WithSharedStack;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.train.Experiment;
import io.salientstream.trainer.train.TrainConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The closed loop over a real broker and registry: a rank-recovery run whose policy is hosted by the
 * salience-analyzer and pruner (sync mode) ends with exactly the keep masks and the bit-identical adapters of the
 * same run with the policy in-process.
 */
@WithSharedStack
class SyncLoopReproducesInProcessTest {

  static LoopServices services;
  static Map<String, Object> config;
  static LoopTopics topics = LoopTopics.forPrefix("");

  @BeforeAll
  static void startLoop(SharedStack stack, @TempDir Path state) {
    config = new LinkedHashMap<>();
    config.put("bootstrap.servers", stack.bootstrapServers());
    config.put("schema.registry.url", stack.registryUrl());
    services = LoopServices.start(config, topics, state, "-sync-test", "test");
  }

  @AfterAll
  static void stopLoop() {
    services.close();
  }

  /** "policy:size": small = 12 matrices of 16×16 at rank 6; demo = the quick demo's 24 matrices of 32×32 at rank 12. */
  static Experiment.Spec spec(String which) {
    String policy = which.split(":")[0];
    if (which.endsWith(":demo")) {
      TrainConfig train = TrainConfig.defaults(60, 32, 1e-3);
      return new Experiment.Spec("rank-recovery", EncoderModel.MINILM, policy, train, 12, 4.0, 16f, 64, false, 0, 0,
          24, 32, 8, Map.of(), Device.cpu());
    }
    TrainConfig train = TrainConfig.defaults(80, 32, 1e-2);
    return new Experiment.Spec("rank-recovery", EncoderModel.MINILM, policy, train, 6, 2.0, 8f, 16, false, 0, 0,
        12, 16, 4, Map.of(), Device.cpu());
  }

  @ParameterizedTest
  @ValueSource(strings = {"salientlora:small", "adalora:small", "adalora:demo"})
  void syncModeOverKafkaEndsBitIdenticalToInProcess(String which) throws Exception {
    String policy = which.split(":")[0];
    Experiment.Spec spec = spec(which);
    Map<String, Object> inProcess = Experiment.run(spec, null, null, Long.MAX_VALUE);

    AtomicReference<KafkaAllocationHost> host = new AtomicReference<>();
    KafkaHosts hosts = new KafkaHosts(config, topics, "sync-" + policy + "-" + System.nanoTime(), "",
        KafkaAllocationHost.Mode.SYNC, Duration.ofSeconds(60), host::set);
    Map<String, Object> overKafka = Experiment.run(spec, null, null, Long.MAX_VALUE, hosts, "kafka-sync");

    assertThat(host.get().commandsApplied()).as("commands applied").isGreaterThan(0);
    assertThat(overKafka.get("keepMasks")).isEqualTo(inProcess.get("keepMasks"));
    assertThat(overKafka.get("finalTotalRank")).isEqualTo(inProcess.get("finalTotalRank"));
    assertThat(overKafka.get("adapterChecksum")).as("adapters bit for bit").isEqualTo(inProcess.get("adapterChecksum"));
    assertThat((Integer) inProcess.get("finalTotalRank")).as("the policy pruned something")
        .isLessThan(spec.initRank() * spec.matrices());
    assertThat(host.get().latency().count()).isEqualTo((int) host.get().commandsApplied());
  }
}
