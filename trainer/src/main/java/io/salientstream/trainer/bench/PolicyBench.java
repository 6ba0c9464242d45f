package io.salientstream.trainer.bench;

import ai.djl.Device;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.core.adalora.AdaLoraPolicy;
import io.salientstream.core.lora.FixedRankLora;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.core.prilora.PriLoraPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import io.salientstream.trainer.model.BertEncoder;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.train.Experiment;
import io.salientstream.trainer.train.Reports;
import io.salientstream.trainer.train.TrainConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code bench policies}: tasks × policies × seeds at an equal final adapter-parameter budget, the
 * learning rate of every policy chosen on the validation split, one results file per cell (a rerun
 * skips finished cells), then a JSON summary, a Markdown table and plots.
 *
 * <p><b>Protocol.</b> For each task and policy, the first seed runs once per learning rate of the
 * policy's grid; the rate with the best final validation accuracy (then macro-F1, then the smaller
 * rate) is kept, and the other seeds run with it. The first seed's run at the kept rate is that
 * seed's result, so every reported run was chosen without looking at the test split. All runs of a
 * task share steps, batch, sequence length, evaluation sets and, per seed, the data order.
 *
 * <p><b>Budget.</b> SVD-form policies (SalientLoRA, AdaLoRA) start at {@code rank} and end at a
 * total rank of round(targetRank × M); PRILoRA's per-layer ranks average {@code targetRank};
 * fixed-rank LoRA gets the integer rank whose B·A parameter count is closest to the count of SVD
 * adapters at {@code targetRank} everywhere ({@link #loraRank}). The table reports every run's
 * final adapter parameters as measured, since where an adaptive policy puts its ranks changes its
 * count.
 */
public final class PolicyBench {

  /** Policies of the bench, SalientLoRA first (the reference of the paired differences). */
  public static final List<String> POLICIES =
      List.of(
          SalientLoraPolicy.NAME,
          AdaLoraPolicy.NAME,
          PriLoraPolicy.NAME,
          FixedRankLora.NAME,
          Experiment.PROBE);

  /** The reference policy of the paired differences. */
  public static final String REFERENCE = SalientLoraPolicy.NAME;

  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One task on one encoder.
   *
   * @param adapterLrs this task's learning-rate grid of the adapter policies, or null for the
   *     size's
   * @param probeLrs this task's learning-rate grid of the probe, or null for the size's
   */
  public record TaskModel(
      String task, EncoderModel model, List<Double> adapterLrs, List<Double> probeLrs) {

    public TaskModel {
      adapterLrs = adapterLrs == null ? null : List.copyOf(adapterLrs);
      probeLrs = probeLrs == null ? null : List.copyOf(probeLrs);
      if ((adapterLrs != null && adapterLrs.isEmpty())
          || (probeLrs != null && probeLrs.isEmpty())) {
        throw new IllegalArgumentException(
            "bench policies: a task's learning-rate grid must not be empty");
      }
    }

    /** A task with the size's learning-rate grids. */
    public TaskModel(String task, EncoderModel model) {
      this(task, model, null, null);
    }

    public String id() {
      return task + "-" + model.cliName();
    }

    /** Classes of the task's head. */
    public int classes() {
      return switch (task) {
        case "wordnet" -> 45;
        case "sentiment" -> 2;
        default -> throw new IllegalArgumentException("bench policies: no classes for " + task);
      };
    }
  }

  /**
   * A grid size.
   *
   * @param adapterLrs learning-rate grid of the adapter policies
   * @param probeLrs learning-rate grid of the head-only probe
   * @param evalEvery validation (learning curve) every K steps
   * @param evalLimit validation examples per evaluation (the first N of the split)
   * @param testLimit test examples (the first N of the split; 0 = all)
   */
  public record Size(
      String name,
      List<TaskModel> tasks,
      int steps,
      int batch,
      int seq,
      List<Long> seeds,
      List<Double> adapterLrs,
      List<Double> probeLrs,
      int evalEvery,
      int evalLimit,
      int testLimit,
      int rank,
      double targetRank,
      double orthCoef) {

    public Size {
      if (seeds.isEmpty() || adapterLrs.isEmpty() || probeLrs.isEmpty() || tasks.isEmpty()) {
        throw new IllegalArgumentException(
            "bench policies: tasks, seeds and learning-rate grids must not be empty");
      }
      if (steps <= 0 || batch <= 0 || evalEvery <= 0) {
        throw new IllegalArgumentException("bench policies: steps, batch, eval-every must be > 0");
      }
    }

    /** The learning-rate grid of {@code policy} on {@code tm}: the task's own, else the size's. */
    List<Double> lrs(TaskModel tm, String policy) {
      if (policy.equals(Experiment.PROBE)) {
        return tm.probeLrs() != null ? tm.probeLrs() : probeLrs;
      }
      return tm.adapterLrs() != null ? tm.adapterLrs() : adapterLrs;
    }

    /** The settings every cell file records (a cell of other settings is not reused). */
    Map<String, Object> fingerprint() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("steps", steps);
      m.put("batch", batch);
      m.put("seq", seq);
      m.put("evalEvery", evalEvery);
      m.put("evalLimit", evalLimit);
      m.put("testLimit", testLimit);
      m.put("rank", rank);
      m.put("targetRank", targetRank);
      m.put("orthCoef", orthCoef);
      return m;
    }

    public Size withSteps(int s) {
      return copy(tasks, s, Math.min(evalEvery, s), seeds, adapterLrs, probeLrs);
    }

    public Size withSeeds(List<Long> s) {
      return copy(tasks, steps, evalEvery, s, adapterLrs, probeLrs);
    }

    /**
     * The same size with other learning-rate grids for every task (e.g. one fixed rate per kind, no
     * search, where a grid of searches does not fit the machine); a null grid keeps the size's and
     * the tasks' own.
     */
    public Size withLearningRates(List<Double> adapters, List<Double> probe) {
      List<TaskModel> t =
          tasks.stream()
              .map(
                  tm ->
                      new TaskModel(
                          tm.task(),
                          tm.model(),
                          adapters != null ? null : tm.adapterLrs(),
                          probe != null ? null : tm.probeLrs()))
              .toList();
      return copy(
          t,
          steps,
          evalEvery,
          seeds,
          adapters == null ? adapterLrs : List.copyOf(adapters),
          probe == null ? probeLrs : List.copyOf(probe));
    }

    public Size withTasks(List<TaskModel> t) {
      return copy(t, steps, evalEvery, seeds, adapterLrs, probeLrs);
    }

    /** This size with the fields the {@code with…} methods change replaced. */
    private Size copy(
        List<TaskModel> t,
        int s,
        int every,
        List<Long> sd,
        List<Double> adapters,
        List<Double> probe) {
      return new Size(
          name,
          t,
          s,
          batch,
          seq,
          sd,
          adapters,
          probe,
          every,
          evalLimit,
          testLimit,
          rank,
          targetRank,
          orthCoef);
    }
  }

  /**
   * The sizes. {@code full} is the grid that ran for the root README: 200 steps × batch 32, WordNet
   * and sentiment on MiniLM with three learning rates per policy (1e-3, 3e-3, 1e-2; the probe two),
   * and sentiment on bge-small with one fixed rate per kind (a search there did not fit the
   * machine; trainer/README.md). {@code small} is what fitted in about an hour on the shared 2-core
   * development machine: 24 steps × batch 8, ≤ 24 tokens, one learning rate per policy (no search),
   * 32 validation and 200 test examples. {@code tiny} is a smoke run.
   */
  public static Size size(String name) {
    TaskModel wn = new TaskModel("wordnet", EncoderModel.MINILM);
    TaskModel sent = new TaskModel("sentiment", EncoderModel.MINILM);
    // bge-small takes about twice MiniLM's time a run, so it gets one fixed rate per kind (the
    // WordNet presets) instead of a search
    TaskModel sentBge =
        new TaskModel("sentiment", EncoderModel.BGE_SMALL, List.of(3e-3), List.of(1e-2));
    return switch (name) {
      case "full" ->
          new Size(
              "full",
              List.of(wn, sent, sentBge),
              200,
              32,
              32,
              List.of(1L, 2L, 3L),
              List.of(1e-3, 3e-3, 1e-2),
              List.of(3e-3, 1e-2),
              50,
              300,
              2000,
              12,
              4,
              0.1);
      case "small" ->
          new Size(
              "small",
              List.of(wn, sent),
              24,
              8,
              24,
              List.of(1L, 2L, 3L),
              List.of(3e-3),
              List.of(1e-2),
              12,
              32,
              200,
              12,
              4,
              0.1);
      case "medium" ->
          new Size(
              "medium",
              List.of(wn, sent),
              100,
              16,
              32,
              List.of(1L, 2L, 3L),
              List.of(3e-3),
              List.of(1e-2),
              25,
              64,
              400,
              12,
              4,
              0.1);
      case "tiny" ->
          new Size(
              "tiny",
              List.of(wn, sent),
              8,
              8,
              32,
              List.of(1L, 2L, 3L),
              List.of(3e-3),
              List.of(1e-2),
              4,
              64,
              128,
              12,
              4,
              0.1);
      default ->
          throw new IllegalArgumentException(
              "--size must be full, medium, small or tiny, got '" + name + "'");
    };
  }

  /** One run of the grid. */
  public record Cell(TaskModel tm, String policy, long seed, double lr) {
    public String id() {
      return tm.id() + "-" + policy + "-seed" + seed + "-lr" + lrText(lr);
    }
  }

  /** Runs one cell and returns its run report ({@link Experiment#run}'s). */
  @FunctionalInterface
  public interface Runner {
    Map<String, Object> run(Cell cell, Size size) throws IOException;
  }

  /** The (d_out, d_in) of every adapted matrix of an encoder, layer-major. */
  public static List<int[]> matrixShapes(EncoderModel model) {
    List<int[]> out = new ArrayList<>();
    for (int l = 0; l < model.layers(); l++) {
      for (String mod : BertEncoder.MODULES) {
        int dOut = mod.equals("intermediate.dense") ? EncoderModel.FFN : EncoderModel.HIDDEN;
        int dIn = mod.equals("output.dense") ? EncoderModel.FFN : EncoderModel.HIDDEN;
        out.add(new int[] {dOut, dIn});
      }
    }
    return out;
  }

  /**
   * The equal budget in parameters: SVD adapters (P: d_out×r, Q: r×d_in, Λ: r) at {@code
   * targetRank} in every matrix.
   */
  public static double svdBudgetParameters(List<int[]> shapes, double targetRank) {
    double n = 0;
    for (int[] s : shapes) {
      n += targetRank * (s[0] + s[1] + 1);
    }
    return n;
  }

  /** Parameters of B·A LoRA adapters at rank {@code r} in every matrix. */
  public static long loraParameters(List<int[]> shapes, int r) {
    long n = 0;
    for (int[] s : shapes) {
      n += (long) r * (s[0] + s[1]);
    }
    return n;
  }

  /** The fixed LoRA rank (≥ 1) whose parameter count is closest to {@link #svdBudgetParameters}. */
  public static int loraRank(List<int[]> shapes, double targetRank) {
    double budget = svdBudgetParameters(shapes, targetRank);
    long perRank = loraParameters(shapes, 1);
    int lo = Math.max(1, (int) Math.floor(budget / perRank));
    int hi = lo + 1;
    return Math.abs(loraParameters(shapes, lo) - budget)
            <= Math.abs(loraParameters(shapes, hi) - budget)
        ? lo
        : hi;
  }

  /** The experiment spec of a cell (the default runner's). */
  public static Experiment.Spec spec(Cell c, Size size, Device device, boolean progress) {
    return spec(c, size, device, progress, Map.of());
  }

  /**
   * A cell's run with explicit policy parameters ({@code key=value} for every policy, {@code
   * policy.key=value} for one), over the ones the policy derives from the run.
   */
  public static Experiment.Spec spec(
      Cell c, Size size, Device device, boolean progress, Map<String, String> policyParams) {
    TrainConfig cfg =
        new TrainConfig(
            size.steps(),
            size.batch(),
            c.lr(),
            size.steps() / 10,
            1.0,
            size.orthCoef(),
            0.0,
            size.evalEvery(),
            c.seed(),
            0.9,
            null,
            0,
            false,
            progress);
    boolean fixedRank = Policies.find(c.policy()).map(PolicyKind::trainsAtTargetRank).orElse(false);
    int rank = fixedRank ? loraRank(matrixShapes(c.tm().model()), size.targetRank()) : size.rank();
    double target = fixedRank ? rank : size.targetRank();
    return new Experiment.Spec(
        c.tm().task(),
        c.tm().model(),
        c.policy(),
        cfg,
        rank,
        target,
        16f,
        size.seq(),
        false,
        size.evalLimit(),
        size.testLimit(),
        48,
        64,
        8,
        Map.copyOf(policyParams),
        device);
  }

  /** The grid run: cells, resume, selection, summary. */
  private final Size size;

  private final Path out;
  private final Runner runner;
  private final PrintStream log;
  private int done;
  private int total;
  private long started;
  private int ranNow;

  private boolean reverse;

  private Map<String, String> policyParams = Map.of();

  /**
   * Explicit policy parameters of every run (an ablation); they join the settings every cell file
   * records, so a folder holds the cells of one set only.
   */
  public PolicyBench policyParams(Map<String, String> params) {
    this.policyParams = new TreeMap<>(params);
    return this;
  }

  /** The settings every cell records: the size's, and the explicit policy parameters if any. */
  public Map<String, Object> fingerprint() {
    Map<String, Object> m = size.fingerprint();
    if (!policyParams.isEmpty()) {
      m.put("policyParams", policyParams);
    }
    return m;
  }

  /**
   * Runs the cells after seed 1's in reverse order: a second process on the same folder started
   * with it works from the other end of the grid (cells are written atomically, so at most the cell
   * where the two meet runs twice, with the same result).
   */
  public PolicyBench reverse(boolean r) {
    this.reverse = r;
    return this;
  }

  public PolicyBench(Size size, Path out, Runner runner, PrintStream log) {
    this.size = size;
    this.out = out;
    this.runner = runner;
    this.log = log;
  }

  Path cellFile(Cell c) {
    return out.resolve("cells").resolve(c.id() + ".json");
  }

  /** The cells of the learning-rate search (first seed, every rate of each policy's grid). */
  List<Cell> searchCells(List<String> policies) {
    List<Cell> cells = new ArrayList<>();
    for (TaskModel tm : size.tasks()) {
      for (String p : policies) {
        for (double lr : size.lrs(tm, p)) {
          cells.add(new Cell(tm, p, size.seeds().get(0), lr));
        }
      }
    }
    return cells;
  }

  private boolean reportOnly;

  private boolean partial;

  /**
   * Whether the table lacks some seeds: only a bench that reports from the cells that exist ({@link
   * #load}) can, and only once {@link #finals} found one missing.
   */
  public boolean partial() {
    return partial;
  }

  /**
   * The finished cells of the grid, running none: the seed-1 cells of every learning rate must
   * exist (they choose the rates); of the other seeds, those present are used and the table says
   * how many seeds each row has.
   */
  public Map<String, Map<String, Object>> load(List<String> policies) throws IOException {
    reportOnly = true;
    Map<String, Map<String, Object>> results = new LinkedHashMap<>();
    for (TaskModel tm : size.tasks()) {
      for (String p : policies) {
        for (double lr : size.lrs(tm, p)) {
          for (long seed : size.seeds()) {
            Cell c = new Cell(tm, p, seed, lr);
            Path f = cellFile(c);
            if (Files.isRegularFile(f)) {
              results.put(c.id(), readCell(f));
            } else if (seed == size.seeds().get(0)) {
              throw new IllegalStateException(
                  "bench policies --report-only: "
                      + f
                      + " is missing; seed 1 of every learning rate must have run");
            }
          }
        }
      }
    }
    return results;
  }

  private Map<String, Object> readCell(Path f) throws IOException {
    Map<String, Object> stored = JSON.readValue(f.toFile(), new TypeReference<>() {});
    Object fp = stored.get("settings");
    if (!JSON.convertValue(fingerprint(), Map.class).equals(fp)) {
      throw new IllegalStateException(
          "bench policies: "
              + f
              + " was run with other settings "
              + fp
              + " than this grid's "
              + fingerprint()
              + "; use another --out folder");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> report = (Map<String, Object>) stored.get("report");
    return report;
  }

  /** Runs (or loads) the whole grid and returns the per-cell results, keyed by cell id. */
  public Map<String, Map<String, Object>> run(List<String> policies) throws IOException {
    Files.createDirectories(out.resolve("cells"));
    List<Cell> search = searchCells(policies);
    total = search.size() + size.tasks().size() * policies.size() * (size.seeds().size() - 1);
    done = 0;
    ranNow = 0;
    started = System.nanoTime();
    Map<String, Map<String, Object>> results = new LinkedHashMap<>();
    for (Cell c : search) {
      results.put(
          c.id(), runOrLoad(c, size.lrs(c.tm(), c.policy()).size() > 1 ? "lr search" : "seed"));
    }
    // seed-major: a grid stopped early has whole seeds (a rerun with fewer --seeds reports them)
    List<Cell> rest = new ArrayList<>();
    for (long seed : size.seeds().subList(1, size.seeds().size())) {
      for (TaskModel tm : size.tasks()) {
        for (String p : policies) {
          rest.add(new Cell(tm, p, seed, chosenLr(tm, p, results)));
        }
      }
    }
    if (reverse) {
      Collections.reverse(rest);
    }
    for (Cell c : rest) {
      results.put(c.id(), runOrLoad(c, "seed"));
    }
    return results;
  }

  /** The rate of the policy's grid with the best final validation accuracy on the first seed. */
  double chosenLr(TaskModel tm, String policy, Map<String, Map<String, Object>> results) {
    return size.lrs(tm, policy).stream()
        .max(
            Comparator.comparingDouble(
                    (Double lr) ->
                        validation(
                            results, new Cell(tm, policy, size.seeds().get(0), lr), "accuracy"))
                .thenComparingDouble(
                    lr ->
                        validation(
                            results, new Cell(tm, policy, size.seeds().get(0), lr), "macroF1"))
                .thenComparing(Comparator.<Double>reverseOrder()))
        .orElseThrow();
  }

  @SuppressWarnings("unchecked")
  static double validation(Map<String, Map<String, Object>> results, Cell c, String key) {
    Map<String, Object> r = results.get(c.id());
    if (r == null) {
      throw new IllegalStateException("bench policies: no result for cell " + c.id());
    }
    Map<String, Object> v = (Map<String, Object>) r.get("finalValidation");
    if (v == null || !(v.get(key) instanceof Number n)) {
      throw new IllegalStateException(
          "bench policies: cell " + c.id() + " has no final validation " + key);
    }
    return n.doubleValue();
  }

  private Map<String, Object> runOrLoad(Cell c, String stage) throws IOException {
    Path f = cellFile(c);
    done++;
    if (Files.isRegularFile(f)) {
      Map<String, Object> report = readCell(f);
      log.printf(Locale.ROOT, "[%d/%d] %s: done before, skipped%n", done, total, c.id());
      return report;
    }
    log.printf(Locale.ROOT, "[%d/%d] %s (%s) ...%n", done, total, c.id(), stage);
    log.flush();
    long t0 = System.nanoTime();
    Map<String, Object> report = runner.run(c, size);
    double secs = (System.nanoTime() - t0) / 1e9;
    ranNow++;
    Map<String, Object> stored = new LinkedHashMap<>();
    stored.put("cell", cellMap(c));
    stored.put("settings", fingerprint());
    stored.put("report", report);
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Reports.write(tmp, stored);
    Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    double perCell = (System.nanoTime() - started) / 1e9 / ranNow;
    log.printf(
        Locale.ROOT,
        "[%d/%d] %s: %.0f s; validation %s; about %.0f min left%n",
        done,
        total,
        c.id(),
        secs,
        report.get("finalValidation"),
        perCell * (total - done) / 60);
    log.flush();
    return report;
  }

  static Map<String, Object> cellMap(Cell c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("task", c.tm().task());
    m.put("model", c.tm().model().cliName());
    m.put("policy", c.policy());
    m.put("seed", c.seed());
    m.put("lr", c.lr());
    return m;
  }

  /** A learning rate as typed: 0.003, 0.01. */
  static String lrText(double lr) {
    return BigDecimal.valueOf(lr).stripTrailingZeros().toPlainString();
  }

  /** Per task and policy: the final cells (every seed at the chosen rate). */
  public Map<TaskModel, Map<String, List<Map<String, Object>>>> finals(
      List<String> policies, Map<String, Map<String, Object>> results) {
    Map<TaskModel, Map<String, List<Map<String, Object>>>> out = new LinkedHashMap<>();
    for (TaskModel tm : size.tasks()) {
      Map<String, List<Map<String, Object>>> byPolicy = new LinkedHashMap<>();
      for (String p : policies) {
        double lr = chosenLr(tm, p, results);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (long seed : size.seeds()) {
          Map<String, Object> r = results.get(new Cell(tm, p, seed, lr).id());
          if (r != null) {
            runs.add(r);
          } else if (reportOnly) {
            partial = true;
          } else {
            throw new IllegalStateException(
                "bench policies: no result for " + new Cell(tm, p, seed, lr).id());
          }
        }
        byPolicy.put(p, runs);
      }
      out.put(tm, byPolicy);
    }
    return out;
  }

  public Size size() {
    return size;
  }

  public Path out() {
    return out;
  }
}
