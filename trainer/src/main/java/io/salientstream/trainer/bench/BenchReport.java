package io.salientstream.trainer.bench;

import io.salientstream.trainer.bench.PolicyBench.TaskModel;
import io.salientstream.trainer.model.BertEncoder;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.train.Experiment;
import io.salientstream.trainer.train.Reports;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The summary of a finished grid: {@code results.json}, {@code results.md} and the plots ({@link
 * BenchPlots}).
 */
public final class BenchReport {

  static final int RESAMPLES = 2000;

  private BenchReport() {}

  /** One policy's row of a task's table. */
  public record Row(
      String policy,
      List<Long> seeds,
      double lr,
      double[] accuracy,
      double[] macroF1,
      double adapterParameters,
      double finalTotalRank,
      double msPerStep,
      double allocationMsPerStep,
      BenchStats.Interval accDiff,
      BenchStats.Interval f1Diff,
      BenchStats.SignTest accSign,
      Double samePredictions,
      Double sameRanks) {}

  /**
   * The share of test examples on which two runs predict the same class: 1 means the allocation
   * changed no prediction.
   */
  static double samePredictions(Map<String, Object> a, Map<String, Object> b) {
    int[] pa = ints(a.get("testPredictions"));
    int[] pb = ints(b.get("testPredictions"));
    if (pa.length != pb.length) {
      throw new IllegalArgumentException(
          "bench policies: runs of " + pa.length + " and " + pb.length + " test examples");
    }
    int same = 0;
    for (int i = 0; i < pa.length; i++) {
      same += pa[i] == pb[i] ? 1 : 0;
    }
    return pa.length == 0 ? 1 : (double) same / pa.length;
  }

  /** The share of adapted matrices that end at the same rank in both runs (null for the probe). */
  static Double sameRanks(Map<String, Object> a, Map<String, Object> b) {
    if (!(a.get("ranks") instanceof Map<?, ?> ra) || !(b.get("ranks") instanceof Map<?, ?> rb)) {
      return null;
    }
    if (ra.isEmpty() || !ra.keySet().equals(rb.keySet())) {
      return null;
    }
    int same = 0;
    for (Object k : ra.keySet()) {
      same += ((Number) ra.get(k)).intValue() == ((Number) rb.get(k)).intValue() ? 1 : 0;
    }
    return (double) same / ra.size();
  }

  static double num(Map<String, Object> r, String key) {
    Object v = r.get(key);
    if (!(v instanceof Number n)) {
      throw new IllegalStateException("bench policies: report has no number '" + key + "'");
    }
    return n.doubleValue();
  }

  @SuppressWarnings("unchecked")
  static double metric(Map<String, Object> r, String key) {
    return ((Number) ((Map<String, Object>) r.get("metrics")).get(key)).doubleValue();
  }

