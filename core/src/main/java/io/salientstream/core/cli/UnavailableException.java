package io.salientstream.core.cli;

/**
 * Something a command needs is missing or cannot be reached: the Kafka broker, the schema registry,
 * a tenant's topics, a port to listen on. The message is one line that names it and says what to
 * do. Exit code {@link ExitCodes#UNAVAILABLE}.
 */
public final class UnavailableException extends RuntimeException {
  public UnavailableException(String message) {
    super(message);
  }

  public UnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
