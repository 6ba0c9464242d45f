package io.salientstream.registry.serde;

import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A record value or key that cannot be decoded from the Confluent wire format. The message names
 * the topic, and the partition and offset when they are known (always when built through {@link
 * KafkaAvroDeserializer#deserialize(String, int, long, byte[])} or {@link
 * #of(RecordDeserializationException)}).
 */
public final class WireFormatException extends SerializationException {

  /** What was wrong with the bytes. */
  public enum Reason {
    /** The first byte is not the magic byte 0. */
    BAD_MAGIC_BYTE,
    /** Shorter than the 5-byte header, or the Avro body ends early. */
    TRUNCATED,
    /** The Avro body was read completely and bytes are left over. */
    TRAILING_BYTES,
    /** The schema id is not known to the registry. */
    UNKNOWN_SCHEMA_ID,
    /** The Avro body is malformed in another way (negative length, bad union index ...). */
    MALFORMED_BODY,
    /** The writer schema cannot be resolved to the reader schema, or no reader class is found. */
    SCHEMA_MISMATCH,
    /** The registry could not be asked for the writer schema. */
    REGISTRY_UNAVAILABLE
  }

  private final Reason reason;
  private final String topic;
  private final int partition;
  private final long offset;
  private final int schemaId;
  private final String detail;

  public WireFormatException(
      Reason reason,
      String topic,
      int partition,
      long offset,
      int schemaId,
      String detail,
      Throwable cause) {
    super(message(reason, topic, partition, offset, schemaId, detail), cause);
    this.reason = reason;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.schemaId = schemaId;
    this.detail = detail;
  }

  private static String message(
      Reason reason, String topic, int partition, long offset, int schemaId, String detail) {
    StringBuilder sb = new StringBuilder("Cannot decode record from topic ").append(topic);
    if (partition >= 0) {
      sb.append(", partition ").append(partition);
    }
    if (offset >= 0) {
      sb.append(", offset ").append(offset);
    }
    sb.append(": ").append(reason);
    if (schemaId >= 0) {
      sb.append(" (schema id ").append(schemaId).append(')');
    }
    return sb.append(": ").append(detail).toString();
  }

  /** The same failure, placed at a partition and offset. */
  public WireFormatException at(int partition, long offset) {
    return new WireFormatException(reason, topic, partition, offset, schemaId, detail, getCause());
  }

  /**
   * Names topic, partition and offset for a failure seen by a consumer: Kafka wraps what a
   * deserializer throws in a {@link RecordDeserializationException} carrying the partition and
   * offset. Dead-letter handlers use this to report the record.
   */
  public static WireFormatException of(RecordDeserializationException e) {
    int partition = e.topicPartition().partition();
    String topic = e.topicPartition().topic();
    if (e.getCause() instanceof WireFormatException w) {
      return w.at(partition, e.offset());
    }
    return new WireFormatException(
        Reason.MALFORMED_BODY,
        topic,
        partition,
        e.offset(),
        -1,
        String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage()),
        e);
  }

  public Reason reason() {
    return reason;
  }

  public String topic() {
    return topic;
  }

  /** -1 when unknown. */
  public int partition() {
    return partition;
  }

  /** -1 when unknown. */
  public long offset() {
    return offset;
  }

  /** -1 when the header could not be read. */
  public int schemaId() {
    return schemaId;
  }
}
