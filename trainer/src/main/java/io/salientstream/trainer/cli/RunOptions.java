package io.salientstream.trainer.cli;

import ai.djl.Device;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.train.Experiment;
import io.salientstream.trainer.train.TrainConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options shared by {@code train} and {@code compare}. */
public final class RunOptions {

  @Option(names = "--task", required = true, description = "wordnet | rank-recovery")
  String task;

  @Option(names = "--model", defaultValue = "minilm", description = "minilm | bge-small (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--allocation", defaultValue = "in-process",
      description = "where the policy runs: in-process (default), kafka-sync or kafka-async (the salience-analyzer and pruner over Kafka)")
  String allocation;

  @Option(names = "--experiment-id", description = "experiment id for --allocation kafka-* (default: <task>-<policy>-<time>)")
  String experimentId;

  @Option(names = "--allocation-config", paramLabel = "KEY=VALUE",
      description = "settings of a kafka-* allocation, repeatable: bootstrap.servers, schema.registry.url, salientstream.tenant, any Kafka client property (defaults: localhost:9092, http://localhost:8081, KAFKA_* environment)")
  Map<String, String> allocationConfig = new java.util.LinkedHashMap<>();

  @Option(names = "--steps", defaultValue = "300", description = "optimizer steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--batch", defaultValue = "32", description = "examples per step (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--seq", defaultValue = "64", description = "max tokens per example (default: ${DEFAULT-VALUE})")
  int seq;

  @Option(names = "--pad-to-max", description = "pad every batch to --seq tokens (default: to the longest in batch)")
  boolean padToMax;

  @Option(names = "--seed", defaultValue = "42", description = "seed of init and data order (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--lr", defaultValue = "1e-3", description = "peak learning rate, AdamW (default: ${DEFAULT-VALUE})")
  double lr;

  @Option(names = "--warmup", description = "LR warm-up steps (default: 10%% of --steps)")
  Integer warmup;

  @Option(names = "--clip", defaultValue = "1.0", description = "gradient-norm clip, <= 0 off (default: ${DEFAULT-VALUE})")
  double clip;

  @Option(names = "--orth-coef", defaultValue = "0.5", description = "orthogonal regulariser coefficient (default: ${DEFAULT-VALUE})")
  double orthCoef;

  @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE})")
  double weightDecay;

  @Option(names = "--eval-every", defaultValue = "0", description = "validate every K steps, 0 = only at the end")
  int evalEvery;

  @Option(names = "--eval-limit", defaultValue = "1000", description = "validation examples per evaluation (default: ${DEFAULT-VALUE})")
  int evalLimit;

  @Option(names = "--test-limit", defaultValue = "3000", description = "test examples in the final evaluation, 0 = all (default: ${DEFAULT-VALUE})")
  int testLimit;

  @Option(names = "--rank", defaultValue = "12", description = "initial rank per adapted matrix (default: ${DEFAULT-VALUE})")
  int rank;

  @Option(names = "--target-rank", defaultValue = "4", description = "average final rank (budget = this x matrices; LoRA baseline uses it as its fixed rank in compare) (default: ${DEFAULT-VALUE})")
  double targetRank;

  @Option(names = "--alpha", defaultValue = "16", description = "adapter alpha: SVD scale alpha/(r+1e-5), LoRA alpha/r (default: ${DEFAULT-VALUE})")
  float alpha;

  @Option(names = "--policy-param", description = "core policy parameter key=value, or policy.key=value for one policy only (repeatable); overrides derived ones")
  Map<String, String> policyParams = new LinkedHashMap<>();

  @Option(names = "--input-ema", defaultValue = "0.9", description = "PRILoRA input-norm EMA factor (default: ${DEFAULT-VALUE})")
  double inputEma;

  @Option(names = "--matrices", defaultValue = "48", description = "rank-recovery: number of adapted matrices M (default: ${DEFAULT-VALUE})")
  int matrices;

  @Option(names = "--dim", defaultValue = "64", description = "rank-recovery: matrix size d (default: ${DEFAULT-VALUE})")
  int dim;

  @Option(names = "--max-true-rank", defaultValue = "8", description = "rank-recovery: true ranks spread over 1..this (default: ${DEFAULT-VALUE})")
  int maxTrueRank;

  @Option(names = "--device", defaultValue = "cpu", description = "cpu | gpu (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--no-progress", description = "no progress bar on stderr")
  boolean noProgress;

  /** The host factory for {@code --allocation}: in-process, or a provider found on the class path. */
  Experiment.HostFactory hosts(String policy) {
    if (allocation.equals("in-process")) {
      return Experiment.IN_PROCESS;
    }
    String id = experimentId != null ? experimentId
        : task.toLowerCase(Locale.ROOT) + "-" + policy.toLowerCase(Locale.ROOT) + "-" + Long.toString(System.currentTimeMillis(), 36);
    return io.salientstream.trainer.host.AllocationHostProvider.find(allocation).orElseThrow()
        .factory(allocation, id, allocationConfig);
  }

  Experiment.Spec spec(String policy, Path checkpointDir, int checkpointEvery, boolean resume) {
    if (!allocation.equals("in-process") && io.salientstream.trainer.host.AllocationHostProvider.find(allocation).isEmpty()) {
      throw new IllegalArgumentException("--allocation must be in-process, kafka-sync or kafka-async, got '"
          + allocation + "'" + (allocation.startsWith("kafka") ? " (the Kafka hosts are not on the class path)" : ""));
    }
    String t = task.toLowerCase(Locale.ROOT);
    if (!t.equals("wordnet") && !t.equals("rank-recovery")) {
      throw new IllegalArgumentException("--task must be wordnet or rank-recovery, got '" + task + "'");
    }
    String p = policy.toLowerCase(Locale.ROOT);
    if (!Experiment.POLICIES.contains(p)) {
      throw new IllegalArgumentException("--policy must be one of " + Experiment.POLICIES + ", got '" + policy + "'");
    }
    if (p.equals("probe") && t.equals("rank-recovery")) {
      throw new IllegalArgumentException("--policy probe is the frozen-encoder baseline of --task wordnet");
    }
    Device dev = switch (device.toLowerCase(Locale.ROOT)) {
      case "cpu" -> Device.cpu();
      case "gpu" -> Device.gpu();
      default -> throw new IllegalArgumentException("--device must be cpu or gpu, got '" + device + "'");
    };
    if (rank <= 0) {
      throw new IllegalArgumentException("--rank must be > 0, got " + rank);
    }
    if (!(targetRank > 0) || targetRank > rank) {
      throw new IllegalArgumentException("--target-rank must be in (0, --rank], got " + targetRank);
    }
    if (seq < 8 || seq > 512) {
      throw new IllegalArgumentException("--seq must be in [8, 512], got " + seq);
    }
    EncoderModel m = EncoderModel.parse(model);
    int wu = warmup != null ? warmup : steps / 10;
    TrainConfig cfg = new TrainConfig(steps, batch, lr, wu, clip, orthCoef, weightDecay, evalEvery, seed, inputEma,
        checkpointDir, checkpointEvery, resume, !noProgress);
    return new Experiment.Spec(t, m, p, cfg, rank, targetRank, alpha, seq, padToMax, evalLimit, testLimit, matrices,
        dim, maxTrueRank, policyParams, dev);
  }
}
