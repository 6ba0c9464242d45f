package io.salientstream.stack.topics;

import io.salientstream.registry.SchemaRegistryClient;
import io.salientstream.registry.serde.AvroSerde;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;

/**
 * One topic of the system: versioned base name, partitions, cleanup policy, what the key is, and
 * the value type (the Avro class; {@code null} until the schemas module attaches it with {@link
 * #withValueType}).
 *
 * @param <V> value type
 */
public record TopicSpec<V>(
    String baseName,
    int partitions,
    boolean compacted,
    boolean tenantScoped,
    String keyDescription,
    String description,
    Class<V> valueType) {

  public TopicSpec {
    Objects.requireNonNull(baseName, "baseName");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be >= 1 for " + baseName);
    }
  }

  /** The topic's name for a tenant prefix (topics that are not tenant-scoped ignore the prefix). */
  public String name(String prefix) {
    return tenantScoped && prefix != null ? prefix + baseName : baseName;
  }

  public String cleanupPolicy() {
    return compacted ? TopicConfig.CLEANUP_POLICY_COMPACT : TopicConfig.CLEANUP_POLICY_DELETE;
  }

  /** Topic-level configs the catalogue requires. */
  public Map<String, String> configs() {
    return Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, cleanupPolicy());
  }

  /** The same topic with its value class attached. */
  public <W> TopicSpec<W> withValueType(Class<W> type) {
    return new TopicSpec<>(
        baseName, partitions, compacted, tenantScoped, keyDescription, description, type);
  }

  /**
   * A value serde for this topic through {@code client}: Avro in the Confluent wire format, reading
   * into the attached SpecificRecord class.
   *
   * @throws IllegalStateException when no Avro SpecificRecord value type is attached yet
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Serde<V> valueSerde(SchemaRegistryClient client) {
    if (valueType == null || !SpecificRecord.class.isAssignableFrom(valueType)) {
      throw new IllegalStateException(
          "topic "
              + baseName
              + " has no Avro SpecificRecord value type attached"
              + " (value type: "
              + valueType
              + ")");
    }
    return (Serde<V>) AvroSerde.specific((Class) valueType, client);
  }
}
