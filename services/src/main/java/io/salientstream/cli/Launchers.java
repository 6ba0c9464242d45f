package io.salientstream.cli;

import picocli.CommandLine;

/**
 * What both launchers ({@code bin/salientstream}, {@code bin/salientstream-services}) share: how an
 * error is reported and which exit code it gets. Exit codes: 0 success, 1 failure while running, 2
 * bad arguments or input.
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
          return isUsageError(ex) ? 2 : 1;
        });
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          ex.getCommandLine().getErr().println(name + ": " + ex.getMessage());
          ex.getCommandLine().usage(ex.getCommandLine().getErr());
          return 2;
        });
    return cl;
  }

  /**
   * Bad arguments or unreadable/malformed input (exit code 2), as opposed to a failure while
   * running (1).
   */
  static boolean isUsageError(Throwable ex) {
    return ex instanceof IllegalArgumentException
        || ex instanceof io.salientstream.core.cli.InputException
        || ex instanceof java.nio.file.NoSuchFileException;
  }

  static String describe(Throwable ex) {
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
