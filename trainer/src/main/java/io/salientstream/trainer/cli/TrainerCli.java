package io.salientstream.trainer.cli;

import io.salientstream.core.cli.ExitCodes;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Stand-alone entry point for the trainer commands ({@code train}, {@code compare}); the project
 * launcher registers the same command classes as subcommands. Bad arguments (unknown options,
 * invalid values) exit with code 2 and a message that names the option; a missing dependency
 * (broker, registry, topics) with 3 ({@link ExitCodes}).
 */
@Command(
    name = "salientstream-trainer",
    mixinStandardHelpOptions = true,
    subcommands = {TrainCommand.class, CompareCommand.class},
    description = "DJL trainer with SVD-form / plain LoRA adapters and in-process rank allocation.")
public final class TrainerCli implements Runnable {

  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }

  public static void main(String[] args) {
    System.exit(execute(new TrainerCli(), args));
  }

  /**
   * Runs a command with the trainer's error handling (usage errors and invalid values → exit code
   * 2).
   */
  public static int execute(Object command, String... args) {
    return configure(new CommandLine(command)).execute(args);
  }

  static CommandLine configure(CommandLine cl) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true"); // never download anything at run time
    }
    cl.setExecutionExceptionHandler(
        (ex, cmd, parsed) -> {
          int code = ExitCodes.of(ex);
          if (code == ExitCodes.FAILED) {
            throw ex;
          }
          PrintWriter err = cmd.getErr();
          err.println("error: " + ex.getMessage());
          err.flush();
          return code;
        });
    listExitCodes(cl);
    return cl;
  }

  /** Adds the exit-code table ({@link ExitCodes}) to the {@code --help} of every command. */
  private static void listExitCodes(CommandLine cl) {
    cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n");
    cl.getCommandSpec().usageMessage().exitCodeList(ExitCodes.table());
    cl.getSubcommands().values().forEach(TrainerCli::listExitCodes);
  }
}
