package io.salientstream.trainer.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.salientstream.core.adalora.AdaLoraPolicy;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import io.salientstream.core.schedule.CubicBudgetSchedule;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.AdapterKind;
import io.salientstream.trainer.adapter.AdapterPlan;
import io.salientstream.trainer.data.SentimentSentences;
import io.salientstream.trainer.data.WordNetSupersenses;
import io.salientstream.trainer.export.PeftExporter;
import io.salientstream.trainer.host.AllocationHost;
import io.salientstream.trainer.host.InProcessAllocationHost;
import io.salientstream.trainer.model.BertEncoder;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.task.RankRecoveryTask;
import io.salientstream.trainer.task.Task;
import io.salientstream.trainer.task.WordNetTask;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One training run from command-line-level settings: builds the layout, the core policy (hosted
 * in-process), the adapters the policy's layout prescribes, the task and the {@link Trainer}; runs;
 * evaluates; exports; reports.
 */
public final class Experiment {

  /** Everything that defines a run. */
  public record Spec(
      String task,
      EncoderModel model,
      String policy,
      TrainConfig train,
      int initRank,
      double targetRank,
      float alpha,
      int seq,
      boolean padToMax,
      int evalLimit,
      int testLimit,
      int matrices,
      int dim,
      int maxTrueRank,
      Map<String, String> policyParams,
      Device device) {}

  /** The frozen-encoder baseline: trains the head only, with no adapters and no policy. */
  public static final String PROBE = "probe";

  /** What {@code --policy} accepts: every registered core policy, and the probe. */
  public static final List<String> POLICIES =
      Stream.concat(Policies.NAMES.stream(), Stream.of(PROBE)).toList();

  /**
   * Module name of the classification head in the exported model (PEFT {@code modules_to_save}).
   */
  public static final String HEAD_MODULE = "classifier";

  private Experiment() {}

