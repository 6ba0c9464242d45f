package io.salientstream.trainer.cli;

import ai.djl.Device;
import io.salientstream.trainer.host.AllocationHostProvider;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.train.Experiment;
import io.salientstream.trainer.train.TrainConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options shared by {@code train} and {@code compare}. */
public final class RunOptions {

  @Option(names = "--task", required = true, description = "wordnet | sentiment | rank-recovery")
  String task;

  @Option(
      names = "--model",
      defaultValue = "minilm",
      description = "minilm | bge-small (default: ${DEFAULT-VALUE})")
  String model;

  @Option(
      names = "--allocation",
      defaultValue = "in-process",
      description =
          "where the policy runs: in-process (default), kafka-sync or kafka-async (the salience-analyzer and pruner over Kafka)")
  String allocation;

  @Option(
      names = "--experiment-id",
      description = "experiment id for --allocation kafka-* (default: <task>-<policy>-<time>)")
  String experimentId;

  @Option(
      names = "--allocation-config",
      paramLabel = "KEY=VALUE",
      description =
          "settings of a kafka-* allocation, repeatable: config (a properties file, where credentials belong; default $SALIENTSTREAM_CONFIG), bootstrap.servers, schema.registry.url, salientstream.tenant, any Kafka client property (defaults: localhost:9092, http://localhost:8081, KAFKA_* environment)")
  Map<String, String> allocationConfig = new LinkedHashMap<>();

  // Options a task preset can fill (see Presets) have no defaultValue: null means "not given".

  @Option(names = "--steps", description = "optimizer steps (default: task preset, else 300)")
  Integer steps;

  @Option(names = "--batch", description = "examples per step (default: task preset, else 32)")
  Integer batch;

  @Option(names = "--seq", description = "max tokens per example (default: task preset, else 64)")
  Integer seq;

  @Option(
      names = "--pad-to-max",
      description = "pad every batch to --seq tokens (default: to the longest in batch)")
  boolean padToMax;

  @Option(
      names = "--seed",
      defaultValue = "42",
      description = "seed of init and data order (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(
      names = "--lr",
      description = "peak learning rate, AdamW (default: task preset, else 1e-3)")
  Double lr;

  @Option(names = "--warmup", description = "LR warm-up steps (default: 10%% of --steps)")
  Integer warmup;

  @Option(
      names = "--clip",
      defaultValue = "1.0",
      description = "gradient-norm clip, <= 0 off (default: ${DEFAULT-VALUE})")
  double clip;

  @Option(
      names = "--orth-coef",
      description = "orthogonal regulariser coefficient (default: task preset, else 0.5)")
  Double orthCoef;

  @Option(
      names = "--weight-decay",
      defaultValue = "0",
      description = "AdamW weight decay (default: ${DEFAULT-VALUE})")
  double weightDecay;

  @Option(
      names = "--eval-every",
      defaultValue = "0",
      description = "validate every K steps, 0 = only at the end")
  int evalEvery;

  @Option(
      names = "--eval-limit",
      defaultValue = "1000",
      description = "validation examples per evaluation (default: ${DEFAULT-VALUE})")
  int evalLimit;

  @Option(
      names = "--test-limit",
      defaultValue = "3000",
      description = "test examples in the final evaluation, 0 = all (default: ${DEFAULT-VALUE})")
  int testLimit;

  @Option(
      names = "--rank",
      description = "initial rank per adapted matrix (default: task preset, else 12)")
  Integer rank;

  @Option(
      names = "--target-rank",
      description =
          "average final rank (budget = this x matrices; LoRA baseline uses it as its fixed rank in compare) (default: task preset — rank-recovery: Σ true ranks / matrices — else 4)")
  Double targetRank;

  @Option(
      names = "--alpha",
      defaultValue = "16",
      description =
          "adapter alpha: SVD scale alpha/(r+1e-5), LoRA alpha/r (default: ${DEFAULT-VALUE})")
  float alpha;

