package io.salientstream.trainer.cli;

import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.PolicyKind;
import io.salientstream.trainer.train.Experiment;
import io.salientstream.trainer.train.Reports;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code compare}: the same task, data order and step budget for several policies, one table. Equal
 * final parameter budget: SalientLoRA and AdaLoRA prune from {@code --rank} to {@code
 * --target-rank} on average; fixed-rank LoRA trains at rank {@code --target-rank}; PRILoRA uses its
 * per-layer schedule (see its parameters); the probe trains the head.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description = "Run several policies on one task at an equal final budget and print one table.",
    footer = {
      "",
      TrainCommand.PRESETS_HELP
          + " compare resolves the preset of each policy (steps and batch are per "
          + "task, so the step budget stays equal)."
    })
public final class CompareCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin RunOptions run;

  @Option(
      names = "--policies",
      split = ",",
      defaultValue = "salientlora,adalora,lora",
      description = "comma-separated policies (default: ${DEFAULT-VALUE})")
  List<String> policies;

  @Option(names = "--report", description = "write all run reports as one JSON file here")
  Path report;

  @Override
  public Integer call() throws Exception {
    List<Experiment.Spec> specs = new ArrayList<>();
    PrintWriter out = spec.commandLine().getOut();
    for (String p : policies) {
      RunOptions.Resolved r =
          run.resolve(p, null, 0, false); // validates every policy name before any run starts
      out.print(r.settings());
      Experiment.Spec s = r.spec();
      // a fixed-rank baseline trains at the target rank itself: the same final budget
      boolean fixedRank = Policies.find(p).map(PolicyKind::trainsAtTargetRank).orElse(false);
      specs.add(fixedRank ? withRank(s, (int) Math.round(s.targetRank())) : s);
    }
    out.flush();
    if (run.showPreset) {
      return 0;
    }
    List<Map<String, Object>> rows = new ArrayList<>();
    for (Experiment.Spec spec : specs) {
      rows.add(Experiment.run(spec, null, null, Long.MAX_VALUE));
    }
    System.out.println(Table.compare(rows));
    if (report != null) {
      Map<String, Object> all = new LinkedHashMap<>();
      all.put("runs", rows);
      Reports.write(report, all);
    }
    return 0;
  }

  private static Experiment.Spec withRank(Experiment.Spec s, int rank) {
    return new Experiment.Spec(
        s.task(),
        s.model(),
        s.policy(),
        s.train(),
        rank,
        Math.min(s.targetRank(), rank),
        s.alpha(),
        s.seq(),
        s.padToMax(),
        s.evalLimit(),
        s.testLimit(),
        s.matrices(),
        s.dim(),
        s.maxTrueRank(),
        s.policyParams(),
        s.device());
  }

  public static void main(String[] args) {
    System.exit(TrainerCli.execute(new CompareCommand(), args));
  }
}
