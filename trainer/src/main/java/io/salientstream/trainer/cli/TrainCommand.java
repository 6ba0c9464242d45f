package io.salientstream.trainer.cli;

import io.salientstream.trainer.train.Experiment;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code train}: one fine-tuning run with one rank-allocation policy. */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description =
        "Fine-tune adapters on a task with a rank-allocation policy (in-process or over Kafka).",
    footer = {"", TrainCommand.PRESETS_HELP})
public final class TrainCommand implements Callable<Integer> {

  static final String PRESETS_HELP =
      "Presets: each --task comes with defaults that do what the task is for, per "
          + "--policy where it matters (rank-recovery: budget = Σ true ranks, lr 3e-2, orth-coef 0.1, allocation from 30 %% "
          + "of the steps; wordnet: the best settings measured so far). Options marked 'task preset' take the preset's "
          + "value unless given; a flag given always wins. The run prints its settings first; --show-preset prints them "
          + "and exits; --no-preset uses the plain defaults.";

  @Spec CommandSpec spec;

  @Mixin RunOptions run;

  @Option(
      names = "--policy",
      required = true,
      description = "salientlora | adalora | prilora | lora | probe")
  String policy;

  @Option(names = "--report", description = "write the JSON run report here")
  Path report;

  @Option(names = "--export", description = "write the adapter as a PEFT folder here")
  Path export;

  @Option(names = "--checkpoint-dir", description = "checkpoint directory")
  Path checkpointDir;

  @Option(
      names = "--checkpoint-every",
      defaultValue = "0",
      description = "checkpoint every K steps (0: at the end)")
  int checkpointEvery;

  @Option(names = "--resume", description = "continue from the checkpoint in --checkpoint-dir")
  boolean resume;

  @Option(
      names = "--stop-after",
      hidden = true,
      description = "stop after this many steps (interruption tests)")
  Long stopAfter;

  @Override
  public Integer call() throws Exception {
    RunOptions.Resolved resolved = run.resolve(policy, checkpointDir, checkpointEvery, resume);
    PrintWriter out = spec.commandLine().getOut();
    out.print(resolved.settings());
    out.flush();
    if (run.showPreset) {
      return 0;
    }
    Map<String, Object> rep =
        Experiment.run(
            resolved.spec(),
            report,
            export,
            stopAfter == null ? Long.MAX_VALUE : stopAfter,
            run.hosts(policy),
            run.allocation);
    System.out.println(Table.summary(rep));
    return 0;
  }

  public static void main(String[] args) {
    System.exit(TrainerCli.execute(new TrainCommand(), args));
  }

  static CommandLine commandLine() {
    return TrainerCli.configure(new CommandLine(new TrainCommand()));
  }
}
