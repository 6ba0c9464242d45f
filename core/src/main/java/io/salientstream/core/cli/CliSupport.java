package io.salientstream.core.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.core.json.JsonNumbers;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/**
 * Shared picocli wiring: input problems ({@link InputException}) print one line on stderr and exit
 * with code 2.
 */
final class CliSupport {
  /** Writes NaN as null, as every JSON file of this project does ({@link JsonNumbers}). */
  static final ObjectMapper JSON = JsonNumbers.mapper();

  private CliSupport() {}

  static CommandLine commandLine(Object command, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(command);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof InputException || ex instanceof IllegalArgumentException) {
            commandLine.getErr().println(commandLine.getCommandName() + ": " + ex.getMessage());
            commandLine.getErr().flush();
            return CommandLine.ExitCode.USAGE;
          }
          throw ex;
        });
    return cl;
  }

  /**
   * Runs a command with the given streams and returns the exit code (2 for bad arguments or input).
   */
  static int run(Object command, String[] args, PrintWriter out, PrintWriter err) {
    int code = commandLine(command, out, err).execute(args);
    out.flush();
    err.flush();
    return code;
  }

  static PrintWriter stdout() {
    return new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
  }

  static PrintWriter stderr() {
    return new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
  }
}
