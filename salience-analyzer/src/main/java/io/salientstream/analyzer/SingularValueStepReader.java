package io.salientstream.analyzer;

import io.salientstream.avro.SingularValueStep;
import io.salientstream.registry.serde.KafkaAvroDeserializer;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.util.Utf8;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads {@link SingularValueStep} records written with the compiled schema straight into a {@link
 * SingularValueStepView}: the float and double arrays go into primitive arrays as they are read,
 * with no intermediate record, boxed lists or second pass. At N = 1080 the generic path
 * (SpecificRecord with {@code List<Float>}, then unboxing) was the largest cost of the analyzer's
 * stream thread.
 *
 * <p>Records written with any other schema (an older or newer compatible version) are read the
 * usual way — resolved to the compiled schema by Avro — and converted with {@link
 * SingularValueStepView#of}; {@link #forWriter} picks the path per writer schema. Both give equal
 * events (tested on random events).
 */
public final class SingularValueStepReader implements DatumReader<SingularValueStepView> {

  private static final VarHandle FLOAT_LE =
      MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long COMPILED =
      SchemaNormalization.parsingFingerprint64(SingularValueStep.getClassSchema());

  /**
   * Last event's value count: the first guess for the next event's arrays (an exact guess means no
   * copy).
   */
  private int sizeHint = 64;

  /**
   * A deserializer of singular-value events (Confluent wire format) into {@link
   * SingularValueStepView}s.
   */
  public static Deserializer<SingularValueStepView> deserializer(Map<String, ?> registryConfig) {
    return KafkaAvroDeserializer.withReaders(registryConfig, SingularValueStepReader::forWriter);
  }

  /**
   * The reader for records written with {@code writer}: this class when it is the compiled schema
   * (same parsing canonical form, so the same binary layout), else Avro's schema resolution
   * followed by {@link SingularValueStepView#of}.
   */
  public static DatumReader<SingularValueStepView> forWriter(Schema writer) {
    if (SchemaNormalization.parsingFingerprint64(writer) == COMPILED) {
      return new SingularValueStepReader();
    }
    SpecificDatumReader<SingularValueStep> resolving =
        new SpecificDatumReader<>(
            writer,
            SingularValueStep.getClassSchema(),
            SpecificData.getForClass(SingularValueStep.class));
    return new DatumReader<>() {
      @Override
      public void setSchema(Schema schema) {
        resolving.setSchema(schema);
      }

      @Override
      public SingularValueStepView read(SingularValueStepView reuse, Decoder in)
          throws IOException {
        return SingularValueStepView.of(resolving.read(null, in));
      }
    };
  }

  @Override
  public void setSchema(Schema schema) {
    if (SchemaNormalization.parsingFingerprint64(schema) != COMPILED) {
      throw new AvroRuntimeException(
          "SingularValueStepReader reads only the compiled SingularValueStep schema");
    }
  }

  private final byte[] scratch = new byte[4096];
  private final Utf8 text = new Utf8();
  private byte[][] lastBytes = new byte[16][];
  private String[] lastStrings = new String[16];

  /**
   * Reads a string, returning the String read at the same position of an earlier event when the
   * bytes are equal: matrix names repeat in every event of an experiment (and across experiments of
   * one model), and decoding 70+ of them per event into new Strings took about 10% of the
   * analyzer's thread.
   */
  private String readCachedString(Decoder in, int slot) throws IOException {
    in.readString(text);
    if (slot >= lastBytes.length) {
      lastBytes = Arrays.copyOf(lastBytes, Math.max(slot + 1, 2 * lastBytes.length));
      lastStrings = Arrays.copyOf(lastStrings, lastBytes.length);
    }
    byte[] previous = lastBytes[slot];
    int len = text.getByteLength();
    if (previous != null
        && previous.length == len
        && Arrays.equals(previous, 0, len, text.getBytes(), 0, len)) {
      return lastStrings[slot];
    }
    String s = text.toString();
    lastBytes[slot] = Arrays.copyOf(text.getBytes(), len);
    lastStrings[slot] = s;
    return s;
  }

  /**
   * Reads {@code count} floats (Avro: 4 bytes each, little-endian IEEE 754) into {@code out} as
   * doubles, in chunks of raw bytes rather than one decoder call per value.
   */
  private void readFloats(Decoder in, double[] out, int from, int count) throws IOException {
    int done = 0;
    while (done < count) {
      int chunk = Math.min(count - done, scratch.length / 4);
      in.readFixed(scratch, 0, chunk * 4);
      for (int i = 0; i < chunk; i++) {
        out[from + done + i] = (float) FLOAT_LE.get(scratch, i * 4);
      }
      done += chunk;
    }
  }

  /**
   * Refuses a block count that the remaining bytes cannot hold, before allocating for it (a corrupt
   * count must not make the reader allocate gigabytes). Decoders that cannot tell what is left are
   * trusted as far as the bytes go.
   */
  private static void requireAvailable(
      Decoder in, long count, int bytesEach, int matrix, String field) throws IOException {
    if (in instanceof BinaryDecoder b && b.inputStream().available() < count * bytesEach) {
      throw new java.io.EOFException(
          "matrix "
              + matrix
              + ": "
              + field
              + " announces "
              + count
              + " values but fewer bytes remain");
    }
  }

  /**
   * Reads the fields in the order of the compiled schema (see
   * schemas/src/main/avro/SingularValueStep.avsc).
   */
  @Override
  public SingularValueStepView read(SingularValueStepView reuse, Decoder in) throws IOException {
    String experimentId = readCachedString(in, 0);
    String runId = readCachedString(in, 1);
    int epoch = in.readInt();
    long step = in.readLong();
    long wallClockMs = in.readLong();
    double orthRegLoss = in.readDouble();
    double taskLoss = in.readDouble();
    double learningRate = in.readDouble();

    double[] values = new double[sizeHint];
    double[] importance = null;
    String[] names = new String[8];
    int[] valueLengths = new int[8];
    int[] maskLengths = new int[8];
    int[] importanceLengths = new int[8];
    double[][] priAbsA = null;
    double[][] priEma = null;
    int m = 0;
    int at = 0; // values read so far
    for (long block = in.readArrayStart(); block != 0; block = in.arrayNext()) {
      for (long b = 0; b < block; b++, m++) {
        if (m == names.length) {
          names = Arrays.copyOf(names, 2 * m);
          valueLengths = Arrays.copyOf(valueLengths, 2 * m);
          maskLengths = Arrays.copyOf(maskLengths, 2 * m);
          importanceLengths = Arrays.copyOf(importanceLengths, 2 * m);
          if (priAbsA != null) {
            priAbsA = Arrays.copyOf(priAbsA, 2 * m);
            priEma = Arrays.copyOf(priEma, 2 * m);
          }
        }
        names[m] = readCachedString(in, m + 2);
        in.readInt(); // layer
        // Arrays grow one read value at a time: a corrupt block count cannot make us allocate more
        // than the bytes hold.
        int len = 0;
        for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
          if (n > Integer.MAX_VALUE / 4) {
            throw new AvroRuntimeException(
                "matrix " + m + ": singularValues block of " + n + " items");
          }
          int count = (int) n;
          if (at + len + count > values.length) {
            requireAvailable(in, count, 4, m, "singularValues");
            values = Arrays.copyOf(values, Math.max(at + len + count, 2 * values.length));
          }
          readFloats(in, values, at + len, count);
          len += count;
        }
        valueLengths[m] = len;
        int maskLength = 0;
        for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
          if (n > Integer.MAX_VALUE) {
            throw new AvroRuntimeException("matrix " + m + ": mask block of " + n + " items");
          }
          in.skipFixed((int) n); // a boolean is one byte
          maskLength += (int) n;
        }
        maskLengths[m] = maskLength;
        switch (in.readIndex()) {
          case 0 -> importanceLengths[m] = -1;
          case 1 -> {
            if (importance == null || importance.length < values.length) {
              importance =
                  importance == null
                      ? new double[values.length]
                      : Arrays.copyOf(importance, values.length);
            }
            int count = 0;
            for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
              for (long j = 0; j < n; j++, count++) {
                double v = in.readDouble();
                if (count < len) {
                  importance[at + count] = v;
                }
              }
            }
            importanceLengths[m] = count;
          }
          default ->
              throw new AvroRuntimeException(
                  "matrix " + m + ": importance union index out of range");
        }
        switch (in.readIndex()) {
          case 0 -> {}
          case 1 -> { // v1's summary of the input statistics: not used by the analyzer
            for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
              for (long j = 0; j < n; j++) {
                in.readFloat();
              }
            }
            in.readDouble();
            in.readDouble();
          }
          default ->
              throw new AvroRuntimeException(
                  "matrix " + m + ": inputStats union index out of range");
        }
        switch (in.readIndex()) {
          case 0 -> {}
          case 1 -> { // PRILoRA's inputs (at its pruning steps only)
            if (priAbsA == null) {
              priAbsA = new double[names.length][];
              priEma = new double[names.length][];
            }
            double[] a = new double[0];
            int count = 0;
            for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
              if (n > Integer.MAX_VALUE / 4) {
                throw new AvroRuntimeException(
                    "matrix " + m + ": priLora.absA block of " + n + " items");
              }
              requireAvailable(in, n, 4, m, "priLora.absA");
              a = Arrays.copyOf(a, count + (int) n);
              readFloats(in, a, count, (int) n);
              count += (int) n;
            }
            double[] x = new double[0];
            count = 0;
            for (long n = in.readArrayStart(); n != 0; n = in.arrayNext()) {
              if (n > Integer.MAX_VALUE / 8) {
                throw new AvroRuntimeException(
                    "matrix " + m + ": priLora.inputNormEma block of " + n + " items");
              }
              requireAvailable(in, n, 8, m, "priLora.inputNormEma");
              x = Arrays.copyOf(x, count + (int) n);
              for (long j = 0; j < n; j++) {
                x[count++] = in.readDouble();
              }
            }
            priAbsA[m] = a;
            priEma[m] = x;
          }
          default ->
              throw new AvroRuntimeException("matrix " + m + ": priLora union index out of range");
        }
        at += len;
      }
    }
    if (values.length != at) {
      values = Arrays.copyOf(values, at);
    }
    if (importance != null && importance.length != at) {
      importance = Arrays.copyOf(importance, at);
    }
    sizeHint = Math.max(16, at);
    return new SingularValueStepView(
        experimentId,
        runId,
        epoch,
        step,
        wallClockMs,
        orthRegLoss,
        taskLoss,
        learningRate,
        Arrays.copyOf(names, m),
        Arrays.copyOf(valueLengths, m),
        Arrays.copyOf(maskLengths, m),
        Arrays.copyOf(importanceLengths, m),
        values,
        importance,
        priAbsA == null ? null : Arrays.copyOf(priAbsA, m),
        priEma == null ? null : Arrays.copyOf(priEma, m));
  }
}
