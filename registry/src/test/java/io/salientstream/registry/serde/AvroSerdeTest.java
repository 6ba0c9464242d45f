package io.salientstream.registry.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.registry.SchemaRegistryClient;
import io.salientstream.registry.SubjectNameStrategy;
import io.salientstream.registry.client.HttpSchemaRegistryClient;
import io.salientstream.registry.client.RegistryClientConfig;
import io.salientstream.registry.server.InMemorySchemaLog;
import io.salientstream.registry.server.SchemaRegistryServer;
import io.salientstream.registry.testdata.Probe;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Serializer and deserializer against the embedded registry (in-memory log). */
class AvroSerdeTest {
  static final String TOPIC = "probes";

  /** A seed record in the log makes the next id 0x01020305, so every header byte is exercised. */
  static final int SEED_ID = 0x01020304;

  private InMemorySchemaLog log;
  private SchemaRegistryServer server;
  private SchemaRegistryClient client;

  static Schema probeV1() throws IOException {
    try (InputStream in = AvroSerdeTest.class.getResourceAsStream("/schemas/probe-v1.avsc")) {
      return new Schema.Parser().parse(in);
    }
  }

  static Probe probe() {
    return Probe.newBuilder()
        .setExperimentId("e1")
        .setStep(3L)
        .setValues(List.of(1.0f, -2.5f))
        .setLayer("l")
        .build();
  }

