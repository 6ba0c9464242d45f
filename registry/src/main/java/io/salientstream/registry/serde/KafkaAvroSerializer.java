package io.salientstream.registry.serde;

import io.salientstream.registry.SchemaMetadata;
import io.salientstream.registry.SchemaRegistryClient;
import io.salientstream.registry.SchemaRegistryException;
import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.client.RegistryClientConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes Avro SpecificRecords, GenericRecords (any {@link GenericContainer}) and Avro primitives in
 * Confluent's wire format ({@link WireFormat}), registering or looking up the schema under the
 * subject the configured {@link io.salientstream.registry.SubjectNameStrategy} names.
 * Byte-compatible with Confluent's {@code KafkaAvroSerializer}. {@code null} is written as {@code
 * null} (a tombstone).
 */
public class KafkaAvroSerializer implements Serializer<Object> {
  private volatile int sizeHint = 64;

  private SchemaRegistryClient client;
  private boolean ownsClient;
  private AvroSerdeConfig config;
  private boolean isKey;
  private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
  private final Map<String, Schema> latestBySubject = new ConcurrentHashMap<>();
  private final Map<String, Integer> latestIdBySubject = new ConcurrentHashMap<>();

  /** For Kafka's reflective construction; {@link #configure} must follow. */
  public KafkaAvroSerializer() {}

  /**
   * With an existing client (not closed by {@link #close()}); {@link #configure} may still follow.
   */
  public KafkaAvroSerializer(SchemaRegistryClient client) {
    this.client = client;
    this.config = AvroSerdeConfig.from(Map.of());
  }

  public KafkaAvroSerializer(SchemaRegistryClient client, Map<String, ?> configs, boolean isKey) {
    this.client = client;
    configure(configs, isKey);
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    this.isKey = isKey;
    this.config = AvroSerdeConfig.from(configs);
    if (client == null) {
      client = new HttpSchemaRegistryClient(RegistryClientConfig.from(configs));
      ownsClient = true;
    }
  }

  @Override
  public byte[] serialize(String topic, Object data) {
    if (data == null) {
      return null;
    }
    if (config == null) {
      throw new IllegalStateException("KafkaAvroSerializer used before configure()");
    }
    Schema schema = schemaOf(data);
    String subject =
        (isKey ? config.keySubjectNameStrategy() : config.valueSubjectNameStrategy())
            .subjectName(topic, isKey, schema);
    int id;
    Schema writeSchema = schema;
    Object value = data;
    try {
      if (config.useLatestVersion()) {
        id =
            latestIdBySubject.computeIfAbsent(
                subject,
                s -> {
                  SchemaMetadata m = client.getLatestSchemaMetadata(s);
                  latestBySubject.put(s, new Schema.Parser().parse(m.schema()));
                  return m.id();
                });
        writeSchema = latestBySubject.get(subject);
        if (!writeSchema.equals(schema)) {
          value = convert(data, schema, writeSchema, topic, subject);
        }
      } else if (config.autoRegisterSchemas()) {
        id = client.register(subject, schema);
      } else {
        id = client.getId(subject, schema);
      }
    } catch (SchemaRegistryException e) {
      throw new SerializationException(
          "Cannot serialize "
              + schema.getFullName()
              + " to topic "
              + topic
              + ": schema registry refused subject "
              + subject
              + ": "
              + e.getMessage(),
          e);
    }
    // sized like the previous record (a race only changes the guess): large records do not grow the
    // buffer 10 times
    ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint);
    out.write(WireFormat.MAGIC_BYTE);
    out.write(id >>> 24);
    out.write(id >>> 16);
    out.write(id >>> 8);
    out.write(id);
    BinaryEncoder enc =
        EncoderFactory.get().binaryEncoder(out, null); // buffered: few, large writes to out
    try {
      Object toWrite = value instanceof byte[] b ? ByteBuffer.wrap(b) : value;
      writerFor(writeSchema, value).write(toWrite, enc);
      enc.flush();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "Cannot serialize "
              + schema.getFullName()
              + " to topic "
              + topic
              + " with schema id "
              + id
              + ": "
              + e.getMessage(),
          e);
    }
    sizeHint = Math.max(64, out.size() + 16);
    return out.toByteArray();
  }

  private DatumWriter<Object> writerFor(Schema schema, Object value) {
    return writers.computeIfAbsent(
        schema,
        s ->
            value instanceof SpecificRecord
                ? new SpecificDatumWriter<>(s, SpecificData.getForClass(value.getClass()))
                : new GenericDatumWriter<>(s, GenericData.get()));
  }

  /**
   * Re-reads {@code data} (schema {@code from}) as a GenericRecord of the latest registered schema.
   */
  private Object convert(Object data, Schema from, Schema to, String topic, String subject) {
    SchemaCompatibility.SchemaPairCompatibility c =
        SchemaCompatibility.checkReaderWriterCompatibility(to, from);
    if (c.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw new SerializationException(
          "use.latest.version: the latest schema of subject "
              + subject
              + " cannot represent a "
              + from.getFullName()
              + " for topic "
              + topic
              + ": "
              + c.getDescription());
    }
    try {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(buf, null);
      writerFor(from, data).write(data, enc);
      enc.flush();
      return new GenericDatumReader<>(from, to)
          .read(null, DecoderFactory.get().binaryDecoder(buf.toByteArray(), null));
    } catch (IOException e) {
      throw new SerializationException(
          "use.latest.version: cannot convert to the latest schema of " + subject, e);
    }
  }

  /** The Avro schema of a record or primitive, as Confluent's serializer derives it. */
  static Schema schemaOf(Object data) {
    if (data instanceof GenericContainer c) {
      return c.getSchema();
    }
    if (data instanceof CharSequence) {
      return Schema.create(Schema.Type.STRING);
    }
    if (data instanceof Integer) {
      return Schema.create(Schema.Type.INT);
    }
    if (data instanceof Long) {
      return Schema.create(Schema.Type.LONG);
    }
    if (data instanceof Boolean) {
      return Schema.create(Schema.Type.BOOLEAN);
    }
    if (data instanceof Float) {
      return Schema.create(Schema.Type.FLOAT);
    }
    if (data instanceof Double) {
      return Schema.create(Schema.Type.DOUBLE);
    }
    if (data instanceof byte[] || data instanceof ByteBuffer) {
      return Schema.create(Schema.Type.BYTES);
    }
    throw new SerializationException(
        "Cannot serialize a "
            + data.getClass().getName()
            + ": KafkaAvroSerializer takes Avro records (SpecificRecord, GenericRecord) or Avro primitives");
  }

  @Override
  public void close() {
    if (ownsClient && client != null) {
      client.close();
    }
  }
}
