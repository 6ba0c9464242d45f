package io.salientstream.core.cli;

/**
 * Unreadable or malformed command-line input; the message names the file and the field. Exit code
 * 2.
 */
public final class InputException extends RuntimeException {
  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
