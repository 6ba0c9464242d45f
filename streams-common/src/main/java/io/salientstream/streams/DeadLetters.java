package io.salientstream.streams;

import io.salientstream.avro.DeadLetter;
import io.salientstream.avro.DeadLetterReason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Decoding of raw input records and construction of {@link DeadLetter}s, shared by the Streams
 * applications. Apps consume their inputs as bytes and decode inside the processor, so a bad record
 * becomes a dead letter (original bytes, source topic/partition/offset, reason) inside the same
 * exactly-once transaction, and processing goes on.
 */
public final class DeadLetters {

  private DeadLetters() {}

  /** "topic T partition P offset O": how every message names a record's position. */
  public static String where(RecordMetadata meta) {
    return Position.of(meta).where();
  }

  /** The record key as an experiment id; a record without key is rejected. */
  public static String keyOf(Record<Bytes, byte[]> record) {
    if (record.key() == null) {
      throw new RejectedRecord(
          DeadLetterReason.INVALID_VALUE, "record has no key (experiment id expected)");
    }
    return new String(record.key().get(), StandardCharsets.UTF_8);
  }

  /**
   * Decodes a value, turning every failure (bad framing, unknown schema id, bad Avro) into a {@link
   * RejectedRecord}.
   */
  public static <T> T decode(Deserializer<T> d, RecordMetadata meta, byte[] bytes) {
    return decode(d, Position.of(meta), bytes);
  }

  /**
   * Decodes a value, turning every failure (bad framing, unknown schema id, bad Avro) into a {@link
   * RejectedRecord}.
   */
  public static <T> T decode(Deserializer<T> d, Position pos, byte[] bytes) {
    if (bytes == null) {
      throw new RejectedRecord(DeadLetterReason.DESERIALIZATION, "null value at " + pos.where());
    }
    try {
      T value = d.deserialize(pos.topic(), bytes);
      if (value == null) {
        throw new RejectedRecord(
            DeadLetterReason.DESERIALIZATION, "value decoded to null at " + pos.where());
      }
      return value;
    } catch (RejectedRecord e) {
      throw e;
    } catch (RuntimeException e) {
      throw new RejectedRecord(
          isUnknownSchema(e) ? DeadLetterReason.UNKNOWN_SCHEMA : DeadLetterReason.DESERIALIZATION,
          "cannot decode record at " + pos.where() + ": " + e.getMessage());
    }
  }

  private static boolean isUnknownSchema(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("40403")
          || (m.contains("schema") && m.contains("not found"))
          || m.contains("unknown schema")) {
        return true;
      }
    }
    return false;
  }

  /** A dead letter for the record at {@code meta}, keeping its original key and value bytes. */
  public static DeadLetter of(
      Record<Bytes, byte[]> record,
      RecordMetadata meta,
      DeadLetterReason reason,
      Exception e,
      String application,
      long nowMs) {
    return of(
        record.key() == null ? null : record.key().get(),
        record.value(),
        Position.of(meta),
        reason,
        e,
        application,
        nowMs);
  }

  /** A dead letter for the record at {@code pos}, keeping its original key and value bytes. */
  public static DeadLetter of(
      byte[] key,
      byte[] value,
      Position pos,
      DeadLetterReason reason,
      Exception e,
      String application,
      long nowMs) {
    String msg = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    if (!msg.contains("offset " + pos.offset())) {
      msg = msg + " [" + pos.where() + "]";
    }
    return DeadLetter.newBuilder()
        .setSourceTopic(pos.topic())
        .setSourcePartition(pos.partition())
        .setSourceOffset(pos.offset())
        .setOriginalKey(key == null ? null : ByteBuffer.wrap(key))
        .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
        .setErrorClass(e.getClass().getName())
        .setErrorMessage(msg)
        .setReason(reason)
        .setApplication(application)
        .setFailedAtMs(Instant.ofEpochMilli(nowMs))
        .build();
  }
}
