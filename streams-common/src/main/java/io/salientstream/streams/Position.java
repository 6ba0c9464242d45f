package io.salientstream.streams;

import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Where a record was read: every error and dead letter names it. */
public record Position(String topic, int partition, long offset) {

  public static Position of(RecordMetadata meta) {
    return new Position(meta.topic(), meta.partition(), meta.offset());
  }

  /** "topic T partition P offset O". */
  public String where() {
    return "topic " + topic + " partition " + partition + " offset " + offset;
  }
}
