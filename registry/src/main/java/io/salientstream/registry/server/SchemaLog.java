package io.salientstream.registry.server;

import java.util.function.BiConsumer;

/**
 * The registry's durable store: an append-only, key-compactable log of (key, value) JSON strings.
 * The server writes every change to it before applying the change in memory, and rebuilds its state
 * by replaying it.
 */
public interface SchemaLog extends AutoCloseable {

  /** Replays every record from the beginning, in order; a {@code null} value is a tombstone. */
  void replay(BiConsumer<String, String> sink);

  /** Appends one record and returns once it is durable (acknowledged). */
  void append(String key, String value);

  /** Where the log lives, for messages. */
  String describe();

  @Override
  void close();
}
