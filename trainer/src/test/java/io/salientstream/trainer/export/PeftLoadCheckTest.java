package io.salientstream.trainer.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.trainer.adapter.AdaptedLinear;
import io.salientstream.trainer.adapter.AdapterKind;
import io.salientstream.trainer.adapter.AdapterPlan;
import io.salientstream.trainer.adapter.FrozenLinear;
import io.salientstream.trainer.data.WordNetSupersenses;
import io.salientstream.trainer.host.InProcessAllocationHost;
import io.salientstream.trainer.model.BatchTokenizer;
import io.salientstream.trainer.model.BertEncoder;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.model.OnnxWeights;
import io.salientstream.trainer.task.RankRecoveryTask;
import io.salientstream.trainer.task.WordNetTask;
import io.salientstream.trainer.train.Experiment;
import io.salientstream.trainer.train.TrainConfig;
import io.salientstream.trainer.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trains tiny runs, exports them the way {@code Experiment.run} does, loads the folder with {@link
 * PeftReference} (PEFT's loading rules, no exporter code), rebuilds the model and compares its
 * logits with the trained model's, to 1e-4. Also checks that the old exporter's mistakes (λ
 * rescaled to the new rank, a [1, …] triplet for a rank-0 module, no {@code total_step}, an extra
 * config key, no head) are refused or visibly change the logits.
 */
class PeftLoadCheckTest {

  private static final double TOL = 1e-4;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int M = 12;
  private static final int D = 16;
  private static final long SEED = 7L;

  /**
   * A trained rank-recovery run: its export, the trained outputs on {@code x}, and the base weights
   * W0.
   */
  record RrRun(
      Path dir,
      float[] x,
      int n,
      float[] trained,
      List<float[]> w0,
      int totalRank,
      List<Integer> ranks) {}

  static RrRun trainRankRecovery(
      String policy, Map<String, String> params, int rank, int steps, Path dir) throws Exception {
    List<AdapterLayout.Matrix> ms = new ArrayList<>();
    List<String> names = RankRecoveryTask.matrixNames(M);
    for (int k = 0; k < M; k++) {
      ms.add(new AdapterLayout.Matrix(names.get(k), k / RankRecoveryTask.PER_LAYER, D, D, rank));
    }
    RankPolicy pol = Policies.create(policy, params, new AdapterLayout(ms));
    Map<String, Integer> ranks = new LinkedHashMap<>();
    pol.layout().matrices().forEach(mx -> ranks.put(mx.name(), mx.initialRank()));
    TrainConfig cfg =
        new TrainConfig(steps, 32, 3e-2, 2, 1.0, 0.1, 0.0, 0, SEED, 0.9, null, 0, false, false);
    int n = 64;
    float[] x = new float[n * D];
    Random rng = new Random(99);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    try (NDManager home = NDManager.newBaseManager();
        RankRecoveryTask task =
            new RankRecoveryTask(
                home,
                M,
                D,
                4,
                256,
                SEED,
                new AdapterPlan(Experiment.kindOf(policy), ranks, rank, 8f, SEED));
        InProcessAllocationHost host = new InProcessAllocationHost(pol)) {
      Trainer t = new Trainer(task, host, cfg, home);
      t.run(Long.MAX_VALUE);
      Experiment.exportPeft(
          dir, task, pol, cfg, "synthetic-rank-recovery", 8f, Map.of("policy", policy));
      float[] trained = new float[n * D * M];
      List<float[]> w0 = new ArrayList<>();
      NDArray xa = home.create(x, new Shape(n, D));
      for (int k = 0; k < M; k++) {
        AdaptedLinear a = task.adaptedLayers().get(k);
        float[] y =
            a.forward(new ParameterStore(home, false), new NDList(xa), false)
                .singletonOrThrow()
                .tanh()
                .toFloatArray();
        System.arraycopy(y, 0, trained, k * n * D, n * D);
      }
      // the base network as it is "from_pretrained": W0 from the task's generator, no adapters
      try (RankRecoveryTask base =
          new RankRecoveryTask(
              home, M, D, 4, 256, SEED, new AdapterPlan(AdapterKind.NONE, null, 0, 8f, SEED))) {
        base.adaptedLayers().forEach(a -> w0.add(a.baseWeight().toFloatArray()));
      }
      return new RrRun(
          dir, x, n, trained, w0, t.totalActiveRank(), new ArrayList<>(t.activeRanks().values()));
    }
  }

  /**
   * Loads {@code dir} as PEFT would on the rank-recovery base network and returns the outputs
   * tanh((W0+ΔW)·x).
   */
  static float[] rebuiltRankRecovery(RrRun run, Path dir) throws Exception {
    List<PeftReference.Linear> linears = new ArrayList<>();
    RankRecoveryTask.matrixNames(M).forEach(nm -> linears.add(new PeftReference.Linear(nm, D, D)));
    PeftReference.Loaded l = PeftReference.load(dir, linears, Map.of());
    float[] out = new float[run.n() * D * M];
    for (int k = 0; k < M; k++) {
      double[] delta = l.delta().get(linears.get(k).module());
      float[] w0 = run.w0().get(k);
      for (int s = 0; s < run.n(); s++) {
        for (int o = 0; o < D; o++) {
          double acc = 0;
          for (int j = 0; j < D; j++) {
            double w = w0[o * D + j] + (delta == null ? 0 : delta[o * D + j]);
            acc += w * run.x()[s * D + j];
          }
          out[k * run.n() * D + s * D + o] = (float) Math.tanh(acc);
        }
      }
    }
    return out;
  }

  /**
   * The frozen MiniLM (project encoder code) with W0 + s·ΔW per PEFT's rules, mean pooling, and the
   * saved head.
   */
  static float[] rebuiltMiniLm(
      NDManager home,
      EncoderModel model,
      PeftReference.Loaded loaded,
      double s,
      NDArray ids,
      NDArray mask,
      int n,
      int classes)
      throws Exception {
    BertEncoder rebuilt =
        new BertEncoder(
            home,
            OnnxWeights.readResource(model.onnxResource()),
            model.layers(),
            (module, layer, w0, b0) -> {
              double[] d = loaded.delta().get(module);
              if (d == null) {
                return new FrozenLinear(module, layer, w0, b0);
              }
              float[] w = w0.toFloatArray();
              for (int i = 0; i < w.length; i++) {
                w[i] = (float) (w[i] + s * d[i]);
              }
              return new FrozenLinear(module, layer, home.create(w, w0.getShape()), b0);
            });
    float[] pooled =
        BertEncoder.meanPool(
                rebuilt.forward(new ParameterStore(home, false), ids, mask, false), mask)
            .toFloatArray();
    float[] hw = loaded.saved().get("classifier").get("weight").data();
    float[] hb = loaded.saved().get("classifier").get("bias").data();
    int h = EncoderModel.HIDDEN;
    float[] logits = new float[n * classes];
    for (int i = 0; i < n; i++) {
      for (int c = 0; c < classes; c++) {
        double acc = hb[c];
        for (int j = 0; j < h; j++) {
          acc += (double) pooled[i * h + j] * hw[c * h + j];
        }
        logits[i * classes + c] = (float) acc;
      }
    }
    return logits;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    assertThat(b).hasSameSizeAs(a);
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }

  static Map<String, String> params(String policy, int steps) {
    Map<String, String> p = new LinkedHashMap<>();
    switch (policy) {
      case "adalora" -> {
        p.put("totalSteps", Integer.toString(steps));
        p.put("tInit", "5");
        p.put("tFinal", "8");
        p.put("deltaT", "3");
        p.put("targetRank", "2");
      }
      case "salientlora" -> {
        p.put("totalSteps", Integer.toString(steps));
        p.put("initialWarmup", "5");
        p.put("finalSteps", "8");
        p.put("tInit", "3");
        p.put("tFinal", "6");
        p.put("targetRank", "2");
        p.put("threads", "1");
      }
      case "prilora" -> {
        p.put("rLow", "2");
        p.put("rHigh", "6");
        p.put("pruneInterval", "5");
        p.put("pruneStart", "5");
        p.put("pruneEnd", "25");
      }
      default -> {}
    }
    return p;
  }

  static Path copyOf(Path dir, Path to) throws Exception {
    Files.createDirectories(to);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(f.getFileName()));
      }
    }
    return to;
  }

  static ObjectNode config(Path dir) throws Exception {
    return (ObjectNode) JSON.readTree(dir.resolve("adapter_config.json").toFile());
  }

  @Test
  void adaLoraRunLoadsAsTrainedAndTheOldLambdaRescaleWouldNot(@TempDir Path tmp) throws Exception {
    RrRun run = trainRankRecovery("adalora", params("adalora", 30), 6, 30, tmp.resolve("adalora"));
    assertThat(run.totalRank()).as("the policy pruned").isLessThan(M * 6);
    double diff = maxAbsDiff(run.trained(), rebuiltRankRecovery(run, run.dir()));
    System.out.printf(
        "PeftLoadCheck adalora: max |Δlogit| = %.3g, total rank %d%n", diff, run.totalRank());
    assertThat(diff).isLessThanOrEqualTo(TOL);

    ObjectNode cfg = config(run.dir());
    assertThat(cfg.get("peft_type").asText()).isEqualTo("ADALORA");
    assertThat(cfg.get("total_step").asInt()).isEqualTo(30);
    assertThat(cfg.get("tinit").asInt()).isEqualTo(5);
    assertThat(cfg.get("tfinal").asInt()).isEqualTo(8);
    assertThat(cfg.get("deltaT").asInt()).isEqualTo(3);
    assertThat(cfg.get("target_r").asInt()).isEqualTo(2);
    assertThat(cfg.get("init_r").asInt()).isEqualTo(6);
    assertThat(cfg.get("orth_reg_weight").asDouble()).isEqualTo(0.1);

    // old bug 3: λ multiplied by (r'+1e-5)/(init_r+1e-5); PEFT keeps ranknum = init_r, so that
    // shrinks ΔW
    Path rescaled = copyOf(run.dir(), tmp.resolve("rescaled"));
    Map<String, PeftReference.Tensor> t =
        PeftReference.readSafetensors(run.dir().resolve("adapter_model.safetensors"));
    Map<String, PeftReference.Tensor> bad = new LinkedHashMap<>();
    t.forEach(
        (k, v) -> {
          if (k.endsWith(".lora_E")) {
            float[] e = v.data().clone();
            for (int i = 0; i < e.length; i++) {
              e[i] *= (float) ((e.length + 1e-5) / (6 + 1e-5));
            }
            bad.put(k, new PeftReference.Tensor(v.shape(), e));
          } else {
            bad.put(k, v);
          }
        });
    PeftReference.writeSafetensors(rescaled.resolve("adapter_model.safetensors"), bad);
    double badDiff = maxAbsDiff(run.trained(), rebuiltRankRecovery(run, rescaled));
    System.out.printf(
        "PeftLoadCheck adalora with the old λ rescale: max |Δlogit| = %.3g%n", badDiff);
    assertThat(badDiff).isGreaterThan(100 * TOL);

    // old bugs 1 and 2: no total_step; an extra top-level key
    Path noTotal = copyOf(run.dir(), tmp.resolve("no-total"));
    ObjectNode c1 = config(noTotal);
    c1.remove("total_step");
    JSON.writeValue(noTotal.resolve("adapter_config.json").toFile(), c1);
    assertThatThrownBy(() -> rebuiltRankRecovery(run, noTotal))
        .isInstanceOf(PeftReference.Refused.class)
        .hasMessageContaining("total_step");
    Path extra = copyOf(run.dir(), tmp.resolve("extra"));
    ObjectNode c2 = config(extra);
    c2.putObject("salientstream").put("policy", "adalora");
    JSON.writeValue(extra.resolve("adapter_config.json").toFile(), c2);
    assertThatThrownBy(() -> rebuiltRankRecovery(run, extra))
        .isInstanceOf(PeftReference.Refused.class)
        .hasMessageContaining("unknown key 'salientstream'");
  }

  @Test
  void fullyPrunedMatrixLoadsAtRankZeroAndTheOldLambdaZeroTripletIsRefused(@TempDir Path tmp)
      throws Exception {
    Map<String, String> p = params("salientlora", 30);
    p.remove("targetRank");
    p.put("targetBudget", "8"); // 8 triplets over 12 matrices: some end at rank 0
    RrRun run = trainRankRecovery("salientlora", p, 6, 30, tmp.resolve("salient"));
    int zero = run.ranks().indexOf(0);
    assertThat(zero).as("a matrix was fully pruned").isGreaterThanOrEqualTo(0);
    double diff = maxAbsDiff(run.trained(), rebuiltRankRecovery(run, run.dir()));
    System.out.printf(
        "PeftLoadCheck salientlora rank-recovery with rank-0 matrices: max |Δlogit| = %.3g, ranks %s%n",
        diff, run.ranks());
    assertThat(diff).isLessThanOrEqualTo(TOL);
    ObjectNode cfg = config(run.dir());
    assertThat(cfg.get("tinit").asInt()).as("SalientLoRA warm-up").isEqualTo(5);
    assertThat(cfg.get("tfinal").asInt()).as("SalientLoRA final steps").isEqualTo(8);
    assertThat(cfg.get("deltaT").asInt()).as("SalientLoRA first window").isEqualTo(3);

    // old bug 4: a rank-0 module written as one λ = 0 triplet
    String key = PeftReference.PREFIX + RankRecoveryTask.matrixNames(M).get(zero);
    Path old = copyOf(run.dir(), tmp.resolve("old"));
    Map<String, PeftReference.Tensor> t =
        new LinkedHashMap<>(
            PeftReference.readSafetensors(run.dir().resolve("adapter_model.safetensors")));
    t.put(key + ".lora_A", new PeftReference.Tensor(new long[] {1, D}, new float[D]));
    t.put(key + ".lora_B", new PeftReference.Tensor(new long[] {D, 1}, new float[D]));
    t.put(key + ".lora_E", new PeftReference.Tensor(new long[] {1, 1}, new float[1]));
    PeftReference.writeSafetensors(old.resolve("adapter_model.safetensors"), t);
    assertThatThrownBy(() -> rebuiltRankRecovery(run, old))
        .isInstanceOf(PeftReference.Refused.class)
        .hasMessageContaining("size mismatch for " + key + ".lora_A");
  }

  @Test
  void priLoraAndLoraRunsLoadAsPeftLora(@TempDir Path tmp) throws Exception {
    for (String policy : List.of("prilora", "lora")) {
      RrRun run = trainRankRecovery(policy, params(policy, 30), 4, 30, tmp.resolve(policy));
      double diff = maxAbsDiff(run.trained(), rebuiltRankRecovery(run, run.dir()));
      System.out.printf(
          "PeftLoadCheck %s: max |Δlogit| = %.3g, ranks %s%n", policy, diff, run.ranks());
      assertThat(diff).isLessThanOrEqualTo(TOL);
      ObjectNode cfg = config(run.dir());
      assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
      if (policy.equals("prilora")) {
        // PRILoRA ranks grow with depth: layer 0 and layer 1 differ, and PEFT must give each its
        // own α/r
        assertThat(cfg.get("rank_pattern").get("layer.0.m0").asInt())
            .isLessThan(cfg.get("rank_pattern").get("layer.1.m0").asInt());
      }
    }
  }

  @Test
  void salientLoraOnMiniLmWithHeadReproducesLogitsOnRealGlosses(@TempDir Path tmp)
      throws Exception {
    EncoderModel model = EncoderModel.MINILM;
    int rank = 4;
    int steps = 6;
    List<AdapterLayout.Matrix> ms = new ArrayList<>();
    List<PeftReference.Linear> linears = new ArrayList<>();
    for (int l = 0; l < model.layers(); l++) {
      for (String mod : BertEncoder.MODULES) {
        int dOut = mod.equals("intermediate.dense") ? EncoderModel.FFN : EncoderModel.HIDDEN;
        int dIn = mod.equals("output.dense") ? EncoderModel.FFN : EncoderModel.HIDDEN;
        ms.add(new AdapterLayout.Matrix("encoder.layer." + l + "." + mod, l, dOut, dIn, rank));
        linears.add(new PeftReference.Linear("encoder.layer." + l + "." + mod, dOut, dIn));
      }
    }
    Map<String, String> p = new LinkedHashMap<>();
    p.put("totalSteps", Integer.toString(steps));
    p.put("initialWarmup", "1");
    p.put("finalSteps", "1");
    p.put("tInit", "2");
    p.put("tFinal", "2");
    p.put("targetRank", "2");
    p.put("threads", "1");
    RankPolicy pol = Policies.create("salientlora", p, new AdapterLayout(ms));
    TrainConfig cfg =
        new TrainConfig(steps, 4, 2e-2, 1, 1.0, 0.1, 0.0, 0, SEED, 0.9, null, 0, false, false);
    WordNetSupersenses.Splits data = WordNetSupersenses.load();
    List<String> texts =
        data.test().subList(0, 8).stream().map(WordNetSupersenses.Example::text).toList();
    Path dir = tmp.resolve("wordnet");
    int classes = data.classes().size();
    float[] trained;
    try (NDManager home = NDManager.newBaseManager();
        WordNetTask task =
            new WordNetTask(
                home,
                model,
                new AdapterPlan(AdapterKind.SVD, null, rank, 16f, SEED),
                data,
                16,
                false,
                8,
                8,
                SEED);
        InProcessAllocationHost host = new InProcessAllocationHost(pol);
        BatchTokenizer tok = new BatchTokenizer(model, 16, false)) {
      Trainer t = new Trainer(task, host, cfg, home);
      t.run(Long.MAX_VALUE);
      assertThat(t.totalActiveRank()).as("SalientLoRA pruned").isLessThan(36 * rank);
      Experiment.exportPeft(
          dir, task, pol, cfg, model.hubName(), 16f, Map.of("policy", "salientlora"));
      BatchTokenizer.Batch b = tok.encode(texts);
      NDArray ids = home.create(b.ids(), new Shape(b.size(), b.length()));
      NDArray mask = home.create(b.mask(), new Shape(b.size(), b.length()));
      NDArray pooled =
          BertEncoder.meanPool(
              task.encoder().forward(new ParameterStore(home, false), ids, mask, false), mask);
      List<NDArray> head = task.headParameters();
      trained = pooled.matMul(head.get(0).transpose()).add(head.get(1)).toFloatArray();

      // rebuild: the frozen MiniLM (project encoder code) with W0 + ΔW from PEFT's rules, and the
      // saved head
      PeftReference.Loaded loaded =
          PeftReference.load(
              dir,
              linears,
              Map.of(
                  "classifier",
                  Map.of(
                      "weight",
                      new long[] {classes, EncoderModel.HIDDEN},
                      "bias",
                      new long[] {classes})));
      assertThat(loaded.ranks().values().stream().mapToInt(Integer::intValue).sum())
          .isEqualTo(t.totalActiveRank());
      float[] logits = rebuiltMiniLm(home, model, loaded, 1.0, ids, mask, texts.size(), classes);
      double diff = maxAbsDiff(trained, logits);
      System.out.printf(
          "PeftLoadCheck salientlora WordNet/MiniLM: max |Δlogit| = %.3g over %d glosses x %d classes,"
              + " total rank %d%n",
          diff, texts.size(), classes, t.totalActiveRank());
      assertThat(diff).isLessThanOrEqualTo(TOL);
      // the adapters matter: without ΔW (head only) the logits are far off
      double headOnly =
          maxAbsDiff(
              trained, rebuiltMiniLm(home, model, loaded, 0.0, ids, mask, texts.size(), classes));
      System.out.printf(
          "PeftLoadCheck salientlora WordNet/MiniLM without the adapters: max |Δlogit| = %.3g%n",
          headOnly);
      assertThat(headOnly).isGreaterThan(100 * TOL);
    }

    JsonNode c = config(dir);
    assertThat(c.get("modules_to_save").toString()).isEqualTo("[\"classifier\"]");
    assertThat(c.get("tinit").asInt()).isEqualTo(1);
    assertThat(c.get("tfinal").asInt()).isEqualTo(1);
    assertThat(c.get("total_step").asInt()).isEqualTo(steps);
    // old bug 5: no head in the file while PEFT is told to restore it
    Path noHead = copyOf(dir, tmp.resolve("no-head"));
    Map<String, PeftReference.Tensor> t =
        new LinkedHashMap<>(
            PeftReference.readSafetensors(dir.resolve("adapter_model.safetensors")));
    t.keySet().removeIf(k -> k.startsWith(PeftReference.PREFIX + "classifier."));
    PeftReference.writeSafetensors(noHead.resolve("adapter_model.safetensors"), t);
    assertThatThrownBy(
            () ->
                PeftReference.load(
                    noHead,
                    linears,
                    Map.of(
                        "classifier",
                        Map.of(
                            "weight",
                            new long[] {classes, EncoderModel.HIDDEN},
                            "bias",
                            new long[] {classes}))))
        .isInstanceOf(PeftReference.Refused.class)
        .hasMessageContaining("KeyError");
  }
}
