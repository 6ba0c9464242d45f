package io.salientstream.core.cli;

import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one exit-code table of every SalientStream command ({@code bin/salientstream}, {@code
 * bin/salientstream-services}, the stand-alone trainer); {@code --help} lists it.
 */
public final class ExitCodes {

  /** The command did what it was asked. */
  public static final int OK = 0;

  /** A failure while running (a training run failed, a mismatch was reported). */
  public static final int FAILED = 1;

  /** Bad arguments or input: the message names the option, file or field. */
  public static final int USAGE = 2;

  /**
   * A dependency is missing or unreachable: the Kafka broker, the schema registry, the tenant's
   * topics, a port to listen on. The message names it and what to do.
   */
  public static final int UNAVAILABLE = 3;

  private ExitCodes() {}

  /** The table as {@code --help} prints it (picocli's exit-code list: code → meaning). */
  public static Map<String, String> table() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(" " + OK, "success");
    m.put(" " + FAILED, "failure while running (e.g. a training run failed)");
    m.put(" " + USAGE, "bad arguments or input (the message names the option, file or field)");
    m.put(
        " " + UNAVAILABLE,
        "a dependency is missing or unreachable: Kafka broker, schema registry, topics, a port");
    return m;
  }

  /**
   * The exit code for an exception that ended a command: {@link #USAGE} for bad input, {@link
   * #UNAVAILABLE} for a missing dependency, {@link #FAILED} otherwise.
   */
  public static int of(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof UnavailableException) {
        return UNAVAILABLE;
      }
    }
    return ex instanceof InputException
            || ex instanceof IllegalArgumentException
            || ex instanceof NoSuchFileException
        ? USAGE
        : FAILED;
  }
}