  static int[] ints(Object o) {
    if (o instanceof int[] a) {
      return a;
    }
    List<?> l = (List<?>) o;
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) l.get(i)).intValue();
    }
    return out;
  }

  static BenchStats.Predictions predictions(Map<String, Object> r) {
    return new BenchStats.Predictions(ints(r.get("testGold")), ints(r.get("testPredictions")));
  }

  /** The rows of one task (SalientLoRA's differences to itself are zero). */
  public static List<Row> rows(TaskModel tm, Map<String, List<Map<String, Object>>> byPolicy) {
    List<Row> rows = new ArrayList<>();
    List<Map<String, Object>> ref = byPolicy.get(PolicyBench.REFERENCE);
    int head = tm.classes() * (EncoderModel.HIDDEN + 1);
    for (Map.Entry<String, List<Map<String, Object>>> e : byPolicy.entrySet()) {
      List<Map<String, Object>> runs = e.getValue();
      int n = runs.size();
      double[] acc = new double[n];
      double[] f1 = new double[n];
      double params = 0;
      double rank = 0;
      double ms = 0;
      double alloc = 0;
      for (int i = 0; i < n; i++) {
        Map<String, Object> r = runs.get(i);
        acc[i] = metric(r, "accuracy");
        f1[i] = metric(r, "macroF1");
        params += (num(r, "trainableParameters") - head) / n;
        rank += num(r, "finalTotalRank") / n;
        ms += 1000.0 / num(r, "stepsPerSecond") / n;
        alloc += num(r, "allocationOverheadMsPerStep") / n;
      }
      BenchStats.Interval da = null;
      BenchStats.Interval df = null;
      BenchStats.SignTest st = null;
      Double samePred = null;
      Double sameRank = null;
      if (ref != null && !e.getKey().equals(PolicyBench.REFERENCE)) {
        // pair by seed: the seeds both policies have (all of them in a finished grid)
        Map<Long, Map<String, Object>> refBySeed = new TreeMap<>();
        ref.forEach(r -> refBySeed.put(((Number) r.get("seed")).longValue(), r));
        List<Map<String, Object>> pa = new ArrayList<>();
        List<Map<String, Object>> pb = new ArrayList<>();
        for (Map<String, Object> r : runs) {
          Map<String, Object> x = refBySeed.get(((Number) r.get("seed")).longValue());
          if (x != null) {
            pa.add(x);
            pb.add(r);
          }
        }
        List<BenchStats.Predictions> a = pa.stream().map(BenchReport::predictions).toList();
        List<BenchStats.Predictions> b = pb.stream().map(BenchReport::predictions).toList();
        da =
            BenchStats.pairedBootstrap(
                a, b, tm.classes(), BenchStats.Metric.ACCURACY, RESAMPLES, 20261203L);
        df =
            BenchStats.pairedBootstrap(
                a, b, tm.classes(), BenchStats.Metric.MACRO_F1, RESAMPLES, 20261203L);
        double sp = 0;
        double sr = 0;
        boolean ranked = true;
        for (int i = 0; i < pa.size(); i++) {
          sp += samePredictions(pa.get(i), pb.get(i)) / pa.size();
          Double r = sameRanks(pa.get(i), pb.get(i));
          ranked &= r != null;
          sr += r == null ? 0 : r / pa.size();
        }
        samePred = pa.isEmpty() ? null : sp;
        sameRank = pa.isEmpty() || !ranked ? null : sr;
        st =
            BenchStats.signTest(
                pa.stream().mapToDouble(r -> metric(r, "accuracy")).toArray(),
                pb.stream().mapToDouble(r -> metric(r, "accuracy")).toArray());
      }
      rows.add(
          new Row(
              e.getKey(),
              runs.stream().map(r -> ((Number) r.get("seed")).longValue()).toList(),
              num(runs.get(0), "lr"),
              acc,
              f1,
              params,
              rank,
              ms,
              alloc,
              da,
              df,
              st,
              samePred,
              sameRank));
    }
    return rows;
  }

  /** Writes results.json, results.md and the plots into the bench's folder. */
  public static void write(
      PolicyBench bench,
      List<String> policies,
      Map<String, Map<String, Object>> results,
      String command)
      throws IOException {
    var finals = bench.finals(policies, results);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("size", bench.size().name());
    json.put("command", command);
    json.put("settings", bench.fingerprint());
    json.put("seeds", bench.size().seeds());
    json.put("adapterLrGrid", bench.size().adapterLrs());
    json.put("probeLrGrid", bench.size().probeLrs());
    StringBuilder md = new StringBuilder();
    md.append("<!-- written by: ").append(command).append(" -->\n\n");
    if (bench.partial()) {
      md.append(
          "**Partial grid**: reported from the cells that had finished (`--report-only`); the seeds"
              + " column says which seeds each row has, and the paired differences use the seeds both"
              + " policies have.\n\n");
    }
    json.put("partial", bench.partial());
    List<Map<String, Object>> tasks = new ArrayList<>();
    for (var te : finals.entrySet()) {
      TaskModel tm = te.getKey();
      List<Row> rows = rows(tm, te.getValue());
      tasks.add(taskJson(tm, rows, te.getValue(), bench, policies, results));
      md.append(markdown(tm, rows, bench.size(), testExamples(te.getValue())));
      BenchPlots.curves(bench.out().resolve("curves-" + tm.id() + ".png"), tm, te.getValue());
      for (String p : policies) {
        if (!p.equals(Experiment.PROBE)) {
          BenchPlots.ranks(
              bench.out().resolve("ranks-" + tm.id() + "-" + p + ".png"),
              tm,
              p,
              meanRanks(tm, te.getValue().get(p)));
        }
      }
    }
    json.put("tasks", tasks);
    Reports.write(bench.out().resolve("results.json"), json);
    Files.writeString(bench.out().resolve("results.md"), md.toString());
  }

  /** Mean final rank per [layer][module] over the runs. */
  @SuppressWarnings("unchecked")
  static double[][] meanRanks(TaskModel tm, List<Map<String, Object>> runs) {
    int layers = tm.model().layers();
    List<String> mods = BertEncoder.MODULES;
    double[][] m = new double[layers][mods.size()];
    for (Map<String, Object> r : runs) {
      Map<String, Object> ranks = (Map<String, Object>) r.get("ranks");
      for (int l = 0; l < layers; l++) {
        for (int j = 0; j < mods.size(); j++) {
          Object v = ranks.get("encoder.layer." + l + "." + mods.get(j));
          m[l][j] += v == null ? 0 : ((Number) v).doubleValue() / runs.size();
        }
      }
    }
    return m;
  }

  private static Map<String, Object> taskJson(
      TaskModel tm,
      List<Row> rows,
      Map<String, List<Map<String, Object>>> byPolicy,
      PolicyBench bench,
      List<String> policies,
      Map<String, Map<String, Object>> results) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("task", tm.task());
    t.put("model", tm.model().cliName());
    t.put("adapterLrGrid", bench.size().lrs(tm, PolicyBench.REFERENCE));
    t.put("probeLrGrid", bench.size().lrs(tm, Experiment.PROBE));
    List<Map<String, Object>> rs = new ArrayList<>();
    for (Row r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", r.policy());
      m.put("seeds", r.seeds());
      m.put("chosenLr", r.lr());
      Map<String, Double> search = new TreeMap<>();
      for (double lr : bench.size().lrs(tm, r.policy())) {
        search.put(
            PolicyBench.lrText(lr),
            PolicyBench.validation(
                results,
                new PolicyBench.Cell(tm, r.policy(), bench.size().seeds().get(0), lr),
                "accuracy"));
      }
      m.put("validationAccuracyByLr", search);
      m.put("testAccuracy", r.accuracy());
      m.put("testAccuracyMean", BenchStats.mean(r.accuracy()));
      m.put("testAccuracyStd", BenchStats.std(r.accuracy()));
      m.put("testMacroF1", r.macroF1());
      m.put("testMacroF1Mean", BenchStats.mean(r.macroF1()));
      m.put("testMacroF1Std", BenchStats.std(r.macroF1()));
      m.put("adapterParameters", r.adapterParameters());
      m.put("finalTotalRank", r.finalTotalRank());
      m.put("msPerStep", r.msPerStep());
      m.put("allocationMsPerStep", r.allocationMsPerStep());
      if (r.accDiff() != null) {
        m.put("accuracyDiffVsSalientLora", r.accDiff());
        m.put("macroF1DiffVsSalientLora", r.f1Diff());
        m.put("signTestVsSalientLora", r.accSign());
        m.put("samePredictionsAsSalientLora", r.samePredictions());
        m.put("sameFinalRanksAsSalientLora", r.sameRanks());
      }
      m.put("ranks", byPolicy.get(r.policy()).stream().map(x -> x.get("ranks")).toList());
      m.put("curves", byPolicy.get(r.policy()).stream().map(BenchPlots::curve).toList());
      rs.add(m);
    }
    t.put("policies", rs);
    return t;
  }

  static String pct(double x) {
    return String.format(Locale.ROOT, "%.1f", 100 * x);
  }

  /**
   * How many test examples the runs were scored on (from their reports; normally one count), e.g.
   * {@code [631]} when the split is smaller than the size's test limit.
   */
  static SortedSet<Integer> testExamples(Map<String, List<Map<String, Object>>> byPolicy) {
    SortedSet<Integer> n = new TreeSet<>();
    for (List<Map<String, Object>> runs : byPolicy.values()) {
      for (Map<String, Object> r : runs) {
        Object m = r.get("metrics");
        if (m instanceof Map<?, ?> metrics && metrics.get("examples") instanceof Number e) {
          n.add(e.intValue());
        }
      }
    }
    return n;
  }

  /** "first 2000 of the split" when the limit cut the split, "all 631" when it did not. */
  static String testSetText(SortedSet<Integer> examples, int testLimit) {
    if (examples.isEmpty()) {
      return testLimit == 0 ? "all examples" : "at most " + testLimit + " examples";
    }
    String counts = examples.stream().map(String::valueOf).collect(Collectors.joining(" / "));
    if (testLimit > 0 && examples.last() >= testLimit) {
      return "first " + counts + " examples of the split";
    }
    return "all " + counts + " examples of the split";
  }

  static String markdown(
      TaskModel tm, List<Row> rows, PolicyBench.Size size, SortedSet<Integer> testExamples) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "#### %s, %s: %d steps × batch %d, seq ≤ %d, seeds %s, rank %d → %s (test: %s)%n%n",
            tm.task(),
            tm.model().cliName(),
            size.steps(),
            size.batch(),
            size.seq(),
            size.seeds(),
            size.rank(),
            PolicyBench.lrText(size.targetRank()),
            testSetText(testExamples, size.testLimit())));
    b.append(
        "| policy | seeds | lr (chosen on validation, seed 1) | accuracy % (mean ± std) | macro-F1 % (mean ± std) |"
            + " Δ accuracy vs SalientLoRA [95 % CI] | Δ macro-F1 vs SalientLoRA [95 % CI] |"
            + " wins/losses vs SalientLoRA (sign test p) | same test predictions as SalientLoRA %"
            + " | matrices at SalientLoRA's final rank % | adapter params | final total rank |"
            + " ms/step | allocation ms/step |\n");
    b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row r : rows) {
      b.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %s ± %s | %s ± %s | %s | %s | %s | %s | %s | %.0f | %.0f | %.0f | %.2f"
                  + " |%n",
              r.policy(),
              r.seeds().stream().map(String::valueOf).collect(Collectors.joining(",")),
              PolicyBench.lrText(r.lr())
                  + (size.lrs(tm, r.policy()).size() == 1 ? " (fixed: no search)" : ""),
              pct(BenchStats.mean(r.accuracy())),
              pct(BenchStats.std(r.accuracy())),
              pct(BenchStats.mean(r.macroF1())),
              pct(BenchStats.std(r.macroF1())),
              diff(r.accDiff()),
              diff(r.f1Diff()),
              r.accSign() == null
                  ? "–"
                  : String.format(
                      Locale.ROOT,
                      "%d/%d (p %.2f)",
                      r.accSign().wins(),
                      r.accSign().losses(),
                      r.accSign().p()),
              r.samePredictions() == null ? "–" : pct(r.samePredictions()),
              r.sameRanks() == null ? "–" : pct(r.sameRanks()),
              r.adapterParameters(),
              r.finalTotalRank(),
              r.msPerStep(),
              r.allocationMsPerStep()));
    }
    b.append('\n');
    return b.toString();
  }

  static String diff(BenchStats.Interval i) {
    if (i == null) {
      return "–";
    }
    return String.format(
        Locale.ROOT,
        "%+.1f [%+.1f, %+.1f]%s",
        100 * i.diff(),
        100 * i.lo(),
        100 * i.hi(),
        i.excludesZero() ? " *" : "");
  }
}
