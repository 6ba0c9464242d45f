package io.salientstream.http;

import java.util.Optional;

/** One request as a route sees it. */
public interface HttpExchange {

  /** {@code GET}, {@code POST} ... */
  String method();

  /** The path as sent (still percent-encoded), without the query. */
  String rawPath();

  /** The query as sent (percent-encoded), or null. */
  String rawQuery();

  /** A request header, or null. */
  String header(String name);

  /** Who sent it, when the server authenticates; empty on an open path or an open server. */
  Optional<String> principal();

  /**
   * The request body, at most the server's body limit: a longer body (announced or sent) fails with
   * {@link HttpError} 413 before more than the limit is read.
   */
  byte[] body();
}
