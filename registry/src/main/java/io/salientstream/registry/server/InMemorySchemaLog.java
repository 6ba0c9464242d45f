package io.salientstream.registry.server;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A {@link SchemaLog} held in memory: for unit tests and throw-away registries. Nothing survives
 * the JVM, but a new server over the same instance replays it like a restart over the same Kafka
 * topic.
 */
public final class InMemorySchemaLog implements SchemaLog {
  private final List<Map.Entry<String, String>> records = new ArrayList<>();

  @Override
  public synchronized void replay(BiConsumer<String, String> sink) {
    for (Map.Entry<String, String> r : records) {
      sink.accept(r.getKey(), r.getValue());
    }
  }

  @Override
  public synchronized void append(String key, String value) {
    records.add(new AbstractMap.SimpleImmutableEntry<>(key, value));
  }

  /** Number of records appended so far. */
  public synchronized int size() {
    return records.size();
  }

  @Override
  public String describe() {
    return "in-memory log";
  }

  @Override
  public void close() {}
}