  /**
   * The adapters a policy trains: what it says of itself ({@link PolicyKind#adapterForm()}); none
   * for the probe.
   */
  public static AdapterKind kindOf(String policy) {
    if (policy.equals(PROBE)) {
      return AdapterKind.NONE;
    }
    PolicyKind kind =
        Policies.find(policy)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "unknown policy '" + policy + "' (one of " + POLICIES + ")"));
    return kind.adapterForm() == PolicyKind.AdapterForm.SVD ? AdapterKind.SVD : AdapterKind.LORA;
  }

  /**
   * The adapted matrices of a task before any policy reshapes the ranks (initial rank {@code rank}
   * each).
   */
  static AdapterLayout baseLayout(Spec s, int rank) {
    List<AdapterLayout.Matrix> ms = new ArrayList<>();
    if (s.task().equals("rank-recovery")) {
      List<String> names = RankRecoveryTask.matrixNames(s.matrices());
      for (int k = 0; k < names.size(); k++) {
        ms.add(
            new AdapterLayout.Matrix(
                names.get(k), k / RankRecoveryTask.PER_LAYER, s.dim(), s.dim(), rank));
      }
    } else {
      int h = EncoderModel.HIDDEN;
      int f = EncoderModel.FFN;
      for (int l = 0; l < s.model().layers(); l++) {
        for (String mod : BertEncoder.MODULES) {
          int dOut = mod.equals("intermediate.dense") ? f : h;
          int dIn = mod.equals("output.dense") ? f : h;
          ms.add(new AdapterLayout.Matrix("encoder.layer." + l + "." + mod, l, dOut, dIn, rank));
        }
      }
    }
    return new AdapterLayout(ms);
  }

  /**
   * Parameters the trainer derives from the run for its core policy — what the policy derives from
   * the run's shape ({@link PolicyKind#derivedParams}: schedule lengths from the step count, target
   * budget = round(target rank × M)); explicit {@code --policy-param key=value} entries override
   * them.
   */
  static Map<String, String> derivedPolicyParams(Spec s, AdapterLayout layout) {
    Map<String, String> p = new LinkedHashMap<>();
    Policies.find(s.policy())
        .ifPresent(
            kind ->
                p.putAll(
                    kind.derivedParams(
                        new PolicyKind.RunShape(
                            s.train().steps(), layout.size(), s.targetRank()))));
    // "key=value" applies to every policy; "policy.key=value" only to that policy (useful in
    // compare)
    checkPolicyParamKeys(s.policyParams());
    s.policyParams()
        .forEach(
            (k, v) -> {
              int dot = k.indexOf('.');
              if (dot < 0) {
                p.put(k, v);
              } else if (k.substring(0, dot).equals(s.policy())) {
                p.put(k.substring(dot + 1), v);
              }
            });
    return p;
  }

  /**
   * Refuses a {@code --policy-param policy.key} whose prefix is not a policy name (a typo would
   * otherwise apply to no run); the commands that run many policies call it before the first run.
   */
  public static void checkPolicyParamKeys(Map<String, String> params) {
    for (String k : params.keySet()) {
      int dot = k.indexOf('.');
      if (dot >= 0 && !POLICIES.contains(k.substring(0, dot))) {
        throw new IllegalArgumentException(
            "--policy-param " + k + ": prefix must be a policy name " + POLICIES);
      }
    }
  }

  /**
   * Creates a run's allocation host for its core policy: in-process by default; the Kafka control
   * loop supplies a host that publishes the steps and applies the commands of the salience-analyzer
   * and pruner instead.
   */
  @FunctionalInterface
  public interface HostFactory {
    AllocationHost create(RankPolicy policy, Map<String, String> params, Spec spec)
        throws IOException;

    /** Host-specific figures added to the run report after the run (e.g. control-loop latency). */
    default Map<String, Object> reportExtras() {
      return Map.of();
    }
  }

  /** The policy runs in the trainer's JVM ({@code --allocation in-process}). */
  public static final HostFactory IN_PROCESS =
      (policy, params, spec) -> new InProcessAllocationHost(policy);

  /** Runs one experiment; returns the report (also written to {@code report} when given). */
  public static Map<String, Object> run(Spec s, Path report, Path export, long stopAfter)
      throws IOException {
    return run(s, report, export, stopAfter, IN_PROCESS, "in-process");
  }

  /**
   * Runs one experiment with the allocation host from {@code hosts}; {@code allocation} names it in
   * the report.
   */
  public static Map<String, Object> run(
      Spec s, Path report, Path export, long stopAfter, HostFactory hosts, String allocation)
      throws IOException {
    String policyName = s.policy().toLowerCase(Locale.ROOT);
    AdapterKind kind = kindOf(policyName);
    if (s.device().isGpu() && Engine.getInstance().getGpuCount() == 0) {
      throw new IllegalArgumentException(
          "--device gpu: no CUDA device is visible to the PyTorch engine "
              + "(build with -Pcuda on a machine with an NVIDIA GPU, or use --device cpu)");
    }
    AdapterLayout layout = baseLayout(s, s.initRank());
    RankPolicy policy = null;
    Map<String, String> params = Map.of();
    if (kind != AdapterKind.NONE) {
      params = derivedPolicyParams(s, layout);
      policy = Policies.create(policyName, params, layout);
      layout = policy.layout();
    }
    Map<String, Integer> ranks = new LinkedHashMap<>();
    for (AdapterLayout.Matrix mx : layout.matrices()) {
      ranks.put(mx.name(), mx.initialRank());
    }
    AdapterPlan plan = new AdapterPlan(kind, ranks, s.initRank(), s.alpha(), s.train().seed());
    long t0 = System.nanoTime();
    try (NDManager home = NDManager.newBaseManager(s.device())) {
      Task task;
      if (s.task().equals("rank-recovery")) {
        task =
            new RankRecoveryTask(
                home, s.matrices(), s.dim(), s.maxTrueRank(), 8192, s.train().seed(), plan);
      } else if (s.task().equals("wordnet")) {
        task =
            new WordNetTask(
                home,
                s.model(),
                plan,
                WordNetSupersenses.cached(),
                s.seq(),
                s.padToMax(),
                s.evalLimit(),
                s.testLimit(),
                s.train().seed());
      } else if (s.task().equals("sentiment")) {
        task =
            new WordNetTask(
                home,
                "sentiment",
                s.model(),
                plan,
                SentimentSentences.cached(SentimentSentences.defaultDir()),
                s.seq(),
                s.padToMax(),
                s.evalLimit(),
                s.testLimit(),
                s.train().seed());
      } else {
        throw new IllegalArgumentException(
            "unknown task '" + s.task() + "' (wordnet, sentiment or rank-recovery)");
      }
      try (task;
          AllocationHost host = policy == null ? null : hosts.create(policy, params, s)) {
        Trainer trainer = new Trainer(task, host, s.train(), home);
        long setupNanos = System.nanoTime() - t0;
        Trainer.RunResult r;
        try {
          r = trainer.run(stopAfter);
        } catch (RuntimeException | IOException e) {
          if (host != null) {
            host.fail(e); // the host says FAILED, not FINISHED, when it closes
          }
          throw e;
        }
        long e0 = System.nanoTime();
        Map<String, Double> metrics = task.evaluate(home, true);
        long evalNanos = System.nanoTime() - e0;
        // with periodic validation, the curve ends at the last step too (bench policies selects its
        // learning rates on this, never on the test metrics)
        Map<String, Double> finalValidation =
            s.train().evalEvery() > 0 && !(task instanceof RankRecoveryTask)
                ? task.evaluate(home, false)
                : null;
        Map<String, Object> rep = new LinkedHashMap<>();
        rep.put("policy", policyName);
        rep.put("allocation", kind == AdapterKind.NONE ? "none" : allocation);
        rep.put("task", s.task());
        if (!s.task().equals("rank-recovery")) {
          rep.put("model", s.model().cliName());
        }
        rep.put("seed", s.train().seed());
        rep.put("steps", r.finalStep());
        rep.put("batch", s.train().batch());
        rep.put("lr", s.train().lr());
        rep.put("initRank", s.initRank());
        rep.put("targetRank", s.targetRank());
        rep.put("policyParams", params);
        rep.put("finalTotalRank", trainer.totalActiveRank());
        rep.put("trainableParameters", trainer.activeTrainableParameters());
        rep.put("ranks", trainer.activeRanks());
        rep.put("keepMasks", trainer.keepMasks());
        rep.put("adapterChecksum", trainer.adapterChecksum());
        if (task instanceof RankRecoveryTask rr) {
          rep.put("trueRanks", rr.trueRanks());
        }
        rep.put("metrics", metrics);
        if (finalValidation != null) {
          rep.put("finalValidation", finalValidation);
        }
        rep.put("evalHistory", r.evalHistory());
        if (task instanceof WordNetTask wt) {
          rep.put("testGold", wt.lastTestGold());
          rep.put("testPredictions", wt.lastTestPredictions());
        }
        rep.put("stepsPerSecond", r.stepsPerSecond());
        rep.put("allocationOverheadMsPerStep", r.allocationMsPerStep());
        rep.put("policyMsPerStep", r.policyMsPerStep());
        rep.put("lateMaskCommands", r.lateCommands());
        rep.put("trainSeconds", r.trainNanos() / 1e9);
        rep.put("setupSeconds", setupNanos / 1e9);
        rep.put("finalEvalSeconds", evalNanos / 1e9);
        rep.put("device", s.device().toString());
        rep.putAll(hosts.reportExtras());
        if (export != null && kind != AdapterKind.NONE) {
          Map<String, String> prov = new LinkedHashMap<>();
          prov.put("policy", policyName);
          prov.put("policyParams", params.toString());
          prov.put("task", s.task());
          prov.put("seed", Long.toString(s.train().seed()));
          prov.put("steps", Long.toString(r.finalStep()));
          prov.put("producer", "salientstream-trainer");
          String base =
              s.task().equals("rank-recovery") ? "synthetic-rank-recovery" : s.model().hubName();
          exportPeft(export, task, policy, s.train(), base, s.alpha(), prov);
          rep.put("export", export.toString());
        }
        if (report != null) {
          Reports.write(report, rep);
        }
        return rep;
      }
    }
  }

  /**
   * Writes a finished run's PEFT adapter folder ({@link PeftExporter}): the adapters, the task's
   * head under {@code modules_to_save} (as {@code classifier}), and for SVD adapters the AdaLoRA
   * config fields of the run ({@link #adaLoraFields}).
   */
  public static void exportPeft(
      Path dir,
      Task task,
      RankPolicy policy,
      TrainConfig train,
      String baseModel,
      float alpha,
      Map<String, String> provenance)
      throws IOException {
    List<AdaptedLinear> adapters = task.adaptedLayers();
    boolean svd = adapters.stream().anyMatch(a -> a.kind() == AdapterKind.SVD);
    PeftExporter.AdaLoraFields fields = svd ? adaLoraFields(policy, train, adapters.size()) : null;
    PeftExporter.Head head = null;
    List<NDArray> hp = task.headParameters();
    if (!hp.isEmpty()) {
      if (hp.size() != 2 || hp.get(0).getShape().dimension() != 2) {
        throw new IllegalStateException(
            task.name() + ": cannot export a head that is not one linear layer");
      }
      Shape w = hp.get(0).getShape();
      head =
          new PeftExporter.Head(
              HEAD_MODULE,
              Math.toIntExact(w.get(0)),
              Math.toIntExact(w.get(1)),
              hp.get(0).toFloatArray(),
              hp.get(1).toFloatArray());
    }
    PeftExporter.export(dir, adapters, head, baseModel, alpha, fields, provenance);
  }

  /**
   * PEFT's AdaLoRA config fields for a run with SVD adapters, from the policy that ran. AdaLoRA:
   * its own schedule. SalientLoRA: warm-up steps → {@code tinit}, final steps → {@code tfinal}, its
   * first (shortest) window T_init → {@code deltaT}. {@code beta1}/{@code beta2} are the EMA
   * factors of our AdaLoRA importance (0.85, PEFT's defaults; SalientLoRA uses no such EMA). {@code
   * target_r} = round(target budget / matrices).
   */
  static PeftExporter.AdaLoraFields adaLoraFields(
      RankPolicy policy, TrainConfig train, int matrices) {
    double beta = 0.85; // AdaLoraImportance(layout), as the Trainer builds it
    if (policy instanceof AdaLoraPolicy a) {
      CubicBudgetSchedule c = a.schedule();
      return new PeftExporter.AdaLoraFields(
          (int) Math.round((double) c.targetBudget() / matrices),
          c.totalSteps(),
          c.initialSteps(),
          c.finalSteps(),
          c.deltaT(),
          beta,
          beta,
          train.orthCoef());
    }
    if (policy instanceof SalientLoraPolicy sl) {
      SalientLoraPolicy.Config c = sl.config();
      return new PeftExporter.AdaLoraFields(
          (int) Math.round((double) c.targetBudget() / matrices),
          c.totalSteps(),
          c.initialWarmup(),
          c.finalSteps(),
          c.tInit(),
          beta,
          beta,
          train.orthCoef());
    }
    throw new IllegalArgumentException(
        "no AdaLoRA schedule for SVD adapters trained by "
            + (policy == null ? "no policy" : policy.name()));
  }
}
