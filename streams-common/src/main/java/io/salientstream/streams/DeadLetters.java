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
 * Decoding of raw input records and construction of {@link DeadLetter}s, shared by the Streams applications. Apps
 * consume their inputs as bytes and decode inside the processor, so a bad record becomes a dead letter (original
 * bytes, source topic/partition/offset, reason) inside the same exactly-once transaction, and processing goes on.
 */
public final class DeadLetters {

  private DeadLetters() {}

  /** "topic T partition P offset O": how every message names a record's position. */
  public static String where(RecordMetadata meta) {
    return "topic " + meta.topic() + " partition " + meta.partition() + " offset " + meta.offset();
  }

  /** The record key as an experiment id; a record without key is rejected. */
  public static String keyOf(Record<Bytes, byte[]> record) {
    if (record.key() == null) {
      throw new RejectedRecord(DeadLetterReason.INVALID_VALUE, "record has no key (experiment id expected)");
    }
    return new String(record.key().get(), StandardCharsets.UTF_8);
  }

  /** Decodes a value, turning every failure (bad framing, unknown schema id, bad Avro) into a {@link RejectedRecord}. */
  public static <T> T decode(Deserializer<T> d, RecordMetadata meta, byte[] bytes) {
    if (bytes == null) {
      throw new RejectedRecord(DeadLetterReason.DESERIALIZATION, "null value at " + where(meta));
    }
    try {
      T value = d.deserialize(meta.topic(), bytes);
      if (value == null) {
        throw new RejectedRecord(DeadLetterReason.DESERIALIZATION, "value decoded to null at " + where(meta));
      }
      return value;
    } catch (RejectedRecord e) {
      throw e;
    } catch (RuntimeException e) {
      throw new RejectedRecord(isUnknownSchema(e) ? DeadLetterReason.UNKNOWN_SCHEMA : DeadLetterReason.DESERIALIZATION,
          "cannot decode record at " + where(meta) + ": " + e.getMessage());
    }
  }

  private static boolean isUnknownSchema(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String m = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
      if (m.contains("40403") || (m.contains("schema") && m.contains("not found")) || m.contains("unknown schema")) {
        return true;
      }
    }
    return false;
  }

  /** A dead letter for the record at {@code meta}, keeping its original key and value bytes. */
  public static DeadLetter of(Record<Bytes, byte[]> record, RecordMetadata meta, DeadLetterReason reason, Exception e,
                              String application, long nowMs) {
    String msg = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    if (!msg.contains("offset " + meta.offset())) {
      msg = msg + " [" + where(meta) + "]";
    }
    return DeadLetter.newBuilder()
        .setSourceTopic(meta.topic())
        .setSourcePartition(meta.partition())
        .setSourceOffset(meta.offset())
        .setOriginalKey(record.key() == null ? null : ByteBuffer.wrap(record.key().get()))
        .setOriginalValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
        .setErrorClass(e.getClass().getName())
        .setErrorMessage(msg)
        .setReason(reason)
        .setApplication(application)
        .setFailedAtMs(Instant.ofEpochMilli(nowMs))
        .build();
  }
}
