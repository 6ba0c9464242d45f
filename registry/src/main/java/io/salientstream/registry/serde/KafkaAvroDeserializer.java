package io.salientstream.registry.serde;

import io.salientstream.registry.SchemaRegistryClient;
import io.salientstream.registry.SchemaRegistryException;
import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.client.RegistryClientConfig;
import java.io.EOFException;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.AvroTypeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent wire-format records: fetches the writer schema by id (cached), resolves it to the
 * reader schema (the SpecificRecord class with {@code specific.avro.reader=true} or a configured
 * type, the writer schema otherwise) so records written with older or newer compatible schemas are
 * read.
 *
 * <p>{@code null} bytes give {@code null} (a tombstone); every other failure is a {@link
 * WireFormatException} naming the topic, and partition and offset when known: Kafka's consumer
 * wraps it in a {@link org.apache.kafka.common.errors.RecordDeserializationException} carrying both
 * (see {@link WireFormatException#of}); {@link #deserialize(String, int, long, byte[])} names them
 * directly. Never returns a silent {@code null}.
 *
 * <p>Before any decoder runs, every length and count in the body is checked against the bytes that
 * remain ({@link AvroBodyBounds}): a record cannot make this deserializer allocate more than a
 * small multiple of its own size, whatever lengths it announces.
 */
public class KafkaAvroDeserializer implements Deserializer<Object> {
  private SchemaRegistryClient client;
  private boolean ownsClient;
  private boolean specific;
  private Class<?> readerClass;
  private Function<Schema, ? extends DatumReader<?>> readerFactory;
  private final Map<String, DatumReader<Object>> readers = new ConcurrentHashMap<>();

  /** For Kafka's reflective construction; {@link #configure} must follow. */
  public KafkaAvroDeserializer() {}

  /**
   * Generic reader (GenericRecord / primitives) with an existing client, unless configured
   * otherwise.
   */
  public KafkaAvroDeserializer(SchemaRegistryClient client) {
    this.client = client;
  }

  /**
   * Reads into {@code type} (a SpecificRecord class), resolving each writer schema to its schema.
   */
  public KafkaAvroDeserializer(SchemaRegistryClient client, Class<? extends SpecificRecord> type) {
    this.client = client;
    this.specific = true;
    this.readerClass = type;
  }

  public KafkaAvroDeserializer(SchemaRegistryClient client, Map<String, ?> configs, boolean isKey) {
    this.client = client;
    configure(configs, isKey);
  }

  /**
   * A deserializer that decodes each writer schema's records with the {@link DatumReader} {@code
   * readers} returns for it (called once per schema id) — for a consumer that wants its own
   * in-memory form, e.g. float arrays read straight into primitive arrays instead of boxed lists.
   * Framing, registry look-up, the end-of-body check and failure reporting are those of every other
   * reader; {@code configs} holds the registry settings. An {@link AvroRuntimeException} from
   * {@code readers} (a schema it cannot read) is reported as a schema mismatch.
   */
  @SuppressWarnings("unchecked")
  public static <T> Deserializer<T> withReaders(
      Map<String, ?> configs, Function<Schema, ? extends DatumReader<? extends T>> readers) {
    KafkaAvroDeserializer d = new KafkaAvroDeserializer();
    d.readerFactory = readers;
    d.configure(configs, false);
    return (Deserializer<T>) (Deserializer<?>) d;
  }

  @Override
  public void configure(Map<String, ?> configs, boolean isKey) {
    AvroSerdeConfig c = AvroSerdeConfig.from(configs);
    String type = isKey ? c.specificKeyType() : c.specificValueType();
    if (type != null) {
      try {
        readerClass = Class.forName(type, true, Thread.currentThread().getContextClassLoader());
      } catch (ClassNotFoundException e) {
        throw new ConfigException(
            (isKey
                ? AvroSerdeConfig.SPECIFIC_AVRO_KEY_TYPE
                : AvroSerdeConfig.SPECIFIC_AVRO_VALUE_TYPE),
            type,
            "class not found");
      }
    }
    specific = specific || c.specificAvroReader() || readerClass != null;
    if (client == null) {
      client = new HttpSchemaRegistryClient(RegistryClientConfig.from(configs));
      ownsClient = true;
    }
  }

  @Override
  public Object deserialize(String topic, byte[] data) {
    return deserialize(topic, -1, -1L, data);
  }

  @Override
  public Object deserialize(String topic, Headers headers, byte[] data) {
    return deserialize(topic, -1, -1L, data);
  }

  /**
   * Decodes one record, naming {@code topic}, {@code partition} and {@code offset} in any failure.
   * For dead-letter handling and tools that read raw bytes.
   */
  public Object deserialize(String topic, int partition, long offset, byte[] data) {
    if (data == null) {
      return null;
    }
    if (client == null) {
      throw new IllegalStateException("KafkaAvroDeserializer used before configure()");
    }
    int id = WireFormat.schemaId(topic, partition, offset, data);
    Schema writer;
    try {
      writer = client.getSchemaById(id);
    } catch (SchemaRegistryException.SchemaNotFoundException e) {
      throw new WireFormatException(
          WireFormatException.Reason.UNKNOWN_SCHEMA_ID,
          topic,
          partition,
          offset,
          id,
          "the schema registry has no schema with this id",
          e);
    } catch (SchemaRegistryException e) {
      throw new WireFormatException(
          WireFormatException.Reason.REGISTRY_UNAVAILABLE,
          topic,
          partition,
          offset,
          id,
          e.getMessage(),
          e);
    }
    DatumReader<Object> reader = readerFor(id, writer, topic, partition, offset);
    try {
      AvroBodyBounds.check(writer, data, WireFormat.HEADER_SIZE, data.length);
    } catch (AvroBodyBounds.Violation v) {
      throw new WireFormatException(
          v.pastTheEnd
              ? WireFormatException.Reason.TRUNCATED
              : WireFormatException.Reason.MALFORMED_BODY,
          topic,
          partition,
          offset,
          id,
          (v.pastTheEnd
                  ? "the Avro body ("
                      + (data.length - WireFormat.HEADER_SIZE)
                      + " bytes) ends before the "
                      + writer.getFullName()
                      + " it should hold: "
                  : "malformed Avro body for " + writer.getFullName() + ": ")
              + v.getMessage(),
          null);
    }
    BinaryDecoder decoder =
        DecoderFactory.get()
            .binaryDecoder(
                data, WireFormat.HEADER_SIZE, data.length - WireFormat.HEADER_SIZE, null);
    Object value;
    try {
      value = reader.read(null, decoder);
    } catch (EOFException | ArrayIndexOutOfBoundsException e) {
      throw new WireFormatException(
          WireFormatException.Reason.TRUNCATED,
          topic,
          partition,
          offset,
          id,
          "the Avro body ("
              + (data.length - WireFormat.HEADER_SIZE)
              + " bytes) ends before the "
              + writer.getFullName()
              + " it should hold",
          e);
    } catch (IOException | RuntimeException e) {
      throw new WireFormatException(
          WireFormatException.Reason.MALFORMED_BODY,
          topic,
          partition,
          offset,
          id,
          "malformed Avro body for " + writer.getFullName() + ": " + e,
          e);
    }
    try {
      if (!decoder.isEnd()) {
        throw new WireFormatException(
            WireFormatException.Reason.TRAILING_BYTES,
            topic,
            partition,
            offset,
            id,
            "bytes left after a complete "
                + writer.getFullName()
                + " ("
                + (data.length - WireFormat.HEADER_SIZE)
                + "-byte body)",
            null);
      }
    } catch (IOException e) {
      throw new WireFormatException(
          WireFormatException.Reason.MALFORMED_BODY, topic, partition, offset, id, e.toString(), e);
    }
    return value;
  }

  private DatumReader<Object> readerFor(
      int id, Schema writer, String topic, int partition, long offset) {
    DatumReader<Object> cached = readers.get(String.valueOf(id));
    if (cached != null) {
      return cached;
    }
    DatumReader<Object> reader;
    if (readerFactory != null) {
      try {
        @SuppressWarnings("unchecked")
        DatumReader<Object> custom = (DatumReader<Object>) readerFactory.apply(writer);
        reader = custom;
      } catch (AvroRuntimeException e) {
        throw new WireFormatException(
            WireFormatException.Reason.SCHEMA_MISMATCH,
            topic,
            partition,
            offset,
            id,
            e.getMessage(),
            e);
      }
    } else if (!specific || !isNamed(writer)) {
      reader = new GenericDatumReader<>(writer, writer, GenericData.get());
    } else {
      Class<?> type = readerClass;
      if (type == null) {
        String name = SpecificData.getClassName(writer);
        try {
          type = Class.forName(name, true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
          throw new WireFormatException(
              WireFormatException.Reason.SCHEMA_MISMATCH,
              topic,
              partition,
              offset,
              id,
              "no SpecificRecord class " + name + " on the classpath for the writer schema",
              e);
        }
      }
      SpecificData data = SpecificData.getForClass(type);
      Schema readerSchema = data.getSchema(type);
      try {
        reader = new SpecificDatumReader<>(writer, readerSchema, data);
      } catch (AvroTypeException e) {
        throw new WireFormatException(
            WireFormatException.Reason.SCHEMA_MISMATCH,
            topic,
            partition,
            offset,
            id,
            e.getMessage(),
            e);
      }
    }
    readers.put(String.valueOf(id), reader);
    return reader;
  }

  private static boolean isNamed(Schema s) {
    return s.getType() == Schema.Type.RECORD
        || s.getType() == Schema.Type.ENUM
        || s.getType() == Schema.Type.FIXED;
  }

  @Override
  public void close() {
    if (ownsClient && client != null) {
      client.close();
    }
  }
}
