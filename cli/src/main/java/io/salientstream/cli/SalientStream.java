package io.salientstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code bin/salientstream} launcher: one picocli command whose subcommands are the system's jobs.
 * Exit codes: 0 success, 1 failure while running, 2 bad arguments or input.
 */
@Command(name = "salientstream", mixinStandardHelpOptions = true, versionProvider = SalientStream.Version.class,
    description = "Event-driven adaptive-rank LoRA fine-tuning on Apache Kafka.",
    subcommands = {CommandLine.HelpCommand.class})
public final class SalientStream {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The launcher with every subcommand registered; tests call {@code execute} on it. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new SalientStream());
    Subcommands.register(cl);
    cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      commandLine.getErr().println("salientstream " + commandLine.getCommandName() + ": " + describe(ex));
      return isUsageError(ex) ? 2 : 1;
    });
    cl.setParameterExceptionHandler((ex, args) -> {
      ex.getCommandLine().getErr().println("salientstream: " + ex.getMessage());
      ex.getCommandLine().usage(ex.getCommandLine().getErr());
      return 2;
    });
    return cl;
  }

  /** Bad arguments or unreadable/malformed input (exit code 2), as opposed to a failure while running (1). */
  static boolean isUsageError(Throwable ex) {
    return ex instanceof IllegalArgumentException || ex instanceof io.salientstream.core.cli.InputException
        || ex instanceof java.nio.file.NoSuchFileException;
  }

  static String describe(Throwable ex) {
    String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    return ex.getCause() != null && ex.getCause() != ex && ex.getCause().getMessage() != null
        && !msg.contains(ex.getCause().getMessage()) ? msg + " (" + ex.getCause().getMessage() + ")" : msg;
  }

  /** Version from the jar manifest when packaged. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = SalientStream.class.getPackage().getImplementationVersion();
      return new String[] {"salientstream " + (v == null ? "dev" : v)};
    }
  }
}
