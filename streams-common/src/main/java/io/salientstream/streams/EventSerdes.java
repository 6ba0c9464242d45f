package io.salientstream.streams;

import io.salientstream.registry.serde.AvroSerde;
import io.salientstream.registry.serde.KafkaAvroSerializer;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serdes for the system's Avro events in the Confluent wire format. {@code config} holds {@code
 * schema.registry.url} and any registry client settings (basic auth, TLS); see registry/README.md.
 */
public final class EventSerdes {

  private EventSerdes() {}

  /** A value serde for one SpecificRecord type. */
  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type, Map<String, ?> config) {
    return AvroSerde.specific(type).configured(config, false);
  }

  /** A value serializer for any SpecificRecord (subject = topic name + "-value"). */
  public static Serializer<Object> anyValue(Map<String, ?> config) {
    KafkaAvroSerializer s = new KafkaAvroSerializer();
    s.configure(config, false);
    return s;
  }
}
