package io.salientstream.registry.serde;

import io.salientstream.registry.SubjectNameStrategy;
import java.util.Map;

/**
 * Serializer/deserializer settings (same keys as Confluent's), on top of the client settings of
 * {@link io.salientstream.registry.client.RegistryClientConfig}.
 */
public record AvroSerdeConfig(
    boolean autoRegisterSchemas,
    boolean useLatestVersion,
    boolean specificAvroReader,
    SubjectNameStrategy keySubjectNameStrategy,
    SubjectNameStrategy valueSubjectNameStrategy,
    String specificKeyType,
    String specificValueType) {

  /** Register the record's schema on first use (default true); otherwise look it up. */
  public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";

  /**
   * Write with the subject's latest registered schema (default false; use with
   * auto.register.schemas=false).
   */
  public static final String USE_LATEST_VERSION = "use.latest.version";

  /** Deserialize into SpecificRecord classes instead of GenericRecord (default false). */
  public static final String SPECIFIC_AVRO_READER = "specific.avro.reader";

  public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
  public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";

  /** Reader class for keys (a SpecificRecord class name); implies the specific reader. */
  public static final String SPECIFIC_AVRO_KEY_TYPE = "specific.avro.key.type";

  /** Reader class for values (a SpecificRecord class name); implies the specific reader. */
  public static final String SPECIFIC_AVRO_VALUE_TYPE = "specific.avro.value.type";

  public static AvroSerdeConfig from(Map<String, ?> configs) {
    return new AvroSerdeConfig(
        bool(configs, AUTO_REGISTER_SCHEMAS, true),
        bool(configs, USE_LATEST_VERSION, false),
        bool(configs, SPECIFIC_AVRO_READER, false),
        SubjectNameStrategy.forName(str(configs, KEY_SUBJECT_NAME_STRATEGY)),
        SubjectNameStrategy.forName(str(configs, VALUE_SUBJECT_NAME_STRATEGY)),
        str(configs, SPECIFIC_AVRO_KEY_TYPE),
        str(configs, SPECIFIC_AVRO_VALUE_TYPE));
  }

  private static boolean bool(Map<String, ?> configs, String key, boolean dflt) {
    Object v = configs.get(key);
    return v == null ? dflt : Boolean.parseBoolean(v.toString().trim());
  }

  private static String str(Map<String, ?> configs, String key) {
    Object v = configs.get(key);
    if (v instanceof Class<?> c) {
      return c.getName();
    }
    return v == null ? null : v.toString();
  }
}
