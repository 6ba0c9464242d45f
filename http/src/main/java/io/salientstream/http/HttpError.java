package io.salientstream.http;

/**
 * A request that fails with {@code status}; the message goes into the error body, clipped to {@link
 * HardenedHttpServer#MAX_ECHO} characters.
 */
public final class HttpError extends RuntimeException {
  private final int status;

  public HttpError(int status, String message) {
    super(message, null, false, false);
    this.status = status;
  }

  public int status() {
    return status;
  }
}
