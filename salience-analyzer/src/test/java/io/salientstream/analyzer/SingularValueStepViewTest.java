package io.salientstream.analyzer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.management.ThreadMXBean;
import io.salientstream.avro.InputStatsSummary;
import io.salientstream.avro.MatrixSingularValues;
import io.salientstream.avro.PriLoraInputs;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.registry.serde.WireFormatException;
import io.salientstream.stack.junit.InMemoryRegistry;
import io.salientstream.streams.EventSerdes;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The analyzer's direct reader must give exactly the event the generic path (SpecificRecord →
 * {@link SingularValueStepView#of}) gives, for any event the schema allows: importance present,
 * absent or on some matrices only, the v1 input summary, PRILoRA inputs on some matrices, vectors
 * of unequal lengths, arrays split into several Avro blocks, NaN and infinities.
 */
class SingularValueStepViewTest {

  static final InMemoryRegistry REGISTRY = new InMemoryRegistry();

  @BeforeContainer
  static void startRegistry() {
    REGISTRY.start();
  }

  @AfterContainer
  static void stopRegistry() {
    REGISTRY.close();
  }

  @Property(tries = 200)
  void directReadEqualsGenericPath(
      @ForAll long seed, @ForAll @IntRange(min = 0, max = 12) int matrices, @ForAll boolean blocked)
      throws IOException {
    SingularValueStep record = randomStep(new Random(seed), matrices);
    byte[] body = encode(record, blocked);

    SingularValueStepView direct =
        new SingularValueStepView.Reader()
            .read(null, DecoderFactory.get().binaryDecoder(body, null));
    SingularValueStepView viaRecord = SingularValueStepView.of(record);

    assertSameEvent(direct, viaRecord);
  }

  @Property(tries = 20)
  void aReaderKeepsGivingRightEventsWhenSizesChange(@ForAll long seed) throws IOException {
    SingularValueStepView.Reader reader =
        new SingularValueStepView.Reader(); // its size hint comes from the previous event
    Random rnd = new Random(seed);
    SingularValueStep previous = randomStep(rnd, 3);
    for (int i = 0; i < 10; i++) {
      // new events, and earlier ones again (its string cache then hits, fully or in part)
      SingularValueStep record = rnd.nextBoolean() ? randomStep(rnd, rnd.nextInt(8)) : previous;
      SingularValueStepView direct =
          reader.read(null, DecoderFactory.get().binaryDecoder(encode(record, false), null));
      assertSameEvent(direct, SingularValueStepView.of(record));
      previous = record;
    }
  }

  @Property(tries = 300)
  void corruptBodiesAreReportedAsWireFormatErrorsWithoutHugeAllocations(@ForAll long seed) {
    Random rnd = new Random(seed);
    byte[] framed =
        EventSerdes.anyValue(REGISTRY.serdeConfig())
            .serialize("sv", randomStep(rnd, 1 + rnd.nextInt(6)));
    for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
      framed[5 + rnd.nextInt(framed.length - 5)] = (byte) rnd.nextInt(256);
    }
    Deserializer<SingularValueStepView> deserializer =
        SingularValueStepView.deserializer(REGISTRY.serdeConfig());
    try {
      deserializer.deserialize(
          "sv", framed); // some corruptions still decode (a changed digit of a float)
    } catch (RuntimeException e) {
      assertThat(e).isInstanceOf(WireFormatException.class).hasMessageContaining("sv");
    }
  }

  @Property(tries = 1)
  void aBlockCountBeyondTheBytesFailsBeforeAllocating() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    enc.writeString("e1");
    enc.writeString("run");
    enc.writeInt(1);
    enc.writeLong(7);
    enc.writeLong(1000);
    enc.writeDouble(0.5);
    enc.writeDouble(1.0);
    enc.writeDouble(1e-3);
    enc.writeArrayStart();
    enc.setItemCount(1);
    enc.startItem();
    enc.writeString("layer.0.q");
    enc.writeInt(0);
    enc.writeArrayStart();
    enc.setItemCount(300_000_000L); // 2.4 GB as doubles: more than the test heap
    enc.startItem();
    enc.writeFloat(1f);
    enc.flush();
    byte[] body = out.toByteArray();

    assertThatThrownBy(
            () ->
                new SingularValueStepView.Reader()
                    .read(null, DecoderFactory.get().binaryDecoder(body, null)))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("announces 300000000 values");
  }

  /** Bytes allocated by this thread so far (HotSpot's per-thread allocation counter). */
  static long allocatedBytes() {
    return ((ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
        .getCurrentThreadAllocatedBytes();
  }

  /**
   * Length bombs: a 13-byte record announcing a 2,000,000,000-byte string (issue 15: it took 2 GB
   * of analyzer heap and kept it), and the same lie in every length and count further in. Each is a
   * wire-format error naming what announced too much, and decoding it allocates under 1 MB.
   */
  @Property(tries = 1)
  void lengthBombsAreRefusedBeforeAnythingIsAllocated() throws IOException {
    Deserializer<SingularValueStepView> deserializer =
        SingularValueStepView.deserializer(REGISTRY.serdeConfig());
    byte[] good =
        EventSerdes.anyValue(REGISTRY.serdeConfig()).serialize("sv", randomStep(new Random(3), 2));
    deserializer.deserialize("sv", good); // warm: registry look-up and reader cached
    byte[] header = Arrays.copyOf(good, 5);

    List<byte[]> bombs = new ArrayList<>();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(header);
    BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
    enc.writeLong(2_000_000_000L); // experimentId's length, then nothing
    enc.flush();
    assertThat(out.size()).isEqualTo(10);
    bombs.add(out.toByteArray());
    for (String field : List.of("name", "singularValues", "mask", "importance", "priLora")) {
      out = new ByteArrayOutputStream();
      out.write(header);
      enc = EncoderFactory.get().directBinaryEncoder(out, null);
      enc.writeString("e1");
      enc.writeString("run");
      enc.writeInt(1);
      enc.writeLong(7);
      enc.writeLong(1000);
      enc.writeDouble(0.5);
      enc.writeDouble(1.0);
      enc.writeDouble(1e-3);
      enc.writeLong(1); // one matrix
      if (field.equals("name")) {
        enc.writeLong(2_000_000_000L);
      } else {
        enc.writeString("layer.0.q");
        enc.writeInt(0);
        enc.writeLong(field.equals("singularValues") ? 500_000_000L : 1);
        enc.writeFloat(1f);
        enc.writeLong(0);
        enc.writeLong(field.equals("mask") ? 2_000_000_000L : 1);
        enc.writeBoolean(true);
        enc.writeLong(0);
        enc.writeIndex(1); // importance present
        enc.writeLong(field.equals("importance") ? 250_000_000L : 1);
        enc.writeDouble(0.1);
        enc.writeLong(0);
        enc.writeIndex(0); // no input summary
        enc.writeIndex(1); // PRILoRA inputs
        enc.writeLong(field.equals("priLora") ? 500_000_000L : 0);
      }
      enc.flush();
      bombs.add(out.toByteArray());
    }
    for (byte[] bomb : bombs) {
      long before = allocatedBytes();
      RuntimeException thrown = null;
      try {
        deserializer.deserialize("sv", bomb);
      } catch (RuntimeException e) {
        thrown = e;
      }
      assertThat(allocatedBytes() - before).as("bytes allocated").isLessThan(1 << 20);
      assertThat(thrown)
          .isInstanceOf(WireFormatException.class)
          .hasMessageContaining("announces")
          .satisfies(
              e ->
                  assertThat(((WireFormatException) e).reason())
                      .isEqualTo(WireFormatException.Reason.TRUNCATED));
    }
    // and the next good record still decodes
    assertSameEvent(
        deserializer.deserialize("sv", good),
        SingularValueStepView.of(randomStep(new Random(3), 2)));
  }

  @Property(tries = 1)
  void aLongStringDoesNotStayInTheReusedBuffer() throws IOException {
    SingularValueStepView.Reader reader = new SingularValueStepView.Reader();
    SingularValueStep record = randomStep(new Random(5), 2);
    record.setExperimentId("x".repeat(1 << 20));
    SingularValueStepView read =
        reader.read(null, DecoderFactory.get().binaryDecoder(encode(record, false), null));
    assertThat(read.experimentId()).hasSize(1 << 20);
    assertThat(reader.reusedTextCapacity())
        .isLessThanOrEqualTo(SingularValueStepView.Reader.REUSED_TEXT_BYTES);
  }

  @Property(tries = 1)
  void throughTheRegistryBothWriterSchemasGiveTheSameEvent() {
    Random rnd = new Random(7);
    SingularValueStep record = randomStep(rnd, 5);
    Serializer<Object> serializer = EventSerdes.anyValue(REGISTRY.serdeConfig());
    Deserializer<SingularValueStepView> deserializer =
        SingularValueStepView.deserializer(REGISTRY.serdeConfig());

    byte[] compiled = serializer.serialize("sv", record);
    SingularValueStepView direct = deserializer.deserialize("sv", compiled);
    assertSameEvent(direct, SingularValueStepView.of(record));

    // the same record written by a producer whose schema has one more field (a compatible newer
    // version)
    Schema newer = withExtraField(SingularValueStep.getClassSchema());
    GenericRecord r = copyInto(record, newer);
    byte[] newerBytes = serializer.serialize("sv-newer", r);
    assertThat(schemaId(newerBytes)).as("the newer schema's id").isNotEqualTo(schemaId(compiled));
    assertSameEvent(
        deserializer.deserialize("sv-newer", newerBytes), SingularValueStepView.of(record));

    // a truncated body is reported as such, with the schema id
    byte[] truncated = Arrays.copyOf(compiled, compiled.length - 9);
    assertThatThrownBy(() -> deserializer.deserialize("sv", truncated))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("ends before");
    // and bytes left after a complete event too
    byte[] longer = Arrays.copyOf(compiled, compiled.length + 3);
    assertThatThrownBy(() -> deserializer.deserialize("sv", longer))
        .isInstanceOf(WireFormatException.class)
        .hasMessageContaining("bytes left");
  }

  private static int schemaId(byte[] framed) {
    return ByteBuffer.wrap(framed, 1, 4).getInt();
  }

  static void assertSameEvent(SingularValueStepView actual, SingularValueStepView expected) {
    assertThat(
            List.of(
                actual.experimentId(),
                actual.runId(),
                actual.epoch(),
                actual.step(),
                actual.wallClockMs(),
                actual.orthRegLoss(),
                actual.taskLoss(),
                actual.learningRate()))
        .isEqualTo(
            List.of(
                expected.experimentId(),
                expected.runId(),
                expected.epoch(),
                expected.step(),
                expected.wallClockMs(),
                expected.orthRegLoss(),
                expected.taskLoss(),
                expected.learningRate()));
    assertThat(actual.names()).containsExactly(expected.names());
    assertThat(actual.valueLengths()).containsExactly(expected.valueLengths());
    assertThat(actual.maskLengths()).containsExactly(expected.maskLengths());
    assertThat(actual.importanceLengths()).containsExactly(expected.importanceLengths());
    // Arrays.equals on double[] compares bits (0.0 and -0.0 differ, NaN equals NaN)
    assertThat(Arrays.equals(actual.singularValues(), expected.singularValues()))
        .as(
            "singular values %s vs %s",
            Arrays.toString(actual.singularValues()), Arrays.toString(expected.singularValues()))
        .isTrue();
    assertThat(Arrays.equals(actual.importance(), expected.importance()))
        .as(
            "importance %s vs %s",
            Arrays.toString(actual.importance()), Arrays.toString(expected.importance()))
        .isTrue();
    // PRILoRA's inputs: the same matrices carry them, bit for bit
    assertThat(Arrays.deepEquals(actual.priLoraAbsA(), expected.priLoraAbsA()))
        .as(
            "priLora.absA %s vs %s",
            Arrays.deepToString(actual.priLoraAbsA()), Arrays.deepToString(expected.priLoraAbsA()))
        .isTrue();
    assertThat(Arrays.deepEquals(actual.priLoraEma(), expected.priLoraEma()))
        .as("priLora.inputNormEma")
        .isTrue();
  }

  private static SingularValueStep randomStep(Random rnd, int matrices) {
    List<MatrixSingularValues> ms = new ArrayList<>();
    for (int k = 0; k < matrices; k++) {
      int r = rnd.nextInt(40);
      List<Float> v = new ArrayList<>();
      for (int i = 0; i < r; i++) {
        v.add(
            switch (rnd.nextInt(20)) {
              case 0 -> Float.NaN;
              case 1 -> Float.POSITIVE_INFINITY;
              case 2 -> -0.0f;
              default -> (float) rnd.nextGaussian();
            });
      }
      List<Boolean> mask = new ArrayList<>();
      for (int i = rnd.nextInt(3) == 0 ? rnd.nextInt(40) : r; i > 0; i--) {
        mask.add(rnd.nextBoolean());
      }
      List<Double> imp = null;
      if (rnd.nextInt(3) > 0) {
        imp = new ArrayList<>();
        for (int i = rnd.nextInt(4) == 0 ? rnd.nextInt(40) : r; i > 0; i--) {
          imp.add(rnd.nextInt(30) == 0 ? Double.NaN : rnd.nextGaussian());
        }
      }
      InputStatsSummary stats = null;
      if (rnd.nextInt(4) == 0) {
        List<Float> norms = new ArrayList<>();
        for (int i = rnd.nextInt(20); i > 0; i--) {
          norms.add(rnd.nextFloat());
        }
        stats = new InputStatsSummary(norms, rnd.nextDouble(), rnd.nextDouble());
      }
      PriLoraInputs pri = null;
      if (rnd.nextInt(3) == 0) {
        List<Float> absA = new ArrayList<>();
        for (int i = rnd.nextInt(200); i > 0; i--) {
          absA.add(rnd.nextInt(30) == 0 ? Float.NaN : Math.abs((float) rnd.nextGaussian()));
        }
        List<Double> ema = new ArrayList<>();
        for (int i = rnd.nextInt(30); i > 0; i--) {
          ema.add(rnd.nextInt(30) == 0 ? Double.POSITIVE_INFINITY : rnd.nextDouble());
        }
        pri = new PriLoraInputs(absA, ema);
      }
      ms.add(
          MatrixSingularValues.newBuilder()
              .setName("layer." + k + ".m" + rnd.nextInt(1000))
              .setLayer(k)
              .setSingularValues(v)
              .setMask(mask)
              .setImportance(imp)
              .setInputStats(stats)
              .setPriLora(pri)
              .build());
    }
    return SingularValueStep.newBuilder()
        .setExperimentId("exp-" + rnd.nextInt(100))
        .setRunId("run-" + rnd.nextInt())
        .setEpoch(rnd.nextInt(5))
        .setStep(rnd.nextInt(100_000))
        .setWallClockMs(Instant.ofEpochMilli(rnd.nextLong() >>> 20))
        .setOrthRegLoss(rnd.nextDouble())
        .setTaskLoss(rnd.nextDouble())
        .setLearningRate(rnd.nextDouble())
        .setMatrices(ms)
        .build();
  }

  /**
   * Avro binary; {@code blocked} splits arrays into blocks with byte counts (negative item counts).
   */
  private static byte[] encode(SingularValueStep record, boolean blocked) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc =
        blocked
            ? new EncoderFactory().configureBlockSize(64).blockingBinaryEncoder(out, null)
            : EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(SingularValueStep.class).write(record, enc);
    enc.flush();
    return out.toByteArray();
  }

  private static Schema withExtraField(Schema s) {
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field f : s.getFields()) {
      fields.add(new Schema.Field(f, f.schema()));
    }
    fields.add(
        new Schema.Field(
            "hostName", SchemaBuilder.builder().stringType(), "added later", "unknown"));
    return Schema.createRecord(s.getName(), s.getDoc(), s.getNamespace(), false, fields);
  }

  private static GenericRecord copyInto(SingularValueStep record, Schema schema) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
      new SpecificDatumWriter<>(SingularValueStep.class).write(record, enc);
      enc.flush();
      GenericRecord g =
          new GenericDatumReader<GenericRecord>(
                  SingularValueStep.getClassSchema(), SingularValueStep.getClassSchema())
              .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
      GenericData.Record r = new GenericData.Record(schema);
      for (Schema.Field f : SingularValueStep.getClassSchema().getFields()) {
        r.put(f.name(), g.get(f.name()));
      }
      r.put("hostName", "trainer-7");
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
