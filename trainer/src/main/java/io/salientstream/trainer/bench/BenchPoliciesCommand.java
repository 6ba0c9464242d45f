package io.salientstream.trainer.bench;

import ai.djl.Device;
import io.salientstream.trainer.cli.TrainerCli;
import io.salientstream.trainer.train.Experiment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench policies}: see {@link PolicyBench}. */
@Command(
    name = "policies",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "SalientLoRA vs AdaLoRA vs PRILoRA vs LoRA vs the frozen-encoder probe on real text (WordNet"
          + " supersenses, UCI sentiment sentences) at an equal final adapter-parameter budget, over"
          + " seeds, each policy's learning rate chosen on the validation split.",
      "Writes one file per run under OUT/cells (a rerun skips finished runs: kill it and start the"
          + " same command to continue; delete one cell file to rerun that cell), then OUT/results.json,"
          + " OUT/results.md and PNG plots (learning curves, final rank heatmaps)."
    })
public final class BenchPoliciesCommand implements Callable<Integer> {

  @Option(
      names = "--size",
      defaultValue = "small",
      description =
          "full (200 steps x 32; WordNet + sentiment on MiniLM, adapters searching 1e-3, 3e-3,"
              + " 1e-2 and the probe 3e-3, 1e-2; sentiment on bge-small with one fixed rate; 63"
              + " runs, about 2.5 h with two processes on 2 cores), medium (100 steps x 16, both tasks on MiniLM, one learning rate per policy), small (24 steps x 8, both tasks on"
              + " MiniLM, one learning rate per policy) or tiny (a smoke run)"
              + " (default: ${DEFAULT-VALUE})")
  String sizeName;

  @Option(
      names = "--out",
      defaultValue = "bench-policies",
      description = "results folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(
      names = "--policies",
      split = ",",
      description = "subset of " + "salientlora,adalora,prilora,lora,probe (default: all)")
  List<String> policies;

  @Option(
      names = "--tasks",
      split = ",",
      description = "subset of the size's task-model pairs, e.g. wordnet-minilm,sentiment-minilm")
  List<String> tasks;

  @Option(names = "--seeds", description = "number of seeds (1..N; default: the size's, 3)")
  Integer seeds;

  @Option(names = "--steps", description = "override the size's steps")
  Integer steps;

  @Option(
      names = "--adapter-lrs",
      split = ",",
      description =
          "override the adapter policies' learning-rate grid, e.g. 0.003 (one rate: no search)")
  List<Double> adapterLrs;

  @Option(
      names = "--probe-lrs",
      split = ",",
      description = "override the probe's learning-rate grid, e.g. 0.01 (one rate: no search)")
  List<Double> probeLrs;

  @Option(
      names = "--policy-param",
      description =
          "policy parameter key=value, or policy.key=value for one policy (repeatable), e.g."
              + " salientlora.tFinal=20: an ablation; use its own --out (the folder's cells"
              + " record it)")
  Map<String, String> policyParams = new LinkedHashMap<>();

  @Option(
      names = "--device",
      defaultValue = "cpu",
      description = "cpu | gpu (default: ${DEFAULT-VALUE})")
  String device;

  @Option(names = "--progress", description = "draw each run's progress bar on stderr")
  boolean progress;

  @Option(
      names = "--reverse",
      description =
          "run the cells after seed 1's from the end of the grid: a second process on the same --out"
              + " started with it shares the work")
  boolean reverse;

  @Option(
      names = "--report-only",
      description =
          "run nothing: write the tables and plots from the cells that have finished (seed 1 of"
              + " every learning rate must have); rows say which seeds they have")
  boolean reportOnly;