  @BeforeEach
  void start() {
    log = new InMemorySchemaLog();
    log.append(
        "{\"keytype\":\"SCHEMA\",\"subject\":\"seed\",\"version\":1}",
        "{\"subject\":\"seed\",\"version\":1,\"id\":"
            + SEED_ID
            + ",\"schemaType\":\"AVRO\",\"schema\":\"\\\"string\\\"\",\"deleted\":false}");
    server = SchemaRegistryServer.builder(log).build().start();
    client = new HttpSchemaRegistryClient(server.url());
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void wireFormatBytesArePinned() {
    byte[] bytes = new KafkaAvroSerializer(client).serialize(TOPIC, probe());
    byte[] expected =
        hex(
            "00 01 02 03 05" // magic, id 0x01020305 big-endian
                + " 04 65 31" // "e1": zigzag length 2, bytes
                + " 06" // step 3 (zigzag 6)
                + " 04 0000803f 000020c0 00" // array block of 2 floats (LE), end of array
                + " 02 6c"); // "l"
    assertThat(bytes).containsExactly(expected);
    assertThat(client.getLatestSchemaMetadata(TOPIC + "-value").id()).isEqualTo(SEED_ID + 1);
    assertThat(WireFormat.frame(SEED_ID + 1, Arrays.copyOfRange(bytes, 5, bytes.length)))
        .isEqualTo(bytes);
  }

  @Test
  void specificRoundTripAndTombstone() {
    KafkaAvroSerializer ser = new KafkaAvroSerializer(client);
    KafkaAvroDeserializer de = new KafkaAvroDeserializer(client, Probe.class);
    assertThat(de.deserialize(TOPIC, ser.serialize(TOPIC, probe()))).isEqualTo(probe());
    assertThat(ser.serialize(TOPIC, null)).isNull();
    assertThat(de.deserialize(TOPIC, null)).isNull();
  }

  @Test
  void configuredLikeConfluentWithSpecificReaderFindsTheClassFromTheWriterSchema() {
    Map<String, Object> cfg =
        Map.of(
            RegistryClientConfig.URL, server.url(), AvroSerdeConfig.SPECIFIC_AVRO_READER, "true");
    KafkaAvroSerializer ser = new KafkaAvroSerializer();
    ser.configure(cfg, false);
    KafkaAvroDeserializer de = new KafkaAvroDeserializer();
    de.configure(cfg, false);
    Object back = de.deserialize(TOPIC, ser.serialize(TOPIC, probe()));
    assertThat(back).isInstanceOf(Probe.class).isEqualTo(probe());

    KafkaAvroDeserializer generic = new KafkaAvroDeserializer();
    generic.configure(Map.of(RegistryClientConfig.URL, server.url()), false);
    GenericRecord g = (GenericRecord) generic.deserialize(TOPIC, ser.serialize(TOPIC, probe()));
    assertThat(g.get("experimentId").toString()).isEqualTo("e1");
    assertThat(g.get("step")).isEqualTo(3L);
  }

  @Test
  void evolvedSchemaWriterV1ReadAsV2FillsTheDefault() throws IOException {
    GenericRecord v1 = new GenericData.Record(probeV1());
    v1.put("experimentId", "old");
    v1.put("step", 9L);
    v1.put("values", List.of(0.5f));
    KafkaAvroSerializer ser = new KafkaAvroSerializer(client);
    byte[] bytes = ser.serialize(TOPIC, v1);
    // v2 registers as a compatible second version (BACKWARD)
    ser.serialize(TOPIC, probe());
    assertThat(client.getAllVersions(TOPIC + "-value")).containsExactly(1, 2);

    Probe read = (Probe) new KafkaAvroDeserializer(client, Probe.class).deserialize(TOPIC, bytes);
    assertThat(read.getExperimentId()).isEqualTo("old");
    assertThat(read.getStep()).isEqualTo(9L);
    assertThat(read.getValues()).containsExactly(0.5f);
    assertThat(read.getLayer()).isEqualTo("none");
  }

  @Test
  void badBytesGiveErrorsNamingTopicPartitionOffset() {
    KafkaAvroDeserializer de = new KafkaAvroDeserializer(client, Probe.class);
    byte[] good = new KafkaAvroSerializer(client).serialize(TOPIC, probe());

    byte[] badMagic = good.clone();
    badMagic[0] = 7;
    assertFailure(
        () -> de.deserialize(TOPIC, 2, 41L, badMagic),
        WireFormatException.Reason.BAD_MAGIC_BYTE,
        "partition 2",
        "offset 41");

    byte[] unknownId = WireFormat.frame(777, Arrays.copyOfRange(good, 5, good.length));
    assertFailure(
        () -> de.deserialize(TOPIC, 0, 5L, unknownId),
        WireFormatException.Reason.UNKNOWN_SCHEMA_ID,
        "schema id 777");

    assertFailure(
        () -> de.deserialize(TOPIC, 1, 9L, Arrays.copyOf(good, 3)),
        WireFormatException.Reason.TRUNCATED,
        "header");
    assertFailure(
        () -> de.deserialize(TOPIC, 1, 10L, Arrays.copyOf(good, good.length - 3)),
        WireFormatException.Reason.TRUNCATED,
        "ends before");

    byte[] trailing = Arrays.copyOf(good, good.length + 2);
    assertFailure(
        () -> de.deserialize(TOPIC, 3, 11L, trailing),
        WireFormatException.Reason.TRAILING_BYTES,
        "left");

    // the Deserializer interface has no partition/offset; the topic is still named
    assertThatThrownBy(() -> de.deserialize(TOPIC, badMagic))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("topic " + TOPIC);
    assertThatThrownBy(() -> de.deserialize(TOPIC, new byte[0]))
        .isInstanceOf(WireFormatException.class);
  }

  private static void assertFailure(
      Runnable r, WireFormatException.Reason reason, String... fragments) {
    assertThatThrownBy(r::run)
        .isInstanceOf(WireFormatException.class)
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("topic " + TOPIC)
        .satisfies(
            e -> {
              WireFormatException w = (WireFormatException) e;
              assertThat(w.reason()).isEqualTo(reason);
              assertThat(w.topic()).isEqualTo(TOPIC);
              assertThat(w.getMessage())
                  .contains(fragments)
                  .contains("partition " + w.partition())
                  .contains("offset " + w.offset());
            });
  }

  @Test
  void subjectNameStrategies() {
    Schema s = Probe.getClassSchema();
    assertThat(new SubjectNameStrategy.TopicNameStrategy().subjectName("t", true, s))
        .isEqualTo("t-key");
    assertThat(new SubjectNameStrategy.TopicNameStrategy().subjectName("t", false, s))
        .isEqualTo("t-value");
    assertThat(new SubjectNameStrategy.RecordNameStrategy().subjectName("t", false, s))
        .isEqualTo("io.salientstream.registry.testdata.Probe");
    assertThat(new SubjectNameStrategy.TopicRecordNameStrategy().subjectName("t", false, s))
        .isEqualTo("t-io.salientstream.registry.testdata.Probe");
    assertThat(
            SubjectNameStrategy.forName(
                "io.confluent.kafka.serializers.subject.RecordNameStrategy"))
        .isInstanceOf(SubjectNameStrategy.RecordNameStrategy.class);

    KafkaAvroSerializer keySer =
        new KafkaAvroSerializer(
            client,
            Map.of(
                AvroSerdeConfig.KEY_SUBJECT_NAME_STRATEGY,
                SubjectNameStrategy.TopicRecordNameStrategy.class),
            true);
    keySer.serialize(TOPIC, probe());
    assertThat(client.getAllSubjects())
        .contains(TOPIC + "-io.salientstream.registry.testdata.Probe");
    new KafkaAvroSerializer(client, Map.of(), true).serialize(TOPIC, "experiment-7");
    assertThat(client.getAllSubjects()).contains(TOPIC + "-key");
  }

  @Test
  void withoutAutoRegisterAnUnregisteredSchemaFailsAndUseLatestVersionWritesTheLatest()
      throws IOException {
    KafkaAvroSerializer noAuto =
        new KafkaAvroSerializer(
            client, Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false"), false);
    assertThatThrownBy(() -> noAuto.serialize(TOPIC, probe()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(TOPIC + "-value");

    int latestId = client.register(TOPIC + "-value", Probe.getClassSchema());
    GenericRecord v1 = new GenericData.Record(probeV1());
    v1.put("experimentId", "x");
    v1.put("step", 1L);
    v1.put("values", List.of());
    Map<String, Object> cfg = new HashMap<>();
    cfg.put(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false");
    cfg.put(AvroSerdeConfig.USE_LATEST_VERSION, "true");
    byte[] bytes = new KafkaAvroSerializer(client, cfg, false).serialize(TOPIC, v1);
    assertThat(WireFormat.schemaId(TOPIC, 0, 0, bytes)).isEqualTo(latestId);
    Probe back = (Probe) new KafkaAvroDeserializer(client, Probe.class).deserialize(TOPIC, bytes);
    assertThat(back.getLayer()).isEqualTo("none");
    assertThat(back.getExperimentId()).isEqualTo("x");
  }

  @Test
  void serdeWrapsBothHalves() {
    AvroSerde<Probe> serde = AvroSerde.specific(Probe.class);
    serde.configure(Map.of(RegistryClientConfig.URL, server.url()), false);
    Probe back =
        serde.deserializer().deserialize(TOPIC, serde.serializer().serialize(TOPIC, probe()));
    assertThat(back).isEqualTo(probe());
    serde.close();
  }

  static byte[] hex(String s) {
    String h = s.replace(" ", "");
    byte[] out = new byte[h.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }
}
