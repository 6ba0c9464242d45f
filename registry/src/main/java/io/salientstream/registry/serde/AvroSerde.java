package io.salientstream.registry.serde;

import io.salientstream.registry.SchemaRegistryClient;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} of Avro records in the Confluent wire format: for Kafka Streams ({@code
 * Consumed.with}, {@code Produced.with}) and typed clients.
 *
 * <pre>{@code
 * Serde<SingularValueStep> serde = AvroSerde.specific(SingularValueStep.class, registryClient);
 * // or, configured by Kafka/Streams:   serde.configure(Map.of("schema.registry.url", url), false)
 * }</pre>
 */
public final class AvroSerde<T> implements Serde<T> {
  private final KafkaAvroSerializer serializer;
  private final KafkaAvroDeserializer deserializer;
  private final Map<String, Object> defaults;

  private AvroSerde(
      KafkaAvroSerializer serializer,
      KafkaAvroDeserializer deserializer,
      Map<String, Object> defaults) {
    this.serializer = serializer;
    this.deserializer = deserializer;
    this.defaults = defaults;
  }

  /**
   * SpecificRecords of {@code type} through an existing client (auto-registering,
   * TopicNameStrategy).
   */
  public static <T extends SpecificRecord> AvroSerde<T> specific(
      Class<T> type, SchemaRegistryClient client) {
    return new AvroSerde<>(
        new KafkaAvroSerializer(client),
        new KafkaAvroDeserializer(client, type),
        Map.of(AvroSerdeConfig.SPECIFIC_AVRO_READER, "true"));
  }

  /**
   * SpecificRecords of {@code type}; {@link #configure} supplies the registry URL and other
   * settings.
   */
  public static <T extends SpecificRecord> AvroSerde<T> specific(Class<T> type) {
    return new AvroSerde<>(
        new KafkaAvroSerializer(),
        new KafkaAvroDeserializer(),
        Map.of(
            AvroSerdeConfig.SPECIFIC_AVRO_READER,
            "true",
            AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE,
            type.getName(),
            AvroSerdeConfig.SPECIFIC_AVRO_KEY_TYPE,
            type.getName()));
  }

  /** GenericRecords through an existing client. */
  public static AvroSerde<GenericRecord> generic(SchemaRegistryClient client) {
    return new AvroSerde<>(
        new KafkaAvroSerializer(client), new KafkaAvroDeserializer(client), Map.of());
  }

  /** GenericRecords; {@link #configure} supplies the settings. */
  public static AvroSerde<GenericRecord> generic() {
    return new AvroSerde<>(new KafkaAvroSerializer(), new KafkaAvroDeserializer(), Map.of());
  }

  /**
   * Configures both halves; the serde's own defaults (e.g. the specific reader) apply under {@code
   * configs}.
   */
  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    Map<String, Object> merged = new HashMap<>(defaults);
    merged.putAll(configs);
    serializer.configure(merged, isKey);
    deserializer.configure(merged, isKey);
  }

  /** Configures as a value serde and returns itself, for fluent set-up. */
  public AvroSerde<T> configured(Map<String, ?> configs, boolean isKey) {
    configure(configs, isKey);
    return this;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Serializer<T> serializer() {
    return (Serializer<T>) (Serializer<?>) serializer;
  }

  @Override
  @SuppressWarnings("unchecked")
  public Deserializer<T> deserializer() {
    return (Deserializer<T>) (Deserializer<?>) deserializer;
  }

  @Override
  public void close() {
    serializer.close();
    deserializer.close();
  }
}