  @Override
  public Integer call() throws Exception {
    PolicyBench.Size size = PolicyBench.size(sizeName.toLowerCase(Locale.ROOT));
    if (steps != null) {
      size = size.withSteps(steps);
    }
    for (List<Double> grid : Arrays.asList(adapterLrs, probeLrs)) {
      if (grid != null) {
        for (double lr : grid) {
          if (!(lr > 0 && lr < 1)) {
            throw new IllegalArgumentException(
                "--adapter-lrs / --probe-lrs: a learning rate must be in (0, 1), got " + lr);
          }
        }
      }
    }
    size = size.withLearningRates(adapterLrs, probeLrs);
    Experiment.checkPolicyParamKeys(policyParams);
    if (seeds != null) {
      if (seeds < 1) {
        throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
      }
      List<Long> s = new ArrayList<>();
      for (long i = 1; i <= seeds; i++) {
        s.add(i);
      }
      size = size.withSeeds(s);
    }
    if (tasks != null) {
      List<PolicyBench.TaskModel> keep = new ArrayList<>();
      for (String t : tasks) {
        PolicyBench.TaskModel tm =
            size.tasks().stream()
                .filter(x -> x.id().equals(t.toLowerCase(Locale.ROOT)))
                .findFirst()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "--tasks: '"
                                + t
                                + "' is not one of this size's "
                                + size0Ids(sizeName)));
        keep.add(tm);
      }
      size = size.withTasks(keep);
    }
    List<String> ps = policies == null ? PolicyBench.POLICIES : normalise(policies);
    Device dev =
        switch (device.toLowerCase(Locale.ROOT)) {
          case "cpu" -> Device.cpu();
          case "gpu" -> Device.gpu();
          default ->
              throw new IllegalArgumentException(
                  "--device must be cpu or gpu, got '" + device + "'");
        };
    PolicyBench.Runner runner =
        (cell, sz) -> {
          Map<String, Object> rep =
              Experiment.run(
                  PolicyBench.spec(cell, sz, dev, progress, policyParams),
                  null,
                  null,
                  Long.MAX_VALUE);
          return rep;
        };
    PolicyBench bench =
        new PolicyBench(size, out, runner, System.err).reverse(reverse).policyParams(policyParams);
    double targetRank = size.targetRank();
    System.err.printf(
        Locale.ROOT,
        "bench policies --size %s: %s; policies %s; seeds %s; %d steps x %d; lr grids (adapters /"
            + " probe) %s; LoRA rank %s for the budget of rank %s%n",
        size.name(),
        size.tasks().stream().map(PolicyBench.TaskModel::id).toList(),
        ps,
        size.seeds(),
        size.steps(),
        size.batch(),
        lrGrids(size),
        size.tasks().stream()
            .map(
                tm ->
                    tm.model().cliName()
                        + ": "
                        + PolicyBench.loraRank(PolicyBench.matrixShapes(tm.model()), targetRank))
            .toList(),
        PolicyBench.lrText(size.targetRank()));
    var results = reportOnly ? bench.load(ps) : bench.run(ps);
    String command =
        "bin/salientstream bench policies --size "
            + size.name()
            + (tasks != null ? " --tasks " + String.join(",", tasks) : "")
            + (policies != null ? " --policies " + String.join(",", ps) : "")
            + (seeds != null ? " --seeds " + seeds : "")
            + (steps != null ? " --steps " + steps : "")
            + (adapterLrs != null ? " --adapter-lrs " + lrList(adapterLrs) : "")
            + (probeLrs != null ? " --probe-lrs " + lrList(probeLrs) : "")
            + policyParams.entrySet().stream()
                .map(e -> " --policy-param " + e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining())
            + (reportOnly ? " --report-only" : "")
            + " --out "
            + out;
    BenchReport.write(bench, ps, results, command);
    System.out.print(Files.readString(out.resolve("results.md")));
    System.err.println(
        "bench policies: wrote " + out.resolve("results.json") + ", results.md, *.png");
    return 0;
  }

  private static List<String> lrGrids(PolicyBench.Size size) {
    return size.tasks().stream()
        .map(
            tm ->
                tm.id()
                    + ": "
                    + size.lrs(tm, PolicyBench.REFERENCE)
                    + " / "
                    + size.lrs(tm, Experiment.PROBE))
        .toList();
  }

  private static String lrList(List<Double> lrs) {
    return String.join(",", lrs.stream().map(PolicyBench::lrText).toList());
  }

  private static List<String> size0Ids(String name) {
    return PolicyBench.size(name.toLowerCase(Locale.ROOT)).tasks().stream()
        .map(PolicyBench.TaskModel::id)
        .toList();
  }

  private static List<String> normalise(List<String> ps) {
    List<String> out = new ArrayList<>();
    for (String p : ps) {
      String q = p.toLowerCase(Locale.ROOT);
      if (!PolicyBench.POLICIES.contains(q)) {
        throw new IllegalArgumentException(
            "--policies: '" + p + "' is not one of " + PolicyBench.POLICIES);
      }
      out.add(q);
    }
    if (!out.contains(PolicyBench.REFERENCE)) {
      throw new IllegalArgumentException(
          "--policies must include salientlora (the reference of the paired differences)");
    }
    return out;
  }

  public static void main(String[] args) {
    System.exit(TrainerCli.execute(new BenchPoliciesCommand(), args));
  }
}
