package io.salientstream.dashboard;

import io.salientstream.avro.AdaptedMatrix;
import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.MatrixMask;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerStatus;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything the dashboard knows about one experiment, folded from its records on the experiment,
 * singular-value, salience-report, command, trainer-status and dead-letter topics. Every collection
 * is bounded: curves are {@link Series} (older points thinned), logs keep their newest entries.
 *
 * <p>Besides the full view ({@link #detail}) it keeps what changed since the last {@link #drain}:
 * the live stream sends only that.
 */
final class ExperimentView {

  /** Bounds of what one experiment keeps. */
  record Limits(
      int curvePoints,
      int heatmapSnapshots,
      int commandLog,
      int latencySamples,
      int deadLetterLog,
      int pendingPoints) {
    static Limits defaults() {
      return new Limits(2000, 400, 200, 1000, 200, 20_000);
    }
  }

  /** The layer part of a module path: "encoder.layer.3.attention.self.query" → column after it. */
  private static final Pattern LAYER_PART = Pattern.compile("(^|\\.)layer\\.\\d+(\\.|$)");

  /**
   * The status metric in which a trainer reports how many of its run's commands it refused (the
   * trainer host's {@code KafkaAllocationHost.COMMANDS_REFUSED}); the status message then carries
   * the last refusal.
   */
  static final String COMMANDS_REFUSED = "commands_refused";

  /** The measure of the heatmap drawn from the registration's initial ranks. */
  static final String INITIAL_RANKS = "initial ranks";

  private static final int HISTOGRAM_BINS = 24;
  private static final int MAX_METRICS = 16;
  private static final int WALL_CLOCKS = 4096;

  private final String id;
  private final Limits limits;

  // registration
  private String policy = "?";
  private String task = "?";
  private String model = "?";
  private String allocation = "?";
  private long createdAtMs;
  private int initialBudget = -1;
  private int targetBudget = -1;
  private final List<String> matrixNames = new ArrayList<>();
  private final List<Integer> matrixLayers = new ArrayList<>();
  private final List<Integer> initialRanks = new ArrayList<>();

  // status
  private String state = "?";
  private long step = -1;
  private long totalSteps;
  private double loss = Double.NaN;
  private double stepsPerSecond;
  private int totalRank = -1;
  private long totalRankStep = -1;
  private long commandsApplied;
  private long commandsRefused;
  private String refusalsRun;
  private long lagSteps;
  private Map<String, Double> metrics = Map.of();
  private long lastEventMs;
  private boolean hasStepMasks;

  // curves
  private final Series lossCurve;
  private final Series rankCurve;
  private final Series budgetCurve;
  private final Series windowCurve;
  private final Map<String, Series> metricCurves = new TreeMap<>();

  // window ends, commands, dead letters
  private int lastWindowLength;
  private int budgetNow = -1;
  private final Deque<Map<String, Object>> heatmaps = new ArrayDeque<>();
  private Map<String, Object> salience;
  private final Deque<Map<String, Object>> commands = new ArrayDeque<>();
  private long commandCount;
  private final Deque<Map<String, Object>> refusals = new ArrayDeque<>();
  private final Deque<Double> latencies = new ArrayDeque<>();
  private final Deque<Map<String, Object>> deadLetters = new ArrayDeque<>();
  private long deadLetterCount;
  private final LinkedHashMap<Long, Long> wallClockByStep =
      new LinkedHashMap<>(256, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> e) {
          return size() > WALL_CLOCKS;
        }
      };

  private final Map<Long, Map<String, Object>> awaitingStep = new TreeMap<>();

  // what changed since the last drain
  private boolean dirty;
  private final Map<String, List<long[]>> pendingSteps = new LinkedHashMap<>();
  private final Map<String, List<Double>> pendingValues = new LinkedHashMap<>();
  private int pendingCount;
  private final List<Map<String, Object>> pendingHeatmaps = new ArrayList<>();
  private final List<Map<String, Object>> pendingCommands = new ArrayList<>();
  private final List<Map<String, Object>> pendingRefusals = new ArrayList<>();
  private final List<Map<String, Object>> pendingDeadLetters = new ArrayList<>();
  private final List<Double> pendingLatencies = new ArrayList<>();
  private boolean pendingSalience;
  private long pendingLastStepWallClockMs = -1;

  ExperimentView(String id, Limits limits) {
    this.id = id;
    this.limits = limits;
    this.lossCurve = new Series(limits.curvePoints());
    this.rankCurve = new Series(limits.curvePoints());
    this.budgetCurve = new Series(limits.curvePoints());
    this.windowCurve = new Series(limits.curvePoints());
  }

  String id() {
    return id;
  }

  // ---------------------------------------------------------------- folding

  synchronized void onSpec(ExperimentSpec s) {
    policy = s.getPolicy();
    task = s.getTask();
    model = s.getModel();
    allocation = s.getAllocation();
    createdAtMs = s.getCreatedAtMs().toEpochMilli();
    totalSteps = Math.max(totalSteps, s.getSchedule().getTotalSteps());
    initialBudget = s.getSchedule().getInitialBudget();
    targetBudget = s.getSchedule().getTargetBudget();
    matrixNames.clear();
    matrixLayers.clear();
    initialRanks.clear();
    int[] ranks = new int[s.getMatrices().size()];
    int i = 0;
    for (AdaptedMatrix m : s.getMatrices()) {
      matrixNames.add(m.getName());
      matrixLayers.add(m.getLayer());
      initialRanks.add(m.getInitialRank());
      ranks[i++] = m.getInitialRank();
    }
    // The registration is read from its own topic, so reports and commands may have been folded
    // before it: the starting budget and the initial pattern then go in front of them.
    if (budgetCurve.addFirst(0, initialBudget)) {
      pending("budget", 0, initialBudget);
    }
    if (heatmaps.isEmpty() || !INITIAL_RANKS.equals(heatmaps.peekFirst().get("measure"))) {
      initialHeatmap(ranks);
    }
    dirty = true;
  }

  synchronized void onStep(SingularValueStep s) {
    long st = s.getStep();
    wallClockByStep.put(st, s.getWallClockMs().toEpochMilli());
    if (!awaitingStep.isEmpty()) {
      latencyOnStep(st, s.getWallClockMs().toEpochMilli());
    }
    lastEventMs = s.getWallClockMs().toEpochMilli();
    if (matrixNames.isEmpty()) {
      for (MatrixSingularValues m : s.getMatrices()) {
        matrixNames.add(m.getName());
        matrixLayers.add(m.getLayer());
      }
    }
    if (point("loss", lossCurve, st, s.getTaskLoss())) {
      pendingLastStepWallClockMs = lastEventMs;
    }
    int rank = 0;
    boolean masks = false;
    for (MatrixSingularValues m : s.getMatrices()) {
      for (boolean k : m.getMask()) {
        masks = true;
        rank += k ? 1 : 0;
      }
    }
    if (masks) {
      if (!hasStepMasks) {
        // statuses read before the first step drew the curve; the steps' masks replace them
        rankCurve.clear();
        hasStepMasks = true;
      }
      point("rank", rankCurve, st, rank);
      if (st > totalRankStep) {
        totalRank = rank;
        totalRankStep = st;
      }
    }
    if (st > step) {
      step = st;
      loss = s.getTaskLoss();
    }
    dirty = true;
  }

  synchronized void onStatus(TrainerStatus s) {
    state = s.getState().toString();
    step = Math.max(step, s.getStep());
    totalSteps = s.getTotalSteps() > 0 ? s.getTotalSteps() : totalSteps;
    if (Double.isFinite(s.getTaskLoss())) {
      loss = s.getTaskLoss();
    }
    stepsPerSecond = s.getStepsPerSecond();
    commandsApplied = s.getCommandsApplied();
    lagSteps = s.getCommandLagSteps();
    onRefusals(s);
    if (s.getTotalRank() > 0) {
      // the newest step's rank; at the same step a status (after the step) wins over the step event
      if (s.getStep() >= totalRankStep) {
        totalRank = s.getTotalRank();
        totalRankStep = s.getStep();
      }
      // policies whose events carry no keep masks (plain LoRA adapters) get their rank curve here
      if (!hasStepMasks) {
        point("rank", rankCurve, s.getStep(), s.getTotalRank());
      }
    }
    if (!s.getMetrics().isEmpty()) {
      metrics = new TreeMap<>(s.getMetrics());
      for (Map.Entry<String, Double> m : s.getMetrics().entrySet()) {
        if (m.getKey().equals(COMMANDS_REFUSED)) {
          continue; // a count, shown in the list and the command log, not a metric curve
        }
        Series c = metricCurves.get(m.getKey());
        if (c == null && metricCurves.size() < MAX_METRICS) {
          c = new Series(limits.curvePoints());
          metricCurves.put(m.getKey(), c);
        }
        if (c != null) {
          point("metric:" + m.getKey(), c, s.getStep(), m.getValue());
        }
      }
    }
    lastEventMs = Math.max(lastEventMs, s.getWallClockMs().toEpochMilli());
    dirty = true;
  }

  /**
   * A status whose refused-commands count rose (within one run; a new run counts from 0) adds an
   * entry to the refusal log with the status's message, which names the last refused command and
   * why.
   */
  private void onRefusals(TrainerStatus s) {
    Double reported = s.getMetrics().get(COMMANDS_REFUSED);
    long count = reported == null || !Double.isFinite(reported) ? 0 : reported.longValue();
    String run = s.getRunId() + "/" + s.getEpoch();
    if (!run.equals(refusalsRun)) {
      refusalsRun = run;
      commandsRefused = 0;
    }
    if (count <= commandsRefused) {
      return;
    }
    commandsRefused = count;
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("refused", count);
    e.put("runId", s.getRunId());
    e.put("epoch", s.getEpoch());
    e.put("step", s.getStep());
    e.put("atMs", s.getWallClockMs().toEpochMilli());
    String msg = s.getMessage() == null ? "" : s.getMessage().toString();
    e.put("message", msg.length() > 500 ? msg.substring(0, 500) + "…" : msg);
    bounded(refusals, e, limits.commandLog());
    pendingRefusals.add(e);
  }

  synchronized void onReport(SalienceReport r) {
    if (!r.getPolicy().isEmpty()) {
      policy = r.getPolicy();
    }
    lastWindowLength = r.getWindowLength();
    budgetNow = r.getBudget();
    point("window", windowCurve, r.getWindowEndStep(), r.getWindowLength());
    point("budget", budgetCurve, r.getWindowEndStep(), r.getBudget());
    salience = histogram(r);
    pendingSalience = true;
    dirty = true;
  }

  synchronized void onCommand(RankPruneCommand c, long recordTimestampMs) {
    if (c.getSequence() <= commandCount) {
      return; // a command seen before (replayed): the log keeps each sequence once
    }
    commandCount = c.getSequence();
    if (!c.getProvenance().getPolicy().isEmpty()) {
      policy = c.getProvenance().getPolicy();
    }
    int[] values = new int[c.getMasks().size()];
    boolean entries = false;
    for (int i = 0; i < values.length; i++) {
      MatrixMask m = c.getMasks().get(i);
      if (!m.getKeep().isEmpty()) {
        int n = 0;
        for (boolean k : m.getKeep()) {
          n += k ? 1 : 0;
        }
        values[i] = n;
      } else if (m.getEntries() != null) {
        entries = true;
        values[i] = bitCount(m.getEntries());
      }
    }
    if (matrixNames.isEmpty()) {
      for (MatrixMask m : c.getMasks()) {
        matrixNames.add(m.getName());
        matrixLayers.add(m.getLayer());
      }
    }
    heatmap(
        c.getApplyAtStep(),
        c.getSequence(),
        values,
        entries ? "kept entries of A" : "rank (kept singular values)");
    Long closedBy = wallClockByStep.get(c.getProvenance().getWindowEndStep());
    long created = c.getCreatedAtMs().toEpochMilli();
    Double latency = closedBy == null ? null : (double) Math.max(0, created - closedBy);
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("sequence", c.getSequence());
    e.put("commandId", c.getCommandId());
    e.put("decidedAtStep", c.getDecidedAtStep());
    e.put("applyAtStep", c.getApplyAtStep());
    e.put("totalRank", c.getTotalRank());
    e.put("persistent", c.getPersistent());
    e.put("epoch", c.getTargetEpoch());
    e.put("policy", c.getProvenance().getPolicy());
    e.put("params", new TreeMap<>(c.getProvenance().getParams()));
    e.put("windowStartStep", c.getProvenance().getWindowStartStep());
    e.put("windowEndStep", c.getProvenance().getWindowEndStep());
    e.put("threshold", finite(c.getProvenance().getThreshold()));
    e.put("codeVersion", c.getProvenance().getCodeVersion());
    e.put("createdAtMs", created);
    e.put("latencyMs", latency);
    bounded(commands, e, limits.commandLog());
    pendingCommands.add(e);
    if (latency != null) {
      bounded(latencies, latency, limits.latencySamples());
      pendingLatencies.add(latency);
    } else if (awaitingStep.size() < 64) {
      // topics are read in parallel: the step event that closed the window may come later
      awaitingStep.put(c.getProvenance().getWindowEndStep(), e);
    }
    dirty = true;
  }

  private void latencyOnStep(long st, long wallClockMs) {
    Map<String, Object> e = awaitingStep.remove(st);
    if (e != null) {
      double latency = Math.max(0, ((Number) e.get("createdAtMs")).longValue() - wallClockMs);
      e.put("latencyMs", latency);
      bounded(latencies, latency, limits.latencySamples());
      pendingLatencies.add(latency);
    }
  }

  synchronized void onDeadLetter(DeadLetter d) {
    deadLetterCount++;
    Map<String, Object> e = deadLetterEntry(id, d);
    bounded(deadLetters, e, limits.deadLetterLog());
    pendingDeadLetters.add(e);
    dirty = true;
  }

  static Map<String, Object> deadLetterEntry(String experiment, DeadLetter d) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("experimentId", experiment);
    e.put("reason", d.getReason().toString());
    e.put("sourceTopic", d.getSourceTopic());
    e.put("sourcePartition", d.getSourcePartition());
    e.put("sourceOffset", d.getSourceOffset());
    e.put("application", d.getApplication());
    e.put("errorClass", d.getErrorClass());
    String msg = d.getErrorMessage();
    e.put("message", msg.length() > 500 ? msg.substring(0, 500) + "…" : msg);
    e.put("failedAtMs", d.getFailedAtMs().toEpochMilli());
    return e;
  }

  // ---------------------------------------------------------------- helpers

  private boolean point(String name, Series s, long st, double v) {
    if (!s.add(st, v)) {
      return false;
    }
    pending(name, st, v);
    return true;
  }

  private void pending(String name, long st, double v) {
    if (pendingCount < limits.pendingPoints()) {
      pendingSteps.computeIfAbsent(name, k -> new ArrayList<>()).add(new long[] {st});
      pendingValues.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
      pendingCount++;
    }
  }

  /** The initial pattern, always first (it may be folded after commands' patterns). */
  private void initialHeatmap(int[] values) {
    Map<String, Object> h = pattern(0, 0, values, INITIAL_RANKS);
    if (heatmaps.size() >= limits.heatmapSnapshots()) {
      heatmaps.pollFirst(); // the oldest command's pattern
    }
    heatmaps.addFirst(h);
    pendingHeatmaps.add(h);
  }

  private void heatmap(long atStep, long sequence, int[] values, String measure) {
    Map<String, Object> h = pattern(atStep, sequence, values, measure);
    // the first (initial) pattern stays; the newest ones are kept up to the limit
    if (heatmaps.size() >= limits.heatmapSnapshots()) {
      Map<String, Object> first = heatmaps.pollFirst();
      heatmaps.pollFirst();
      heatmaps.addFirst(first);
    }
    heatmaps.addLast(h);
    pendingHeatmaps.add(h);
  }

  /** One rank pattern of the heatmap, as the API and the page carry it. */
  private static Map<String, Object> pattern(
      long atStep, long sequence, int[] values, String measure) {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("step", atStep);
    h.put("sequence", sequence);
    h.put("measure", measure);
    h.put("values", values);
    return h;
  }

  private static Map<String, Object> histogram(SalienceReport r) {
    List<Double> scores = r.getSalience();
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    int finiteCount = 0;
    for (double v : scores) {
      if (Double.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        finiteCount++;
      }
    }
    double t = r.getThreshold();
    if (Double.isFinite(t) && finiteCount > 0) {
      lo = Math.min(lo, t);
      hi = Math.max(hi, t);
    }
    long[] counts = new long[HISTOGRAM_BINS];
    double[] edges = new double[HISTOGRAM_BINS];
    if (finiteCount > 0) {
      double width = hi > lo ? (hi - lo) / HISTOGRAM_BINS : 1.0;
      for (int b = 0; b < HISTOGRAM_BINS; b++) {
        edges[b] = lo + b * width;
      }
      for (double v : scores) {
        if (Double.isFinite(v)) {
          int b = (int) Math.min(HISTOGRAM_BINS - 1, Math.floor((v - lo) / width));
          counts[b]++;
        }
      }
    }
    int kept = 0;
    for (boolean k : r.getKeepMask()) {
      kept += k ? 1 : 0;
    }
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("windowIndex", r.getWindowIndex());
    h.put("windowStartStep", r.getWindowStartStep());
    h.put("windowEndStep", r.getWindowEndStep());
    h.put("threshold", finite(t));
    h.put("binStarts", edges);
    h.put("counts", counts);
    h.put("scores", finiteCount);
    h.put("nonFinite", scores.size() - finiteCount);
    h.put("kept", kept);
    h.put("budget", r.getBudget());
    return h;
  }

  private static int bitCount(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    int n = 0;
    while (d.hasRemaining()) {
      n += Integer.bitCount(d.get() & 0xff);
    }
    return n;
  }

  private static <T> void bounded(Deque<T> d, T v, int max) {
    d.addLast(v);
    while (d.size() > max) {
      d.pollFirst();
    }
  }

  private static Double finite(double v) {
    return Double.isFinite(v) ? v : null;
  }

  // ---------------------------------------------------------------- views

  /** The row of the experiment list. */
  synchronized Map<String, Object> summary() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("policy", policy);
    m.put("task", task);
    m.put("model", model);
    m.put("allocation", allocation);
    m.put("state", state);
    m.put("step", step);
    m.put("totalSteps", totalSteps);
    m.put("loss", finite(loss));
    m.put("stepsPerSecond", finite(stepsPerSecond));
    m.put("totalRank", totalRank);
    m.put("budget", budgetNow >= 0 ? budgetNow : initialBudget);
    m.put("targetBudget", targetBudget);
    m.put("commands", commandCount);
    m.put("commandsApplied", commandsApplied);
    m.put("commandsRefused", commandsRefused);
    m.put("commandLagSteps", lagSteps);
    m.put("windowLength", lastWindowLength);
    m.put("deadLetters", deadLetterCount);
    m.put("metrics", metrics);
    m.put("createdAtMs", createdAtMs);
    m.put("lastEventMs", lastEventMs);
    return m;
  }

  /** Layout of the heatmap: rows = layers, columns = adapted matrices, cell index per matrix. */
  private Map<String, Object> layout() {
    List<String> columns = new ArrayList<>();
    List<Integer> layers = new ArrayList<>();
    int[][] cell = new int[matrixNames.size()][];
    for (int i = 0; i < matrixNames.size(); i++) {
      Matcher lm = LAYER_PART.matcher(matrixNames.get(i));
      String col =
          lm.find() && lm.end() < matrixNames.get(i).length()
              ? matrixNames.get(i).substring(lm.end())
              : matrixNames.get(i);
      int c = columns.indexOf(col);
      if (c < 0) {
        columns.add(col);
        c = columns.size() - 1;
      }
      int layer = matrixLayers.get(i);
      int r = layers.indexOf(layer);
      if (r < 0) {
        layers.add(layer);
        r = layers.size() - 1;
      }
      cell[i] = new int[] {r, c};
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("layers", layers);
    m.put("columns", columns);
    m.put("matrices", List.copyOf(matrixNames));
    m.put("cells", cell);
    m.put("initialRanks", List.copyOf(initialRanks));
    return m;
  }

  synchronized List<Map<String, Object>> deadLetterLog() {
    return List.copyOf(deadLetters);
  }

  /** The whole view: summary, curves (at most {@code points} each), heatmaps, logs. */
  synchronized Map<String, Object> detail(int points) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("summary", summary());
    Map<String, Object> curves = new LinkedHashMap<>();
    curves.put("loss", lossCurve.columns(points));
    curves.put("rank", rankCurve.columns(points));
    curves.put("budget", budgetCurve.columns(points));
    curves.put("window", windowCurve.columns(points));
    metricCurves.forEach((k, v) -> curves.put("metric:" + k, v.columns(points)));
    m.put("curves", curves);
    m.put("layout", layout());
    m.put("heatmaps", List.copyOf(heatmaps));
    m.put("salience", salience);
    m.put("commands", List.copyOf(commands));
    m.put("refusals", List.copyOf(refusals));
    m.put("latenciesMs", List.copyOf(latencies));
    m.put("deadLetters", List.copyOf(deadLetters));
    return m;
  }

  /** What changed since the last call, or null when nothing did; clears it. */
  synchronized Map<String, Object> drain() {
    if (!dirty) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("summary", summary());
    if (!pendingSteps.isEmpty()) {
      Map<String, Object> pts = new LinkedHashMap<>();
      pendingSteps.forEach(
          (k, steps) -> {
            List<Double> vals = pendingValues.get(k);
            List<Object> s = new ArrayList<>(steps.size());
            List<Object> v = new ArrayList<>(steps.size());
            for (int i = 0; i < steps.size(); i++) {
              s.add(steps.get(i)[0]);
              double x = vals.get(i);
              v.add(Double.isFinite(x) ? x : null);
            }
            pts.put(k, List.of(s, v));
          });
      m.put("points", pts);
    }
    if (!pendingHeatmaps.isEmpty()) {
      m.put("heatmaps", List.copyOf(pendingHeatmaps));
      m.put("layout", layout());
    }
    if (pendingSalience) {
      m.put("salience", salience);
    }
    if (!pendingCommands.isEmpty()) {
      m.put("commands", List.copyOf(pendingCommands));
    }
    if (!pendingRefusals.isEmpty()) {
      m.put("refusals", List.copyOf(pendingRefusals));
    }
    if (!pendingLatencies.isEmpty()) {
      m.put("latenciesMs", List.copyOf(pendingLatencies));
    }
    if (!pendingDeadLetters.isEmpty()) {
      m.put("deadLetters", List.copyOf(pendingDeadLetters));
    }
    if (pendingLastStepWallClockMs >= 0) {
      m.put("lastStepWallClockMs", pendingLastStepWallClockMs);
    }
    dirty = false;
    pendingSteps.clear();
    pendingValues.clear();
    pendingCount = 0;
    pendingHeatmaps.clear();
    pendingCommands.clear();
    pendingRefusals.clear();
    pendingLatencies.clear();
    pendingDeadLetters.clear();
    pendingSalience = false;
    pendingLastStepWallClockMs = -1;
    return m;
  }
}
