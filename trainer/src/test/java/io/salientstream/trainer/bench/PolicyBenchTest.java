package io.salientstream.trainer.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.salientstream.trainer.model.BertEncoder;
import io.salientstream.trainer.model.EncoderModel;
import io.salientstream.trainer.train.Experiment;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyBenchTest {

  @Test
  void loraRankGivesTheParameterCountClosestToTheSvdBudget() {
    for (EncoderModel m : EncoderModel.values()) {
      List<int[]> shapes = PolicyBench.matrixShapes(m);
      assertThat(shapes).hasSize(6 * m.layers());
      for (double target : new double[] {2, 4, 4.5, 8}) {
        double budget = PolicyBench.svdBudgetParameters(shapes, target);
        int r = PolicyBench.loraRank(shapes, target);
        long at = PolicyBench.loraParameters(shapes, r);
        // no other rank comes closer to the budget
        for (int other = 1; other <= 16; other++) {
          assertThat(Math.abs(at - budget))
              .isLessThanOrEqualTo(Math.abs(PolicyBench.loraParameters(shapes, other) - budget));
        }
      }
    }
    // MiniLM at target rank 4: SVD adapters hold 4·Σ(d_in + d_out + 1) = 166,032 parameters; LoRA
    // at rank 4 holds 4·Σ(d_in + d_out) = 165,888, the closest
    List<int[]> mini = PolicyBench.matrixShapes(EncoderModel.MINILM);
    assertThat(PolicyBench.svdBudgetParameters(mini, 4)).isEqualTo(166_032.0);
    assertThat(PolicyBench.loraRank(mini, 4)).isEqualTo(4);
    assertThat(PolicyBench.loraParameters(mini, 4)).isEqualTo(165_888L);
    // a shape list where the +1 of Λ matters: d_in + d_out = 2, so SVD at rank 4 holds 12 = LoRA at
    // rank 6
    assertThat(PolicyBench.loraRank(List.of(new int[] {1, 1}), 4)).isEqualTo(6);
  }

  @Test
  void cellSpecsShareTheRunAndGiveLoraTheComputedRank() {
    PolicyBench.Size size = PolicyBench.size("small");
    PolicyBench.TaskModel tm = size.tasks().get(0);
    Map<String, Experiment.Spec> specs = new LinkedHashMap<>();
    for (String p : PolicyBench.POLICIES) {
      specs.put(
          p, PolicyBench.spec(new PolicyBench.Cell(tm, p, 2, 1e-3), size, Device.cpu(), false));
    }
    for (Experiment.Spec s : specs.values()) {
      assertThat(s.train().steps()).isEqualTo(size.steps());
      assertThat(s.train().batch()).isEqualTo(size.batch());
      assertThat(s.train().seed()).isEqualTo(2);
      assertThat(s.seq()).isEqualTo(size.seq());
      assertThat(s.testLimit()).isEqualTo(size.testLimit());
      assertThat(s.evalLimit()).isEqualTo(size.evalLimit());
    }
    int loraRank = PolicyBench.loraRank(PolicyBench.matrixShapes(tm.model()), size.targetRank());
    Experiment.Spec lora = specs.get(PolicyBench.POLICIES.get(3));
    assertThat(lora.initRank()).isEqualTo(loraRank);
    assertThat(lora.targetRank()).isEqualTo(loraRank);
    Experiment.Spec salient = specs.get(PolicyBench.REFERENCE);
    assertThat(salient.initRank()).isEqualTo(size.rank());
    assertThat(salient.targetRank()).isEqualTo(size.targetRank());
  }

  /**
   * A stand-in for a training run (the grid logic is under test here, not training): validation
   * accuracy peaks at lr 3e-3 for every policy, while test accuracy is best at 1e-3, so a selection
   * that looked at the test split would pick differently.
   */
  static final class FakeRunner implements PolicyBench.Runner {
    final List<String> ran = new ArrayList<>();

    @Override
    public Map<String, Object> run(PolicyBench.Cell c, PolicyBench.Size size) {
      ran.add(c.id());
      boolean best = c.lr() == 3e-3;
      int classes = c.tm().classes();
      int n = 40;
      int[] gold = new int[n];
      int[] pred = new int[n];
      int policyIndex = PolicyBench.POLICIES.indexOf(c.policy());
      for (int i = 0; i < n; i++) {
        gold[i] = i % classes;
        // policy k is wrong on the first k·3 + seed examples
        pred[i] = i < policyIndex * 3 + c.seed() ? (gold[i] + 1) % classes : gold[i];
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("policy", c.policy());
      r.put("seed", c.seed());
      r.put("steps", (long) size.steps());
      r.put("lr", c.lr());
      r.put("finalTotalRank", 144);
      r.put("trainableParameters", 1000 + c.tm().classes() * 385);
      Map<String, Integer> ranks = new LinkedHashMap<>();
      for (int l = 0; l < c.tm().model().layers(); l++) {
        for (String mod : BertEncoder.MODULES) {
          ranks.put("encoder.layer." + l + "." + mod, l % 5);
        }
      }
      r.put("ranks", ranks);
      r.put(
          "metrics",
          Map.of(
              "accuracy",
              (best ? 0.5 : 0.9) - 0.01 * policyIndex,
              "macroF1",
              0.4,
              "examples",
              (double) n));
      r.put("finalValidation", Map.of("accuracy", best ? 0.8 : 0.6, "macroF1", 0.5));
      r.put(
          "evalHistory",
          List.of(Map.of("step", size.evalEvery(), "accuracy", 0.3, "macroF1", 0.2)));
      r.put("testGold", gold);
      r.put("testPredictions", pred);
      r.put("stepsPerSecond", 2.0);
      r.put("allocationOverheadMsPerStep", 1.5);
      return r;
    }
  }

  static PolicyBench.Size twoLrs() {
    PolicyBench.Size s = PolicyBench.size("tiny");
    return new PolicyBench.Size(
        "test",
        s.tasks(),
        s.steps(),
        s.batch(),
        s.seq(),
        List.of(1L, 2L, 3L),
        List.of(1e-3, 3e-3),
        List.of(1e-3, 3e-3),
        s.evalEvery(),
        s.evalLimit(),
        s.testLimit(),
        s.rank(),
        s.targetRank(),
        s.orthCoef());
  }

  @Test
  void gridChoosesOnValidationResumesFinishedCellsAndWritesTableAndPlots(@TempDir Path dir)
      throws IOException {
    PolicyBench.Size size = twoLrs();
    List<String> policies = PolicyBench.POLICIES;
    FakeRunner first = new FakeRunner();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PolicyBench bench =
        new PolicyBench(size, dir, first, new PrintStream(log, true, StandardCharsets.UTF_8));
    var results = bench.run(policies);
    // 2 tasks × 5 policies × (2 rates on seed 1 + 2 more seeds)
    assertThat(first.ran).hasSize(2 * 5 * 4).doesNotHaveDuplicates();
    assertThat(log.toString(StandardCharsets.UTF_8)).contains("[40/40]").contains("(lr search)");
    for (PolicyBench.TaskModel tm : size.tasks()) {
      for (String p : policies) {
        // validation peaks at 3e-3 (test at 1e-3): the choice follows validation
        assertThat(bench.chosenLr(tm, p, results)).isEqualTo(3e-3);
        assertThat(first.ran).contains(new PolicyBench.Cell(tm, p, 3, 3e-3).id());
        assertThat(first.ran).doesNotContain(new PolicyBench.Cell(tm, p, 3, 1e-3).id());
      }
    }

    // a second run of the same grid runs nothing and gives the same results
    FakeRunner second = new FakeRunner();
    var again =
        new PolicyBench(size, dir, second, new PrintStream(new ByteArrayOutputStream()))
            .run(policies);
    assertThat(second.ran).isEmpty();
    assertThat(again.keySet()).isEqualTo(results.keySet());

    // a killed grid: one cell missing (and a half-written temporary file) → only that cell runs
    PolicyBench.Cell lost = new PolicyBench.Cell(size.tasks().get(1), policies.get(2), 2, 3e-3);
    Files.delete(bench.cellFile(lost));
    Files.writeString(bench.cellFile(lost).resolveSibling(lost.id() + ".json.tmp"), "{\"trunc");
    FakeRunner third = new FakeRunner();
    new PolicyBench(size, dir, third, new PrintStream(new ByteArrayOutputStream())).run(policies);
    assertThat(third.ran).containsExactly(lost.id());

    // cells of other settings are not mixed in
    PolicyBench.Size longer = size.withSteps(size.steps() + 1);
    assertThatThrownBy(
            () ->
                new PolicyBench(
                        longer, dir, new FakeRunner(), new PrintStream(new ByteArrayOutputStream()))
                    .run(policies))
        .hasMessageContaining("other settings")
        .hasMessageContaining("--out");

    // summary: every policy in the table, paired differences against SalientLoRA, plots as PNG
    BenchReport.write(bench, policies, results, "bin/salientstream bench policies --size test");
    String md = Files.readString(dir.resolve("results.md"));
    for (String p : policies) {
      assertThat(md).contains("| " + p + " | 1,2,3 | 0.003 |");
    }
    // fake policy k is wrong on 3k more of 40 examples than SalientLoRA (k = 0): AdaLoRA −7.5
    // points
    assertThat(md).contains("| adalora | 1,2,3 | 0.003 | 49.0 ± 0.0 |").contains("-7.5 [");
    // the heading counts the test examples the runs were scored on (40, under the limit of 128)
    assertThat(md).contains("(test: all 40 examples of the split)").doesNotContain("first 128");
    String json = Files.readString(dir.resolve("results.json"));
    assertThat(json)
        .contains("\"validationAccuracyByLr\"")
        .contains("\"accuracyDiffVsSalientLora\"");
    for (PolicyBench.TaskModel tm : size.tasks()) {
      assertPng(dir.resolve("curves-" + tm.id() + ".png"));
      for (String p : policies) {
        Path heat = dir.resolve("ranks-" + tm.id() + "-" + p + ".png");
        if (p.equals(Experiment.PROBE)) {
          assertThat(heat).doesNotExist();
        } else {
          assertPng(heat);
        }
      }
    }
  }

  @Test
  void reverseRunsTheCellsAfterSeedOneFromTheOtherEnd(@TempDir Path a, @TempDir Path b)
      throws IOException {
    PolicyBench.Size size = twoLrs();
    FakeRunner forward = new FakeRunner();
    new PolicyBench(size, a, forward, new PrintStream(new ByteArrayOutputStream()))
        .run(PolicyBench.POLICIES);
    FakeRunner backward = new FakeRunner();
    new PolicyBench(size, b, backward, new PrintStream(new ByteArrayOutputStream()))
        .reverse(true)
        .run(PolicyBench.POLICIES);
    int search = 2 * 5 * 2;
    assertThat(backward.ran.subList(0, search)).isEqualTo(forward.ran.subList(0, search));
    List<String> rest = new ArrayList<>(forward.ran.subList(search, forward.ran.size()));
    Collections.reverse(rest);
    assertThat(backward.ran.subList(search, backward.ran.size())).isEqualTo(rest);
    // seed-major forward: all of seed 2 before any of seed 3
    assertThat(forward.ran.get(search)).contains("-seed2-");
    assertThat(forward.ran.get(search + 9)).contains("-seed2-");
    assertThat(forward.ran.get(search + 10)).contains("-seed3-");
  }

  @Test
  void reportOnlyUsesTheSeedsThatFinishedAndSaysSo(@TempDir Path dir) throws IOException {
    PolicyBench.Size size = twoLrs();
    List<String> policies = PolicyBench.POLICIES;
    PolicyBench full =
        new PolicyBench(size, dir, new FakeRunner(), new PrintStream(new ByteArrayOutputStream()));
    full.run(policies);
    PolicyBench.TaskModel tm = size.tasks().get(0);
    // every cell there: a report from the cells is the grid's, not a partial one
    PolicyBench complete =
        new PolicyBench(size, dir, new FakeRunner(), new PrintStream(new ByteArrayOutputStream()));
    BenchReport.write(complete, policies, complete.load(policies), "test");
    assertThat(complete.partial()).isFalse();
    assertThat(Files.readString(dir.resolve("results.md"))).doesNotContain("Partial grid");
    Files.delete(full.cellFile(new PolicyBench.Cell(tm, policies.get(1), 3, 3e-3)));
    PolicyBench partial =
        new PolicyBench(size, dir, new FakeRunner(), new PrintStream(new ByteArrayOutputStream()));
    var results = partial.load(policies);
    assertThat(partial.finals(policies, results).get(tm).get(policies.get(1))).hasSize(2);
    assertThat(partial.finals(policies, results).get(tm).get(policies.get(0))).hasSize(3);
    BenchReport.write(partial, policies, results, "test");
    assertThat(partial.partial()).isTrue();
    String md = Files.readString(dir.resolve("results.md"));
    assertThat(md).contains("**Partial grid**").contains("| adalora | 1,2 | 0.003 |");
    // the run of a finished grid refuses missing cells instead of reporting fewer seeds
    assertThatThrownBy(() -> full.finals(policies, results)).hasMessageContaining("no result for");
    // seed 1 chooses the rates: without it nothing is reported
    Files.delete(full.cellFile(new PolicyBench.Cell(tm, policies.get(2), 1, 1e-3)));
    assertThatThrownBy(
            () ->
                new PolicyBench(
                        size, dir, new FakeRunner(), new PrintStream(new ByteArrayOutputStream()))
                    .load(policies))
        .hasMessageContaining("seed 1 of every learning rate");
  }

  @Test
  void oneFixedRatePerKindRunsNoSearch(@TempDir Path dir) throws IOException {
    PolicyBench.Size size = twoLrs().withLearningRates(List.of(3e-3), List.of(1e-2));
    assertThat(size.adapterLrs()).containsExactly(3e-3);
    assertThat(size.probeLrs()).containsExactly(1e-2);
    assertThat(twoLrs().withLearningRates(null, null)).isEqualTo(twoLrs());
    FakeRunner runner = new FakeRunner();
    new PolicyBench(size, dir, runner, new PrintStream(new ByteArrayOutputStream()))
        .run(PolicyBench.POLICIES);
    // one run per task, policy and seed: no learning-rate search
    int tasks = size.tasks().size();
    assertThat(runner.ran).hasSize(tasks * PolicyBench.POLICIES.size() * size.seeds().size());
    assertThat(runner.ran).noneMatch(id -> id.contains("-lr0.001"));
    assertThatThrownBy(() -> twoLrs().withLearningRates(List.of(), null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTaskWithItsOwnFixedRatesRunsNoSearchWhileTheOtherSearches(@TempDir Path dir)
      throws IOException {
    PolicyBench.Size base = twoLrs();
    PolicyBench.TaskModel wn = base.tasks().get(0);
    PolicyBench.TaskModel sent = base.tasks().get(1);
    PolicyBench.TaskModel sentFixed =
        new PolicyBench.TaskModel(sent.task(), sent.model(), List.of(1e-3), List.of(1e-2));
    PolicyBench.Size size = base.withTasks(List.of(wn, sentFixed));
    List<String> policies = PolicyBench.POLICIES;
    FakeRunner runner = new FakeRunner();
    PolicyBench bench =
        new PolicyBench(size, dir, runner, new PrintStream(new ByteArrayOutputStream()));
    var results = bench.run(policies);
    // WordNet: 2 rates on seed 1, then 2 more seeds; sentiment: 3 seeds at its one rate
    assertThat(runner.ran).hasSize(5 * 2 + 5 * 2 + 5 * 3);
    assertThat(runner.ran.stream().filter(id -> id.startsWith("sentiment")))
        .hasSize(15)
        .allMatch(id -> id.endsWith(id.contains("-probe-") ? "-lr0.01" : "-lr0.001"));
    BenchReport.write(bench, policies, results, "test");
    String md = Files.readString(dir.resolve("results.md"));
    assertThat(md).contains("| salientlora | 1,2,3 | 0.003 |");
    assertThat(md).contains("| salientlora | 1,2,3 | 0.001 (fixed: no search) |");
    assertThat(md).contains("| probe | 1,2,3 | 0.01 (fixed: no search) |");
    // agreement with SalientLoRA: policy k is wrong on 3k more leading examples of 40
    assertThat(md).contains("| 92.5 | 100.0 |").contains("| 70.0 | 100.0 |");
    assertThat(
            BenchReport.sameRanks(
                Map.of("ranks", Map.of("q", 1, "v", 2)), Map.of("ranks", Map.of("q", 1, "v", 3))))
        .isEqualTo(0.5);
    assertThat(BenchReport.sameRanks(Map.of("ranks", Map.of()), Map.of("ranks", Map.of())))
        .isNull();
    assertThat(
            BenchReport.samePredictions(
                Map.of("testPredictions", List.of(1, 0, 1, 1)),
                Map.of("testPredictions", List.of(1, 1, 1, 0))))
        .isEqualTo(0.5);
    // a grid given on the command line replaces the task's own
    assertThat(size.withLearningRates(List.of(3e-3), null).tasks().get(1).adapterLrs()).isNull();
    assertThat(size.withLearningRates(List.of(3e-3), null).tasks().get(1).probeLrs())
        .containsExactly(1e-2);
    // the full size: bge-small has one fixed rate per kind; on MiniLM the adapters search
    // three rates, the probe two
    PolicyBench.Size full = PolicyBench.size("full");
    assertThat(full.steps()).isEqualTo(200);
    for (PolicyBench.TaskModel tm : full.tasks()) {
      boolean bge = tm.model() == EncoderModel.BGE_SMALL;
      assertThat(full.lrs(tm, PolicyBench.REFERENCE))
          .isEqualTo(bge ? List.of(3e-3) : List.of(1e-3, 3e-3, 1e-2));
      assertThat(full.lrs(tm, Experiment.PROBE))
          .isEqualTo(bge ? List.of(1e-2) : List.of(3e-3, 1e-2));
    }
  }

  @Test
  void policyParametersReachTheRunsAndKeepTheirCellsApart(@TempDir Path dir) throws IOException {
    PolicyBench.Size size = twoLrs().withLearningRates(List.of(3e-3), List.of(1e-2));
    PolicyBench.Cell c = new PolicyBench.Cell(size.tasks().get(0), PolicyBench.REFERENCE, 1, 3e-3);
    Map<String, String> ablation = Map.of("salientlora.tFinal", "20");
    assertThat(PolicyBench.spec(c, size, Device.cpu(), false, ablation).policyParams())
        .isEqualTo(ablation);
    assertThat(PolicyBench.spec(c, size, Device.cpu(), false).policyParams()).isEmpty();
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
    new PolicyBench(size, dir, new FakeRunner(), quiet)
        .policyParams(ablation)
        .run(List.of(PolicyBench.REFERENCE));
    assertThat(Files.readString(new PolicyBench(size, dir, new FakeRunner(), quiet).cellFile(c)))
        .containsPattern("\"policyParams\"\\s*:\\s*\\{\\s*\"salientlora.tFinal\"\\s*:\\s*\"20\"");
    // the cells of an ablation are not reused by a run without it
    assertThatThrownBy(
            () ->
                new PolicyBench(size, dir, new FakeRunner(), quiet)
                    .run(List.of(PolicyBench.REFERENCE)))
        .hasMessageContaining("other settings");
  }

  private static void assertPng(Path p) throws IOException {
    byte[] b = Files.readAllBytes(p);
    assertThat(b.length).as(p.toString()).isGreaterThan(1000);
    assertThat(new String(b, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
  }

  @Test
  void theTestSetIsDescribedByWhatTheRunsWereScoredOn() {
    assertThat(BenchReport.testSetText(new TreeSet<>(List.of(2000)), 2000))
        .isEqualTo("first 2000 examples of the split");
    assertThat(BenchReport.testSetText(new TreeSet<>(List.of(631)), 2000))
        .isEqualTo("all 631 examples of the split");
    assertThat(BenchReport.testSetText(new TreeSet<>(List.of(631)), 0))
        .isEqualTo("all 631 examples of the split");
    assertThat(BenchReport.testSetText(new TreeSet<>(), 2000)).isEqualTo("at most 2000 examples");
  }

  @Test
  void aPolicyParameterForNoPolicyIsRefusedBeforeAnyRun() {
    assertThatThrownBy(() -> Experiment.checkPolicyParamKeys(Map.of("salientlroa.tInit", "5")))
        .hasMessageContaining("--policy-param salientlroa.tInit")
        .hasMessageContaining("prefix must be a policy name");
    Experiment.checkPolicyParamKeys(Map.of("salientlora.tInit", "5", "tFinal", "20"));
  }
}