  @Option(
      names = "--policy-param",
      description =
          "core policy parameter key=value, or policy.key=value for one policy only (repeatable); overrides derived ones")
  Map<String, String> policyParams = new LinkedHashMap<>();

  @Option(
      names = "--input-ema",
      defaultValue = "0.9",
      description = "PRILoRA input-norm EMA factor (default: ${DEFAULT-VALUE})")
  double inputEma;

  @Option(
      names = "--matrices",
      defaultValue = "48",
      description = "rank-recovery: number of adapted matrices M (default: ${DEFAULT-VALUE})")
  int matrices;

  @Option(
      names = "--dim",
      defaultValue = "64",
      description = "rank-recovery: matrix size d (default: ${DEFAULT-VALUE})")
  int dim;

  @Option(
      names = "--max-true-rank",
      defaultValue = "8",
      description = "rank-recovery: true ranks spread over 1..this (default: ${DEFAULT-VALUE})")
  int maxTrueRank;

  @Option(
      names = "--device",
      defaultValue = "cpu",
      description = "cpu | gpu (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--no-progress", description = "no progress bar on stderr")
  boolean noProgress;

  @Option(
      names = "--show-preset",
      description = "print the settings this run would use (task preset + flags given) and exit")
  boolean showPreset;

  @Option(
      names = "--no-preset",
      description = "ignore the task preset: options not given take the plain defaults")
  boolean noPreset;

  /** The most optimizer steps a run may ask for. */
  static final int MAX_STEPS = 100_000_000;

  /** The longest experiment id (it is a Kafka key and part of topic-free names in logs). */
  static final int MAX_EXPERIMENT_ID = 200;

  /**
   * Every numeric option that needs no preset is within its bounds, and the experiment id is
   * usable; each error names the option (exit code 2).
   */
  private void checkBounds(int checkpointEvery) {
    if (experimentId != null) {
      if (experimentId.isBlank()) {
        throw new IllegalArgumentException("--experiment-id must not be empty");
      }
      if (experimentId.length() > MAX_EXPERIMENT_ID) {
        throw new IllegalArgumentException(
            "--experiment-id must be at most "
                + MAX_EXPERIMENT_ID
                + " characters, got "
                + experimentId.length());
      }
      for (int i = 0; i < experimentId.length(); i++) {
        char c = experimentId.charAt(i);
        if (Character.isWhitespace(c) || Character.isISOControl(c)) {
          throw new IllegalArgumentException(
              "--experiment-id must not contain whitespace or control characters (at index "
                  + i
                  + ")");
        }
      }
    }
    bounded("--checkpoint-every", checkpointEvery, 0, MAX_STEPS);
    bounded("--eval-every", evalEvery, 0, MAX_STEPS);
    bounded("--eval-limit", evalLimit, 0, 10_000_000);
    bounded("--test-limit", testLimit, 0, 10_000_000);
    bounded("--matrices", matrices, 1, 100_000);
    bounded("--dim", dim, 1, 65_536);
    bounded("--max-true-rank", maxTrueRank, 1, 65_536);
    finite("--clip", clip, -1e9, 1e9);
    finite("--weight-decay", weightDecay, 0, 1e3);
    finite("--alpha", alpha, Double.MIN_VALUE, 1e6);
    finite("--input-ema", inputEma, 0, 1);
    if (steps != null) {
      bounded("--steps", steps, 1, MAX_STEPS);
    }
    if (batch != null) {
      bounded("--batch", batch, 1, 65_536);
    }
    if (rank != null) {
      bounded("--rank", rank, 1, 4_096);
    }
    if (lr != null) {
      finite("--lr", lr, Double.MIN_VALUE, 10);
    }
  }

