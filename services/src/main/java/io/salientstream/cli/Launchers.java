package io.salientstream.cli;

import io.salientstream.core.cli.ExitCodes;
import io.salientstream.core.cli.UnavailableException;
import picocli.CommandLine;

/**
 * What both launchers ({@code bin/salientstream}, {@code bin/salientstream-services}) share: how an
 * error is reported (one line, no stack trace) and which exit code it gets ({@link ExitCodes}: 0
 * success, 1 failure while running, 2 bad arguments or input, 3 a dependency missing or
 * unreachable); every command's {@code --help} lists the table.
 */
public final class Launchers {

  private Launchers() {}

  /** Installs the error handlers on a launcher's command line; messages start with {@code name}. */
  public static CommandLine withErrorHandling(CommandLine cl, String name) {
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          commandLine
              .getErr()
              .println(name + " " + commandLine.getCommandName() + ": " + describe(ex));
          return ExitCodes.of(ex);
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          ex.getCommandLine().getErr().println(name + ": " + ex.getMessage());
          ex.getCommandLine().usage(ex.getCommandLine().getErr());
          return ExitCodes.USAGE;
        });
    listExitCodes(cl);
    return cl;
  }

  /** Adds the exit-code table to the {@code --help} of {@code cl} and of every subcommand. */
  public static void listExitCodes(CommandLine cl) {
    cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n");
    cl.getCommandSpec().usageMessage().exitCodeList(ExitCodes.table());
    cl.getSubcommands().values().forEach(Launchers::listExitCodes);
  }

  static String describe(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UnavailableException) {
        return t.getMessage(); // already one line naming the dependency and what to do
      }
    }
    String msg = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
    return ex.getCause() != null
            && ex.getCause() != ex
            && ex.getCause().getMessage() != null
            && !msg.contains(ex.getCause().getMessage())
        ? msg + " (" + ex.getCause().getMessage() + ")"
        : msg;
  }

  /** The implementation version of the jar that holds {@code type}, "dev" when not packaged. */
  static String version(Class<?> type) {
    String v = type.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
