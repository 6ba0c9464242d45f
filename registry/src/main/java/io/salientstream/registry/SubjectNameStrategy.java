package io.salientstream.registry;

import org.apache.avro.Schema;

/**
 * How a serializer names the subject a schema is registered under. The same three strategies as
 * Confluent's, producing the same subject names.
 */
public interface SubjectNameStrategy {

  String subjectName(String topic, boolean isKey, Schema schema);

  /** {@code <topic>-key} / {@code <topic>-value} (the default). */
  final class TopicNameStrategy implements SubjectNameStrategy {
    @Override
    public String subjectName(String topic, boolean isKey, Schema schema) {
      return topic + (isKey ? "-key" : "-value");
    }
  }

  /** The record's full name; one subject per record type across topics. */
  final class RecordNameStrategy implements SubjectNameStrategy {
    @Override
    public String subjectName(String topic, boolean isKey, Schema schema) {
      return recordName(schema);
    }
  }

  /** {@code <topic>-<record full name>}; several record types per topic. */
  final class TopicRecordNameStrategy implements SubjectNameStrategy {
    @Override
    public String subjectName(String topic, boolean isKey, Schema schema) {
      return topic + "-" + recordName(schema);
    }
  }

  private static String recordName(Schema schema) {
    if (schema == null || schema.getType() != Schema.Type.RECORD) {
      throw new IllegalArgumentException(
          "the record name strategies need a record schema, got "
              + (schema == null ? "null" : schema.getType()));
    }
    return schema.getFullName();
  }

  /**
   * Resolves a strategy setting: our class names, Confluent's class names ({@code
   * io.confluent...TopicNameStrategy}) or the bare simple names map to the built-in strategies; any
   * other value is loaded as a class implementing this interface.
   */
  static SubjectNameStrategy forName(String name) {
    if (name == null || name.isBlank()) {
      return new TopicNameStrategy();
    }
    String simple = name.substring(name.lastIndexOf('.') + 1);
    simple = simple.substring(simple.lastIndexOf('$') + 1);
    switch (simple) {
      case "TopicNameStrategy":
        return new TopicNameStrategy();
      case "RecordNameStrategy":
        return new RecordNameStrategy();
      case "TopicRecordNameStrategy":
        return new TopicRecordNameStrategy();
      default:
        try {
          return (SubjectNameStrategy)
              Class.forName(name, true, Thread.currentThread().getContextClassLoader())
                  .getDeclaredConstructor()
                  .newInstance();
        } catch (ReflectiveOperationException | ClassCastException e) {
          throw new IllegalArgumentException("unknown subject name strategy " + name, e);
        }
    }
  }
}