  private static void bounded(String option, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          option
              + (min == 1
                  ? " must be > 0 and at most " + max
                  : " must be in [" + min + ", " + max + "]")
              + ", got "
              + value);
    }
  }

  private static void finite(String option, double value, double min, double max) {
    if (!Double.isFinite(value) || value < min || value > max) {
      throw new IllegalArgumentException(
          option
              + " must be a finite number in "
              + (min == Double.MIN_VALUE ? "(0" : "[" + Presets.trim(min))
              + ", "
              + Presets.trim(max)
              + "], got "
              + value);
    }
  }

  /**
   * A run's spec and how its preset-able settings were resolved (printed at the start of the run).
   */
  record Resolved(Experiment.Spec spec, String settings) {}

  /**
   * The host factory for {@code --allocation}: in-process, or a provider found on the class path.
   */
  Experiment.HostFactory hosts(String policy) {
    if (allocation.equals("in-process")) {
      return Experiment.IN_PROCESS;
    }
    String id =
        experimentId != null
            ? experimentId
            : task.toLowerCase(Locale.ROOT)
                + "-"
                + policy.toLowerCase(Locale.ROOT)
                + "-"
                + Long.toString(System.currentTimeMillis(), 36);
    return AllocationHostProvider.find(allocation)
        .orElseThrow()
        .factory(allocation, id, allocationConfig);
  }

  Experiment.Spec spec(String policy, Path checkpointDir, int checkpointEvery, boolean resume) {
    return resolve(policy, checkpointDir, checkpointEvery, resume).spec();
  }

  /**
   * Resolves the run for {@code policy}: each preset-able option is the flag when given, else the
   * task preset's value, else the plain default; the preset's policy parameters sit below any
   * {@code --policy-param}.
   */
  Resolved resolve(String policy, Path checkpointDir, int checkpointEvery, boolean resume) {
    checkBounds(checkpointEvery);
    if (!allocation.equals("in-process") && AllocationHostProvider.find(allocation).isEmpty()) {
      throw new IllegalArgumentException(
          "--allocation must be in-process, kafka-sync or kafka-async, got '"
              + allocation
              + "'"
              + (allocation.startsWith("kafka")
                  ? " (the Kafka hosts are not on the class path)"
                  : ""));
    }
    String t = task.toLowerCase(Locale.ROOT);
    if (!t.equals("wordnet") && !t.equals("sentiment") && !t.equals("rank-recovery")) {
      throw new IllegalArgumentException(
          "--task must be wordnet, sentiment or rank-recovery, got '" + task + "'");
    }
    String p = policy.toLowerCase(Locale.ROOT);
    if (!Experiment.POLICIES.contains(p)) {
      throw new IllegalArgumentException(
          "--policy must be one of " + Experiment.POLICIES + ", got '" + policy + "'");
    }
    if (p.equals(Experiment.PROBE) && t.equals("rank-recovery")) {
      throw new IllegalArgumentException(
          "--policy probe is the frozen-encoder baseline of --task wordnet and sentiment");
    }
    if (t.equals("rank-recovery") && (matrices <= 0 || maxTrueRank <= 0 || maxTrueRank > dim)) {
      throw new IllegalArgumentException(
          "rank-recovery: need --matrices > 0 and 0 < --max-true-rank <= --dim; got "
              + matrices
              + ", "
              + maxTrueRank
              + ", "
              + dim);
    }
    Presets.Preset preset =
        noPreset
            ? new Presets.Preset("none", Map.of(), Map.of(), List.of())
            : Presets.of(t, p, matrices, maxTrueRank, seed);
    Map<String, Object> given = new LinkedHashMap<>();
    given.put("--steps", steps);
    given.put("--batch", batch);
    given.put("--seq", seq);
    given.put("--lr", lr);
    given.put("--orth-coef", orthCoef);
    given.put("--rank", rank);
    given.put("--target-rank", targetRank);
    Map<String, String> value = new LinkedHashMap<>();
    StringBuilder out =
        new StringBuilder(
            "settings of "
                + t
                + "/"
                + p
                + " ("
                + (noPreset ? "--no-preset" : "preset " + preset.name())
                + "; a flag given wins):\n");
    for (String opt : Presets.OPTIONS) {
      Object g = given.get(opt);
      String v =
          g != null
              ? Presets.trim(((Number) g).doubleValue())
              : preset.options().getOrDefault(opt, Presets.PLAIN.get(opt));
      String from = g != null ? "given" : preset.options().containsKey(opt) ? "preset" : "default";
      value.put(opt, v);
      if (opt.equals("--seq") && t.equals("rank-recovery")) {
        continue; // no tokens in rank recovery
      }
      String note = g == null ? preset.notes().get(opt) : null;
      out.append(
          String.format(
              Locale.ROOT, "  %-15s %-22s %s%s%n", opt, v, from, note == null ? "" : ": " + note));
    }
    int steps = Integer.parseInt(value.get("--steps"));
    int batch = Integer.parseInt(value.get("--batch"));
    int seq = Integer.parseInt(value.get("--seq"));
    double lr = Double.parseDouble(value.get("--lr"));
    double orthCoef = Double.parseDouble(value.get("--orth-coef"));
    int rank = Integer.parseInt(value.get("--rank"));
    double targetRank = Double.parseDouble(value.get("--target-rank"));
    // the preset's policy parameters first, so that any --policy-param (plain or policy-prefixed)
    // overrides them
    Map<String, String> params = new LinkedHashMap<>();
    for (Presets.Param pp : preset.params()) {
      params.put(pp.key(), pp.value(steps));
      boolean overridden =
          policyParams.containsKey(pp.key()) || policyParams.containsKey(p + "." + pp.key());
      out.append(
          String.format(
              Locale.ROOT,
              "  %-15s %-22s %s%n",
              "--policy-param",
              pp.key() + "=" + pp.value(steps),
              overridden ? "preset, overridden below" : "preset: " + pp.note()));
    }
    policyParams.forEach(
        (k, v) -> {
          int dot = k.indexOf('.');
          if (dot < 0 || k.substring(0, dot).equalsIgnoreCase(p)) {
            out.append(
                String.format(
                    Locale.ROOT, "  %-15s %-22s %s%n", "--policy-param", k + "=" + v, "given"));
          }
        });
    params.putAll(policyParams);
    Device dev =
        switch (device.toLowerCase(Locale.ROOT)) {
          case "cpu" -> Device.cpu();
          case "gpu" -> Device.gpu();
          default ->
              throw new IllegalArgumentException(
                  "--device must be cpu or gpu, got '" + device + "'");
        };
    if (rank <= 0) {
      throw new IllegalArgumentException("--rank must be > 0, got " + rank);
    }
    if (!(targetRank > 0) || targetRank > rank) {
      throw new IllegalArgumentException(
          "--target-rank must be in (0, --rank], got "
              + Presets.trim(targetRank)
              + " with --rank "
              + rank
              + (this.targetRank == null || this.rank == null ? " (see --show-preset)" : ""));
    }
    if (seq < 8 || seq > 512) {
      throw new IllegalArgumentException("--seq must be in [8, 512], got " + seq);
    }
    bounded("--steps", steps, 1, MAX_STEPS);
    bounded("--batch", batch, 1, 65_536);
    bounded("--rank", rank, 1, 4_096);
    finite("--lr", lr, Double.MIN_VALUE, 10);
    finite("--orth-coef", orthCoef, 0, 1e6);
    if (warmup != null) {
      bounded("--warmup", warmup, 0, steps);
    }
    if (checkpointEvery > steps) {
      throw new IllegalArgumentException(
          "--checkpoint-every must be in [0, --steps = " + steps + "], got " + checkpointEvery);
    }
    EncoderModel m = EncoderModel.parse(model);
    int wu = warmup != null ? warmup : steps / 10;
    TrainConfig cfg =
        new TrainConfig(
            steps,
            batch,
            lr,
            wu,
            clip,
            orthCoef,
            weightDecay,
            evalEvery,
            seed,
            inputEma,
            checkpointDir,
            checkpointEvery,
            resume,
            !noProgress);
    Experiment.Spec spec =
        new Experiment.Spec(
            t,
            m,
            p,
            cfg,
            rank,
            targetRank,
            alpha,
            seq,
            padToMax,
            evalLimit,
            testLimit,
            matrices,
            dim,
            maxTrueRank,
            params,
            dev);
    return new Resolved(spec, out.toString());
  }
}
