package io.salientstream.trainer.cli;

import io.salientstream.trainer.train.Experiment;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code train}: one fine-tuning run with one rank-allocation policy. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Fine-tune adapters on a task with a rank-allocation policy (in-process or over Kafka).")
public final class TrainCommand implements Callable<Integer> {

  @Mixin
  RunOptions run;

  @Option(names = "--policy", required = true, description = "salientlora | adalora | prilora | lora | probe")
  String policy;

  @Option(names = "--report", description = "write the JSON run report here")
  Path report;

  @Option(names = "--export", description = "write the adapter as a PEFT folder here")
  Path export;

  @Option(names = "--checkpoint-dir", description = "checkpoint directory")
  Path checkpointDir;

  @Option(names = "--checkpoint-every", defaultValue = "0", description = "checkpoint every K steps (0: at the end)")
  int checkpointEvery;

  @Option(names = "--resume", description = "continue from the checkpoint in --checkpoint-dir")
  boolean resume;

  @Option(names = "--stop-after", hidden = true, description = "stop after this many steps (interruption tests)")
  Long stopAfter;

  @Override
  public Integer call() throws Exception {
    Experiment.Spec spec = run.spec(policy, checkpointDir, checkpointEvery, resume);
    Map<String, Object> rep = Experiment.run(spec, report, export, stopAfter == null ? Long.MAX_VALUE : stopAfter,
        run.hosts(policy), run.allocation);
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
