package io.salientstream.loop;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.BudgetSchedule;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.schemas.PolicySpecs;
import io.salientstream.streams.Dependencies;
import io.salientstream.trainer.train.Experiment;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * {@link Experiment.HostFactory} for {@code --allocation kafka-sync|kafka-async}: turns a run's
 * core policy into an experiment registration, publishes it, and hosts the run through a {@link
 * KafkaAllocationHost}.
 */
public final class KafkaHosts implements Experiment.HostFactory {

  private final Map<String, Object> config;
  private final LoopTopics topics;
  private final String experimentId;
  private final String tenant;
  private final KafkaAllocationHost.Mode mode;
  private final Duration syncTimeout;
  private final Consumer<KafkaAllocationHost> onCreate;
  private KafkaAllocationHost host;

  /**
   * @param config Kafka client properties plus {@code schema.registry.url}
   * @param onCreate called with the host once it exists (to read its latency and lag after the run)
   */
  public KafkaHosts(
      Map<String, Object> config,
      LoopTopics topics,
      String experimentId,
      String tenant,
      KafkaAllocationHost.Mode mode,
      Duration syncTimeout,
      Consumer<KafkaAllocationHost> onCreate) {
    this.config = config;
    this.topics = topics;
    this.experimentId = experimentId;
    this.tenant = tenant;
    this.mode = mode;
    this.syncTimeout = syncTimeout;
    this.onCreate = onCreate;
  }

  @Override
  public KafkaAllocationHost create(
      RankPolicy policy, Map<String, String> params, Experiment.Spec spec) {
    // before any work: one line naming a missing broker, topic or registry (exit code 3)
    Dependencies.requireBroker(config, Dependencies.DEFAULT_TIMEOUT);
    Dependencies.requireTopics(
        config,
        List.of(
            topics.experiments(),
            topics.singularValues(),
            topics.rankCommands(),
            topics.trainerStatus()),
        tenant,
        Dependencies.DEFAULT_TIMEOUT);
    Dependencies.requireRegistry(config, Dependencies.DEFAULT_TIMEOUT);
    ExperimentSpec registration =
        registration(
            experimentId,
            tenant,
            policy,
            params,
            spec.task(),
            spec.task().equals("rank-recovery") ? "synthetic" : spec.model().cliName(),
            spec.train().steps(),
            spec.train().seed(),
            "kafka-" + mode.name().toLowerCase(Locale.ROOT));
    // the id is owned by a running experiment's definition: a different one stops here, before
    // anything is sent (the apps would refuse its registration and dead-letter its steps)
    ExperimentOwnership.requireFreeOrSame(
        config, topics, registration, Dependencies.DEFAULT_TIMEOUT);
    int epoch =
        (int)
            (System.currentTimeMillis() / 1000); // increases across runs of the same experiment id
    String runId = experimentId + "-" + Long.toHexString(System.nanoTime());
    ExperimentClient client = new ExperimentClient(config, topics, experimentId, runId, epoch, 0);
    host = new KafkaAllocationHost(client, registration, mode, policy::decidesAt, syncTimeout, 10);
    host.register();
    onCreate.accept(host);
    return host;
  }

  /**
   * The registration of a run whose policy was built from {@code params}: the streamed loop
   * rebuilds exactly this policy from it ({@link PolicySpecs#create} gives back the same parameters
   * and layout).
   */
  public static ExperimentSpec registration(
      String id,
      String tenant,
      RankPolicy policy,
      Map<String, String> params,
      String task,
      String model,
      long totalSteps,
      long seed,
      String allocation) {
    AdapterLayout layout = policy.layout();
    List<AdaptedMatrix> ms = new ArrayList<>();
    for (AdapterLayout.Matrix m : layout.matrices()) {
      ms.add(new AdaptedMatrix(m.name(), m.layer(), m.dOut(), m.dIn(), m.initialRank()));
    }
    long warm =
        Long.parseLong(params.getOrDefault("initialWarmup", params.getOrDefault("tInit", "0")));
    long fin =
        Long.parseLong(params.getOrDefault("finalSteps", params.getOrDefault("tFinal", "0")));
    ExperimentSpec spec =
        ExperimentSpec.newBuilder()
            .setExperimentId(id)
            .setTenant(tenant.isEmpty() ? "default" : tenant)
            .setCreatedAtMs(Instant.now())
            .setModel(model)
            .setTask(task)
            .setMatrices(ms)
            .setPolicy(policy.name())
            .setPolicyParams(new TreeMap<>(params))
            .setSeed(seed)
            .setAllocation(allocation)
            .setSchedule(
                new BudgetSchedule(
                    totalSteps, warm, fin, layout.totalRank(), policy.budgetAt(totalSteps)))
            .build();
    Map<String, String> rebuilt = PolicySpecs.params(spec);
    params.forEach(
        (k, v) -> {
          if (!v.equals(rebuilt.get(k))) {
            throw new IllegalStateException(
                "registration of "
                    + id
                    + " would rebuild "
                    + k
                    + "="
                    + rebuilt.get(k)
                    + " instead of "
                    + v);
          }
        });
    return spec;
  }

  public KafkaAllocationHost host() {
    return host;
  }

  /** Control-loop figures of the run: commands applied, loop latency, command lag. */
  @Override
  public Map<String, Object> reportExtras() {
    if (host == null) {
      return Map.of();
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("experimentId", experimentId);
    m.put("commandsApplied", host.commandsApplied());
    m.put(
        "loopLatencyMs",
        Map.of(
            "p50",
            host.latency().percentile(50),
            "p99",
            host.latency().percentile(99),
            "samples",
            host.latency().count()));
    m.put("commandLagSteps", Map.of("mean", host.meanLagSteps(), "max", host.maxLagSteps()));
    m.put("loopLatencySamplesMs", host.latency().snapshot());
    return m;
  }
}
